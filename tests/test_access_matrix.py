"""Deny by default (SECURITY-CHECKS.md 9 and 10): every routed URL × every persona × GET and POST.

The URLs come from the resolver itself, so a new page cannot be forgotten: a pattern without a row
in the table below fails `test_every_routed_url_has_an_expectation`, and the matrix requests every
collected URL, never only the ones the table knows.

Expected answers, as the product promises them:

- anonymous: the sign-in page (the admin first sends to its own sign-in hop), except the public
  pages (sign-in, password reset, health check, the signed reminder opt-out);
- the wrong role: 403 (a signed-in patient or clinician on the admin is sent to the admin's
  sign-in hop, which answers 403);
- someone else's patient, session log or alert: 404, never 403 (that would confirm it exists);
- never a 500; and a refused request changes nothing (`state()` is compared before and after).

Each request runs inside a savepoint that is rolled back, so every persona meets the same world:
Ana (Dr Cho's patient) whose red flag paused her plan and left an alert open for Dr Cho; Ben
(Dr Dev's patient) with a running plan; Dee (staff, library permissions) and Root (superuser),
both with a verified second factor.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from api.models import DeviceToken
from outcomes.models import Instrument, Item, Questionnaire, Response, ScheduledInstrument
from plans import services as plan_services
from plans.models import (
    Alert,
    Exercise,
    ExerciseImage,
    PainFollowUp,
    Plan,
    PlanWeek,
    ProgrammeItem,
    Reminder,
    SessionExercise,
    SessionLog,
    SymptomReport,
)
from recovery.models import (
    AuditEvent,
    Clearance,
    ClearanceEvent,
    ClinicianProfile,
    PatientProfile,
    Treatment,
    TreatmentType,
    User,
)
from tests.support import ADMIN, World, kwargs_for, routes, url_for

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "ana", "ben", "dr_cho", "dr_dev", "dee", "root")
GET, POST = "GET", "POST"

# Answers are a status code, or "→/path" for a redirect to that path (query string ignored).
# "→/path*" matches any redirect whose path starts with /path; {name} is filled from the URL's
# own arguments.
LOGIN = "→/accounts/login/"
ADMIN_LOGIN = "→/admin/login/"  # the admin's sign-in hop: LOGIN for anonymous, 403 if signed in
TWO_FACTOR = "→/accounts/two-factor/"
REFUSED = {LOGIN, ADMIN_LOGIN, 400, 401, 403, 404, 405, 409}


def row(anonymous, ana, ben, dr_cho, dr_dev, dee, root) -> dict[str, object]:
    return dict(zip(PERSONAS, (anonymous, ana, ben, dr_cho, dr_dev, dee, root), strict=True))


def same(answer) -> dict[str, object]:
    return row(*[answer] * len(PERSONAS))


def both(answers: dict[str, object]) -> dict[str, dict[str, object]]:
    return {GET: answers, POST: answers}


# --- the site's own pages, by URL name ------------------------------------------------------------

SIGNED_IN_OK = row(LOGIN, 200, 200, 200, 200, 200, 200)
SIGNED_IN_405 = row(LOGIN, 405, 405, 405, 405, 405, 405)


def patient_page(ana, ben) -> dict[str, object]:
    return row(LOGIN, ana, ben, 403, 403, 403, 403)


def clinic_page(dr_cho, dr_dev) -> dict[str, object]:
    return row(LOGIN, 403, 403, dr_cho, dr_dev, 403, 403)


def api_patient(ana, ben) -> dict[str, object]:
    return row(401, ana, ben, 403, 403, 403, 403)


def api_clinic(dr_cho, dr_dev) -> dict[str, object]:
    return row(401, 403, 403, dr_cho, dr_dev, 403, 403)


HOMES = row(LOGIN, "→/me/", "→/me/", "→/clinic/", "→/clinic/", "→/admin/", "→/admin/")
RESET_FORM = "→/accounts/reset/{uidb64}/set-password/"

SITE: dict[str, dict[str, dict[str, object]]] = {
    "home": both(HOMES),
    "healthz": {GET: same(200), POST: same(405)},
    # The language switch: anyone may choose (a cookie; a signed-in person's account too).
    "language": {GET: same(405), POST: same("→/")},
    "login": {GET: row(200, *["→/"] * 6), POST: row(200, *["→/"] * 6)},
    "logout": {GET: same(405), POST: same(LOGIN)},
    "password_change": both(SIGNED_IN_OK),
    "password_change_done": {GET: SIGNED_IN_OK, POST: SIGNED_IN_405},
    "password_reset": {GET: same(200), POST: same("→/accounts/password_reset/done/")},
    "password_reset_done": {GET: same(200), POST: same(405)},
    "password_reset_confirm": both(same(RESET_FORM)),
    "password_reset_complete": {GET: same(200), POST: same(405)},
    "two_factor": both(row(LOGIN, 403, 403, 403, 403, "→/admin/", "→/admin/")),
    # Patients: Ben is a patient too, with his own pages; Ana's session log is not his (404).
    # Ana's plan is paused by her red flag, so logging a session answers 409 and stores nothing.
    "me:dashboard": {GET: patient_page(200, 200), POST: patient_page(405, 405)},
    "me:history": {GET: patient_page(200, 200), POST: patient_page(405, 405)},
    "me:session_new": {GET: patient_page(200, 200), POST: patient_page(409, "→/me/sessions/*")},
    "me:session_saved": {GET: patient_page(200, 404), POST: patient_page(405, 405)},
    # Ana's plan is paused by the world's warning sign: her correction is refused beside the
    # form (400), her deletion goes through (a deletion needs no running plan).
    "me:session_edit": {GET: patient_page(200, 404), POST: patient_page(400, 404)},
    "me:session_delete": {GET: patient_page(200, 404), POST: patient_page("→/me/sessions/", 404)},
    # Ana answers when the pain of her "not settled yet" session settled; the session is not Ben's.
    "me:session_follow_up": {GET: patient_page(405, 405), POST: patient_page("→/me/", 404)},
    # A symptom report needs no plan in any state: Ana (paused) and Ben (active) both report.
    "me:symptom_new": {
        GET: patient_page(200, 200),
        POST: patient_page("→/me/symptoms/*", "→/me/symptoms/*"),
    },
    "me:symptom_saved": {GET: patient_page(200, 404), POST: patient_page(405, 405)},
    # Ana's baseline pain questionnaire is open (her plan is paused, her treatment goes on):
    # answering it goes on to her next one; it is not Ben's (404).
    "questionnaires:answer": {
        GET: patient_page(200, 404),
        POST: patient_page("→/me/questionnaires/*", 404),
    },
    # The home programme and its PDF: each patient's own (Ana's plan is paused: her page says so).
    "me:programme": {GET: patient_page(200, 200), POST: patient_page(405, 405)},
    "me:programme_pdf": {GET: patient_page(200, 200), POST: patient_page(405, 405)},
    "me:settings": {
        GET: patient_page(200, 200),
        POST: patient_page("→/me/settings/", "→/me/settings/"),
    },
    # The patient's own data: the page, then the ZIP by POST (each patient their own).
    "me_export": {GET: patient_page(200, 200), POST: patient_page(200, 200)},
    # Clinicians: the URLs name Ana (Dr Cho's patient), so Dr Dev gets 404 where the object is
    # looked up (a method check that comes first answers 405 to both).
    # The panel's outcome report: each clinician's own patients only (the numbers differ).
    "outcomes:report": {GET: clinic_page(200, 200), POST: clinic_page(405, 405)},
    "clinic:triage": {GET: clinic_page(200, 200), POST: clinic_page(405, 405)},
    "clinic:enrol": {
        GET: clinic_page(200, 200),
        POST: clinic_page("→/clinic/patients/*", "→/clinic/patients/*"),
    },
    "clinic:patient": {GET: clinic_page(200, 404), POST: clinic_page(405, 405)},
    "clinic:patient_details": {
        GET: clinic_page(200, 404),
        POST: clinic_page("→/clinic/patients/{patient_id}/", 404),
    },
    "clinic:clearance": {
        GET: clinic_page(200, 404),
        POST: clinic_page("→/clinic/patients/{patient_id}/clearance/", 404),
    },
    "clinic:plan_action": {
        GET: clinic_page(405, 404),
        POST: clinic_page("→/clinic/patients/{patient_id}/", 404),
    },
    # Ana's programme, printable and as a PDF: the method is checked before the patient.
    "clinic:programme": {GET: clinic_page(200, 404), POST: clinic_page(405, 405)},
    "clinic:programme_pdf": {GET: clinic_page(200, 404), POST: clinic_page(405, 405)},
    # Tailoring Ana's programme has a page of its own; a POST without an action is refused (400).
    "clinic:programme_tailor": {GET: clinic_page(200, 404), POST: clinic_page(400, 404)},
    # Ana's record as FHIR: read only; the method is checked before the patient.
    "clinic_fhir": {GET: clinic_page(200, 404), POST: clinic_page(405, 405)},
    "clinic:alert_close": {GET: clinic_page(200, 404), POST: clinic_page("→/clinic/", 404)},
    # Ana has a password already, so Dr Cho's POST is refused in words and changes nothing.
    "clinic:invite": {
        GET: clinic_page(405, 404),
        POST: clinic_page("→/clinic/patients/{patient_id}/", 404),
    },
    # A picture of a stage-2 exercise: Ana (stage 2) sees it, Ben (stage 1) is told nothing of
    # it; clinicians see the library's, staff manage them. Only ever read.
    "exercise_image": {
        GET: row(LOGIN, 200, 404, 200, 200, 200, 200),
        POST: row(LOGIN, 405, 405, 405, 405, 405, 405),
    },
    # The signed link is the whole authority: anyone holding it may stop Ana's reminders.
    "reminders:stop": {GET: same(200), POST: same(200)},
    # A patient's devices (api/views_devices.py): Ana's phone is not Ben's to disconnect.
    "devices:new": {GET: patient_page(200, 200), POST: patient_page(201, 201)},
    "devices:revoke": {GET: patient_page(405, 405), POST: patient_page("→/me/settings/", 404)},
    # The REST API (tests/test_api_access.py has its own matrix, with JSON and device tokens):
    # no credentials answer 401; an empty POST is refused in words (Ana's plan is paused: 409).
    # The method is checked before the object. The schema and its docs are public and hold no
    # one's data.
    "api:schema": {GET: same(200), POST: same(405)},
    "api:docs": {GET: same(200), POST: same(405)},
    "api:week": {GET: api_patient(200, 200), POST: api_patient(405, 405)},
    "api:programme": {GET: api_patient(200, 200), POST: api_patient(405, 405)},
    "api:sessions": {GET: api_patient(200, 200), POST: api_patient(409, 400)},
    "api:symptoms": {GET: api_patient(405, 405), POST: api_patient(400, 400)},
    "api:questionnaires": {GET: api_patient(200, 200), POST: api_patient(405, 405)},
    "api:questionnaire": {GET: api_patient(200, 404), POST: api_patient(400, 404)},
    "api:settings": {GET: api_patient(200, 200), POST: api_patient(405, 405)},
    "api:triage": {GET: api_clinic(200, 200), POST: api_clinic(405, 405)},
    "api:patient": {GET: api_clinic(200, 404), POST: api_clinic(405, 405)},
    "api:alert_acknowledge": {GET: api_clinic(405, 405), POST: api_clinic(400, 404)},
    "api:not_found": both(same(404)),
}

# --- the admin, by rules -------------------------------------------------------------------------


def admin_row(dee, root) -> dict[str, object]:
    """Everyone but staff and superusers meets the admin's sign-in hop first."""
    return row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, dee, root)


