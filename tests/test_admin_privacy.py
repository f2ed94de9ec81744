"""Staff see no person (issue 16, findings 6 and 11).

A staff account given every model permission by mistake (not a superuser) still reaches only the
exercise library and the treatment types: every other admin, StepWise's own and those registered
by third-party apps (django-axes, auth groups, django-otp, import-export), answers 403. And no
admin URL of a clinical row tells staff whether that row exists: the same answer for an id that
exists and one that does not, on /change/, /history/, /delete/ and the rest.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from outcomes.models import Questionnaire, Response
from recovery.models import AuditEvent, Role
from recovery.two_factor import STAFF_MODELS
from tests.conftest import make_user
from tests.support import sign_in_to_admin

MISSING_PK = 987_654_321
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def guarded_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.label_lower not in STAFF_MODELS),
        key=lambda model: model._meta.label_lower,
    )


def url(model, view: str = "", pk=None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + (f"{pk}/" if pk is not None else "") + (f"{view}/" if view else "")


@pytest.fixture
def everything(db):
    """Staff with every permission of every model, second factor verified; not a superuser."""
    user = make_user("greedy", Role.STAFF, "Greedy", "Grant", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def one_of_each(clinical_records, ana, root):
    """At least one row of every model on the admin site."""
    Group.objects.create(name="Library editors")
    AccessAttempt.objects.create(
        username=ana.user.username, ip_address="10.0.0.9", failures_since_start=2
    )
    AccessLog.objects.create(username=ana.user.username, ip_address="10.0.0.9")
    AccessFailureLog.objects.create(
        username=ana.user.username, ip_address="10.0.0.9", locked_out=False
    )
    TOTPDevice.objects.create(user=root, name="Root's phone", confirmed=True)
    AuditEvent.objects.create(action="login", actor=ana.user, outcome="ok")
    rows = {model: model._default_manager.order_by("pk").first() for model in guarded_models()}
    assert all(rows.values()), [m for m, row in rows.items() if row is None]
    return rows


def test_every_admin_but_the_library_is_superuser_only_on_the_site(one_of_each):
    # The rule is the site's, so it holds for admins that third-party apps register themselves.
    labels = {model._meta.label_lower for model in admin.site._registry}
    assert {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"} <= labels
    assert {"auth.group", "otp_totp.totpdevice"} <= labels
    for model in guarded_models():
        assert getattr(admin.site._registry[model], "superuser_only", False), model


def test_staff_with_every_permission_sees_no_person(client, everything, one_of_each):
    staff = sign_in_to_admin(client, everything)
    refused = {}
    for model, row in one_of_each.items():
        pages = [url(model), url(model, "add")]
        pages += [url(model, view, row.pk) for view in ("change", "history", "delete")]
        if model._meta.label_lower == "recovery.user":
            pages.append(url(model, "password", row.pk))
        extra = admin.site._registry[model].get_urls()
        names = {p.name for p in extra if p.name}
        for suffix in ("export", "import"):
            if f"{model._meta.app_label}_{model._meta.model_name}_{suffix}" in names:
                pages.append(url(model, suffix))
        for page in pages:
            for method in ("get", "post"):
                status = getattr(staff, method)(page).status_code
                if status != 403:
                    refused[f"{method.upper()} {page}"] = status
    assert refused == {}

    index = staff.get("/admin/")
    listed = {m["object_name"] for app in index.context["app_list"] for m in app["models"]}
    assert listed == {"Exercise", "TreatmentType", "Instrument", "Item", "ScheduledInstrument"}
    for row in ("10.0.0.9", "Library editors", "Root's phone"):
        assert row not in index.content.decode()

    # The library still works for them.
    for page in (
        "/admin/plans/exercise/",
        "/admin/plans/exercise/add/",
        "/admin/recovery/treatmenttype/",
        "/admin/recovery/treatmenttype/add/",
        "/admin/plans/exercise/export/",
        "/admin/plans/exercise/import/",
        "/admin/outcomes/instrument/",
        "/admin/outcomes/instrument/add/",
        "/admin/outcomes/item/",
        "/admin/outcomes/scheduledinstrument/",
    ):
        assert staff.get(page).status_code == 200, page


def test_a_superuser_still_administers_them(client, root, everything, one_of_each):
    # Granting the greedy staff account every permission changed nothing for them...
    assert sign_in_to_admin(Client(), everything).get(url(Group)).status_code == 403
    # ...and superusers keep every admin page.
    superuser = sign_in_to_admin(client, root)
    for model, row in one_of_each.items():
        assert superuser.get(url(model)).status_code == 200, model
        assert superuser.get(url(model, "history", row.pk)).status_code == 200, model
    attempt = one_of_each[AccessAttempt]
    assert superuser.get(url(AccessAttempt, "delete", attempt.pk)).status_code == 200


def _answer(response, pk) -> tuple:
    """Status, where it redirects (the id taken out) and the page (the per-response CSRF token
    taken out, and the id of the page's own address, which its language switch comes back to)."""
    location = response.get("Location", "").replace(f"/{pk}/", "/<id>/")
    page = CSRF.sub("", response.content.decode()).replace(f"/{pk}/", "/<id>/")
    return response.status_code, location, page


@pytest.mark.parametrize("who", ["dee", "everything"])
def test_clinical_admin_urls_answer_the_same_for_rows_that_exist_and_rows_that_do_not(
    client, request, who, one_of_each
):
    staff = sign_in_to_admin(client, request.getfixturevalue(who))
    different = {}
    for model, row in one_of_each.items():
        views = ["change", "history", "delete", ""]
        if model._meta.label_lower == "recovery.user":
            views.append("password")
        for view in views:
            for method in ("get", "post"):
                existing = getattr(staff, method)(url(model, view, row.pk))
                missing = getattr(staff, method)(url(model, view, MISSING_PK))
                if _answer(existing, row.pk) != _answer(missing, MISSING_PK):
                    different[f"{method.upper()} {url(model, view, '<id>')}"] = (
                        _answer(existing, row.pk)[:2],
                        _answer(missing, MISSING_PK)[:2],
                    )
    assert different == {}


def test_staff_define_instruments_but_never_see_what_patients_answered(client, dee, one_of_each):
    """Dee keeps the instrument definitions; the questionnaires and answers stay superuser-only
    (Answer rows are not registered at all: they are read inside their Response)."""
    assert {Questionnaire, Response} <= set(one_of_each)
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert "outcomes.answer" not in registered
    staff = sign_in_to_admin(client, dee)
    response = one_of_each[Response]
    for page in (
        "/admin/outcomes/response/",
        f"/admin/outcomes/response/{response.pk}/change/",
        "/admin/outcomes/questionnaire/",
        f"/admin/outcomes/questionnaire/{response.questionnaire_id}/change/",
    ):
        assert staff.get(page).status_code == 403, page
    page = staff.get(f"/admin/outcomes/instrument/{response.instrument_id}/change/")
    assert page.status_code == 200