def admin_both(dee, root) -> dict[str, dict[str, object]]:
    return both(admin_row(dee, root))


# What a model's admin allows, as (changelist, add, history, delete, change GET, change POST) for
# one signed-in, verified admin user. An empty POST never saves or deletes anything: forms are
# invalid and the delete page without "post=yes" only asks for confirmation.
EDIT = (200, 200, 200, 200, 200, 200)  # full editing
NO_ADD_OR_DELETE = (200, 403, 200, 403, 200, 200)
VIEW_ONLY = (200, 403, 200, 403, 200, 403)
SAVED = "saved"  # a redirect to the changelist
VIEW_AND_DELETE = (200, 403, 200, 200, 200, SAVED)  # every field read-only: saving is a no-op
DENIED = (403, 403, 403, 403, 403, 403)

LIBRARY = {"dee": EDIT, "root": EDIT}
ACCOUNTS = {"dee": DENIED, "root": EDIT}
PROFILES = {"dee": DENIED, "root": NO_ADD_OR_DELETE}
RECORDS = {"dee": DENIED, "root": VIEW_ONLY}  # written by services: read-only in the admin
TRAILS = {"dee": DENIED, "root": VIEW_ONLY}  # append-only: read-only for everyone
LOCKOUTS = {"dee": DENIED, "root": VIEW_AND_DELETE}  # axes: deleting an attempt unlocks
# Second-factor devices: seen and deleted (a lost phone), never edited, secrets never shown.
DEVICES = {"dee": DENIED, "root": (200, 403, 200, 200, 200, 403)}

ADMIN_MODELS: dict[str, dict[str, tuple]] = {
    "plans.exercise": LIBRARY,
    "recovery.treatmenttype": LIBRARY,
    "recovery.user": ACCOUNTS,
    "recovery.clinicianprofile": ACCOUNTS,
    "auth.group": ACCOUNTS,
    "otp_totp.totpdevice": DEVICES,
    "recovery.patientprofile": PROFILES,
    "recovery.treatment": RECORDS,
    "recovery.clearance": RECORDS,
    "plans.plan": RECORDS,
    "plans.planweek": RECORDS,
    "plans.sessionlog": RECORDS,
    "plans.alert": RECORDS,
    "plans.symptomreport": RECORDS,
    "plans.painfollowup": RECORDS,
    "plans.reminder": RECORDS,
    "recovery.clearanceevent": TRAILS,
    "recovery.auditevent": TRAILS,
    "axes.accessattempt": LOCKOUTS,
    "axes.accesslog": LOCKOUTS,
    "axes.accessfailurelog": LOCKOUTS,
    "outcomes.instrument": LIBRARY,
    "outcomes.item": LIBRARY,
    "outcomes.scheduledinstrument": LIBRARY,
    "outcomes.questionnaire": RECORDS,
    "outcomes.response": RECORDS,
}


def admin_model_rows(label: str, rules: dict[str, tuple]) -> dict[str, dict[str, dict]]:
    app, model = label.split(".")
    base = f"{ADMIN}:{app}_{model}"
    by_view: dict[str, dict[str, dict]] = {}
    views = ("changelist", "add", "history", "delete", "change_get", "change_post")
    saved = f"→/admin/{app}/{model}/"
    answers = {
        view: {p: saved if rules[p][i] == SAVED else rules[p][i] for p in ("dee", "root")}
        for i, view in enumerate(views)
    }
    for view in ("changelist", "add", "history", "delete"):
        by_view[f"{base}_{view}"] = admin_both(**answers[view])
    by_view[f"{base}_change"] = {
        GET: admin_row(**answers["change_get"]),
        POST: admin_row(**answers["change_post"]),
    }
    # `<object_id>/` only redirects to the change page, whose own rules then apply.
    change = f"→/admin/{app}/{model}/{{object_id}}/change/"
    by_view[f"admin/{app}/{model}/<path:object_id>/"] = admin_both(change, change)
    return by_view


ADMIN_PAGES: dict[str, dict[str, dict[str, object]]] = {
    f"{ADMIN}:index": admin_both(200, 200),
    # Signed in without the admin's permission: 403, not a redirect back to /admin/ (a loop).
    f"{ADMIN}:login": both(row(LOGIN, 403, 403, 403, 403, TWO_FACTOR, TWO_FACTOR)),
    # The admin sends anyone it does not serve from its logout URL to its index (then above).
    f"{ADMIN}:logout": {
        GET: row(*["→/admin/"] * 5, 405, 405),
        POST: row(*["→/admin/"] * 5, LOGIN, LOGIN),
    },
    f"{ADMIN}:password_change": admin_both(200, 200),
    f"{ADMIN}:password_change_done": {GET: admin_row(200, 200), POST: admin_row(405, 405)},
    # Autocomplete of users for a clinician profile: staff must not search accounts.
    f"{ADMIN}:autocomplete": {GET: admin_row(403, 200), POST: admin_row(405, 405)},
    f"{ADMIN}:jsi18n": {GET: admin_row(200, 200), POST: admin_row(405, 405)},
    f"{ADMIN}:app_list": admin_both(200, 200),  # app "recovery": Dee sees treatment types
    f"{ADMIN}:view_on_site": admin_both(404, 404),  # no model has a public page
    "admin/(?P<url>.*)$": admin_both(404, 404),
    # Model-specific pages.
    f"{ADMIN}:plans_exercise_import": admin_both(200, 200),
    f"{ADMIN}:plans_exercise_process_import": {GET: admin_row(405, 405), POST: admin_row(200, 200)},
    f"{ADMIN}:plans_exercise_export": admin_both(200, 200),
    f"{ADMIN}:plans_exercise_import_template": {
        GET: admin_row(200, 200),
        POST: admin_row(405, 405),
    },
    f"{ADMIN}:recovery_auditevent_export": admin_both(403, 200),
    f"{ADMIN}:auth_user_password_change": admin_both(403, 200),
}

EXPECTED: dict[str, dict[str, dict[str, object]]] = {**SITE, **ADMIN_PAGES}
for _label, _rules in ADMIN_MODELS.items():
    EXPECTED.update(admin_model_rows(_label, _rules))

# Allowed POSTs that must change something: proof that the refused ones would have.
EFFECTIVE_POSTS = {
    "me:session_new": {"ben"},
    "me:session_delete": {"ana"},
    "me:settings": {"ana", "ben"},
    "me_export": {"ana", "ben"},  # the download is audited
    "questionnaires:answer": {"ana"},
    "clinic:enrol": {"dr_cho", "dr_dev"},
    "clinic:clearance": {"dr_cho"},
    "clinic:patient_details": {"dr_cho"},
    "clinic:plan_action": {"dr_cho"},
    "clinic:alert_close": {"dr_cho"},
    "reminders:stop": set(PERSONAS),
    "devices:new": {"ana", "ben"},
    "devices:revoke": {"ana"},
}


# --- what is routed ------------------------------------------------------------------------------


# --- the world -----------------------------------------------------------------------------------


def post_data(key: str, world: World) -> dict[str, object]:
    """A POST that would change something if it were allowed."""
    ana_today = plan_services.patient_today(world.ana)
    data: dict[str, dict[str, object]] = {
        "me:session_new": {
            "date": plan_services.patient_today(world.ben).isoformat(),
            "activity": "walking",
            "minutes": "12",
            "pain_before": "1",
            "pain": "2",
            "pain_duration": "within_2h",
            "no_red_flags": "on",
            "submission_token": str(uuid.uuid4()),
        },
        "me:session_follow_up": {"settled": "later"},
        "questionnaires:answer": {
            "item_1": str(world.questionnaire.instrument.items.get().options.last().pk)
        },
        "me:session_edit": {
            "activity": "walking",
            "minutes": "14",
            "pain_before": "1",
            "pain": "2",
            "pain_duration": "within_2h",
            "no_red_flags": "on",
            "submission_token": str(uuid.uuid4()),
        },
        "me:symptom_new": {
            "no_red_flags": "on",
            "pain_now": "3",
            "submission_token": str(uuid.uuid4()),
        },
        "me:settings": {
            "reminders_enabled": "on",
            "weekday": "2",
            "hour": "18",
            "timezone": "Europe/London",
        },
        "clinic:enrol": {
            "first_name": "Cara",
            "last_name": "Newman",
            "email": "cara@example.org",
            "treatment_type": TreatmentType.objects.filter(active=True).first().pk,
            "procedure_date": (ana_today - timedelta(days=40)).isoformat(),
            "timezone": "America/New_York",
            "date_of_birth": "1961-04-23",
            "phone": "(555) 010-2030",
        },
        "clinic:patient_details": {"phone": "(555) 010-9999", "date_of_birth": "1970-01-02"},
        "clinic:clearance": {"action": "revoke", "revoke-reason": "Revoked by the matrix test."},
        "clinic:plan_action": {"action": "resume", "resume-start_minutes": "10"},
        "clinic:alert_close": {"outcome": "spoke_advised", "note": "Called; advised rest."},
        "password_reset": {"email": "nobody@example.org"},
        "two_factor": {"token": "000000"},
        "language": {"language": "es", "next": "/"},
        "devices:new": {"name": "Kitchen tablet"},
    }
    return data.get(key, {})


def state() -> dict[str, object]:
    """Everything a refused request must leave as it was."""
    return {
        "users": list(User.objects.order_by("pk").values_list()),
        "patients": list(PatientProfile.objects.order_by("pk").values_list()),
        "clinicians": list(ClinicianProfile.objects.order_by("pk").values_list()),
        "clearances": list(Clearance.objects.order_by("pk").values_list()),
        "clearance_events": ClearanceEvent.objects.count(),
        "treatments": list(Treatment.objects.order_by("pk").values_list()),
        "types": list(TreatmentType.objects.order_by("pk").values_list()),
        "plans": list(Plan.objects.order_by("pk").values_list()),
        "weeks": PlanWeek.objects.count(),
        "logs": list(
            SessionLog.objects.order_by("pk").values_list("pk", "notes", "pain_lasted_hours")
        ),
        "follow_ups": list(PainFollowUp.objects.order_by("pk").values_list("pk", "settled")),
        "symptom_reports": SymptomReport.objects.count(),
        "alerts": list(Alert.objects.order_by("pk").values_list("pk", "acknowledged_at")),
        "reminders": list(Reminder.objects.order_by("pk").values_list()),
        "exercises": list(Exercise.objects.order_by("pk").values_list()),
        "pictures": list(ExerciseImage.objects.order_by("pk").values_list()),
        "groups": Group.objects.count(),
        "devices": list(TOTPDevice.objects.order_by("pk").values_list("pk", "confirmed", "key")),
        "lockouts": AccessAttempt.objects.count(),
        "patient_views": AuditEvent.objects.filter(action="patient_view").count(),
        "programme_views": AuditEvent.objects.filter(action="programme_view").count(),
        "exports": AuditEvent.objects.filter(action__in=("data_export", "fhir_view")).count(),
        "programme": list(ProgrammeItem.objects.order_by("pk").values_list()),
        "exercises_done": SessionExercise.objects.count(),
        "questionnaires": list(Questionnaire.objects.order_by("pk").values_list("pk", "status")),
        "responses": Response.objects.count(),
        "instruments": list(Instrument.objects.order_by("pk").values_list()),
        "outcome_items": list(Item.objects.order_by("pk").values_list()),
        "outcome_schedule": list(ScheduledInstrument.objects.order_by("pk").values_list()),
        "device_tokens": list(DeviceToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    }


def answer(response) -> object:
    if 300 <= response.status_code < 400:
        return "→" + urlsplit(response["Location"]).path
    return response.status_code


def matches(got: object, expected: object, kwargs: dict[str, object]) -> bool:
    if isinstance(expected, str):
        expected = expected.format(**kwargs)
        if expected.endswith("*"):
            return isinstance(got, str) and got.startswith(expected[:-1])
    return got == expected


def request(client: Client, method: str, url: str, data: dict) -> tuple[object, str]:
    cache.clear()  # rate-limit counters: each request is judged on its own
    response = client.get(url) if method == GET else client.post(url, data)
    detail = ""
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        detail = f" ({response.exc_info[1]!r})"
    return answer(response), detail


# --- the tests -----------------------------------------------------------------------------------


def test_every_routed_url_has_an_expectation():
    routed = set(routes())
    missing = sorted(routed - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routed)
    assert not missing, f"routed URLs with no row in the access matrix: {missing}"
    assert not stale, f"rows for URLs that are no longer routed: {stale}"
    for key, methods in EXPECTED.items():
        for method in (GET, POST):
            assert set(methods[method]) == set(PERSONAS), (key, method)


def test_the_world_has_a_row_for_every_admin_model(world):
    assert set(world.admin_rows) == set(ADMIN_MODELS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(persona, world):
    client = Client(raise_request_exception=False)
    failures = []
    # Each request is rolled back, so every one of them starts from this same state.
    before = state()
    for key, route in sorted(routes().items()):
        kwargs = kwargs_for(route, world)
        url = url_for(route, kwargs)
        for method in (GET, POST):
            expected = EXPECTED.get(key, {}).get(method, {}).get(persona, "<no expectation>")
            client.cookies = SimpleCookie()
            if persona in world.cookies:
                client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[persona]
            with transaction.atomic():
                got, detail = request(client, method, url, post_data(key, world))
                after = state() if expected in REFUSED or method == POST else before
                transaction.set_rollback(True)
            changed = [name for name in before if before[name] != after[name]]
            if not matches(got, expected, kwargs):
                failures.append(f"{method} {url} as {persona}: got {got}{detail}, want {expected}")
            elif expected in REFUSED and changed:
                failures.append(f"{method} {url} as {persona} was refused but changed {changed}")
            elif method == POST and persona in EFFECTIVE_POSTS.get(key, ()) and not changed:
                failures.append(f"POST {url} as {persona} was allowed but changed nothing")
    assert not failures, f"{len(failures)} access-matrix failures:\n" + "\n".join(failures)
    assert state() == before  # every request was rolled back: the next persona meets this world
