"""The page cache (recovery.pagecache) and the page revisions behind it (plans migration 0003).

A page served from the cache must be the page drawn now: after any change to what it shows,
whoever made it and however; for the one person it was drawn for; with their own session's CSRF
token and messages; and never after the moment a date or an "ago" on it changes.

Pages are compared as HTML with the CSRF token's value removed (it differs per response). A page
"served" from the cache rendered no template (`response.context is None`); a "drawn" one did.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from plans import services as plan_services
from plans.models import Alert, Exercise, Plan, PlanStatus, PlanWeek, SessionLog
from plans.services import patient_today
from plans.triage import panel_revision
from recovery import pagecache
from recovery import services as recovery_services
from recovery.models import (
    AuditEvent,
    Clearance,
    ClearanceStatus,
    PatientProfile,
    Treatment,
    TreatmentType,
    User,
)
from recovery.templatetags.ago import ago_text
from tests.conftest import approve, make_patient

pytestmark = pytest.mark.django_db

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REASON = "Reviewed with the patient by phone today."


# --- helpers ------------------------------------------------------------------------------------


def signed_in(user: User, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def get(client: Client, path: str):
    """GET `path`; whatever answered, the cache's CSRF placeholder never leaves the server."""
    response = client.get(path)
    assert pagecache.CSRF_PLACEHOLDER.encode() not in response.content
    return response


def html(response) -> str:
    assert response.status_code == 200
    return _CSRF.sub('name="csrfmiddlewaretoken"', response.content.decode())


def served(client: Client, path: str) -> str:
    """The page, answered from the cache."""
    response = get(client, path)
    assert response.context is None, f"{path} was drawn, not served from the cache"
    return html(response)


def page(client: Client, path: str) -> str:
    """The page, however it is answered."""
    return html(get(client, path))


def drawn(client: Client, path: str) -> str:
    """The page drawn now, with nothing cached."""
    cache.clear()
    response = get(client, path)
    assert response.context is not None
    return html(response)


def token(content: bytes | str) -> str:
    text = content.decode() if isinstance(content, bytes) else content
    return _CSRF.search(text).group(1)


def shown_name(content: str) -> str:
    """Whom the navigation says is signed in."""
    return re.search(r'<span class="navbar-text[^"]*">([^<]*)</span>', content).group(1)


def revisions(*users: User) -> list[int]:
    return [User.objects.get(pk=user.pk).page_revision for user in users]


def same_revision(*users: User) -> None:
    """Give these users one page revision, so only who is looking tells their pages apart."""
    top = max(revisions(*users)) + 1000
    User.objects.filter(pk__in=[user.pk for user in users]).update(page_revision=top)


def open_plan(patient: PatientProfile) -> Plan:
    return Plan.objects.get(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])


def warm(*pages: tuple[Client, str]) -> None:
    """Visit each page twice (the first visit closes due weeks, moving the revision), then check
    each is now served from the cache: a later change must not go unnoticed for a page that was
    never cached to begin with."""
    for _ in range(2):
        for client, path in pages:
            page(client, path)
    for client, path in pages:
        served(client, path)


# --- what changes, and how ----------------------------------------------------------------------
# Each setup and change takes Ana (Dr Cho's patient). Setups leave her with a plan in a given
# state; changes go through the services, or write the rows as the admin or a shell would.


def _exercise() -> None:
    Exercise.objects.create(
        name="Pelvic tilt",
        category="core",
        stage=1,
        instructions="Lie on your back and flatten your lower back against the floor.",
    )


def active(ana: PatientProfile) -> None:
    """Week 3 of an active plan, one short session logged today."""
    _exercise()
    today = patient_today(ana)
    approve(ana, start=today - timedelta(days=20))
    plan_services.session_log_create(patient=ana, day=today, activity="walking", minutes=5, pain=1)


def paused(ana: PatientProfile) -> None:
    active(ana)
    plan_services.plan_pause(plan=open_plan(ana), actor=ana.clinician, reason=REASON)


def alerted(ana: PatientProfile) -> None:
    active(ana)
    red_flag(ana)


def pending(ana: PatientProfile) -> None:
    """Enrolled: her clearance waits for Dr Cho."""
    _exercise()


def declined(ana: PatientProfile) -> None:
    _exercise()
    recovery_services.clearance_decline(
        clearance=Clearance.objects.get(patient=ana), actor=ana.clinician, reason=REASON
    )


def log_session(ana: PatientProfile) -> None:
    plan_services.session_log_create(
        patient=ana, day=patient_today(ana), activity="recumbent_bike", minutes=30, pain=2
    )


def red_flag(ana: PatientProfile) -> None:
    plan_services.session_log_create(
        patient=ana, day=patient_today(ana), activity="walking", minutes=10, red_flags=["numbness"]
    )


def pause(ana: PatientProfile) -> None:
    plan_services.plan_pause(plan=open_plan(ana), actor=ana.clinician, reason=REASON)


def resume(ana: PatientProfile) -> None:
    plan_services.plan_resume(
        plan=open_plan(ana), actor=ana.clinician, start_minutes=12, today=patient_today(ana)
    )


def set_stage(ana: PatientProfile) -> None:
    plan_services.plan_set_stage(
        plan=open_plan(ana), actor=ana.clinician, stage=1, allowed_activities=["walking"]
    )


def update_rules(ana: PatientProfile) -> None:
    plan = open_plan(ana)
    rules = {**plan.rules().__dict__, "target_minutes": plan.target_minutes + 15}
    plan_services.plan_update_rules(plan=plan, actor=ana.clinician, rules=rules)


def acknowledge(ana: PatientProfile) -> None:
    plan_services.alert_acknowledge(
        alert=Alert.objects.get(patient=ana), actor=ana.clinician, outcome="spoke_advised"
    )


def clearance_approve(ana: PatientProfile) -> None:
    approve(ana, start=patient_today(ana))


def clearance_decline(ana: PatientProfile) -> None:
    recovery_services.clearance_decline(
        clearance=Clearance.objects.get(patient=ana), actor=ana.clinician, reason=REASON
    )


def clearance_request(ana: PatientProfile) -> None:
    recovery_services.clearance_request(
        patient=ana, treatment=ana.treatments.get(), actor=ana.clinician
    )


def clearance_revoke(ana: PatientProfile) -> None:
    plan_services.clearance_revoke(
        clearance=Clearance.objects.get(patient=ana, status=ClearanceStatus.APPROVED),
        actor=ana.clinician,
        reason=REASON,
    )


def reminders(ana: PatientProfile) -> None:
    recovery_services.patient_update_reminders(
        patient=ana, weekday=4, hour=18, timezone_name="Europe/Lisbon", enabled=True
    )


def rename(ana: PatientProfile) -> None:
    """A full save of the user loaded when she enrolled (its page_revision long out of date)."""
    ana.user.first_name = "Anabel"
    ana.user.save()


def rename_clinician(ana: PatientProfile) -> None:
    """Dr Cho's last name: not in the navigation, but on her patients' clearance history."""
    clinician = User.objects.get(pk=ana.clinician_id)
    clinician.last_name = "Chow"
    clinician.save()


def rename_exercise(ana: PatientProfile) -> None:
    exercise = Exercise.objects.get(name="Pelvic tilt")
    exercise.name = "Pelvic tilt, lying down"
    exercise.save()


def contraindicate_exercise(ana: PatientProfile) -> None:
    Exercise.objects.get(name="Pelvic tilt").contraindicated_for.add(
        ana.treatments.get().treatment_type
    )


def rename_treatment_type(ana: PatientProfile) -> None:
    TreatmentType.objects.filter(pk=ana.treatments.get().treatment_type_id).update(
        name="Epidural injection (lumbar)"
    )


def bulk_update_treatment(ana: PatientProfile) -> None:
    earlier = ana.treatments.get().procedure_date - timedelta(days=1)
    Treatment.objects.filter(patient=ana).update(procedure_date=earlier)


def bulk_update_clearance(ana: PatientProfile) -> None:
    Clearance.objects.filter(patient=ana).update(restrictions="No bending or twisting.")


def bulk_update_sessions(ana: PatientProfile) -> None:
    SessionLog.objects.filter(plan__patient=ana).update(minutes=F("minutes") + 40)


def bulk_delete_sessions(ana: PatientProfile) -> None:
    SessionLog.objects.filter(plan__patient=ana).delete()


def bulk_update_weeks(ana: PatientProfile) -> None:
    # Without a cause, pages explain a week by its stored reason (plans.wording).
    PlanWeek.objects.filter(plan__patient=ana).update(
        reason="Adjusted by your care team.", cause="", cause_numbers={}
    )


DASHBOARD, TRIAGE, PATIENT = "dashboard", "triage", "patient"
ALL = {DASHBOARD, TRIAGE, PATIENT}

CHANGES = [
    # (setup, change, the pages that must look different afterwards)
    (active, log_session, {DASHBOARD, PATIENT}),
    (active, red_flag, ALL),
    (active, pause, ALL),
    (paused, resume, ALL),
    (active, set_stage, {DASHBOARD, PATIENT}),
    (active, update_rules, {PATIENT}),
    (alerted, acknowledge, ALL),
    (pending, clearance_approve, ALL),
    (pending, clearance_decline, ALL),
    (declined, clearance_request, ALL),
    (active, clearance_revoke, ALL),
    (active, reminders, {PATIENT}),
    (active, rename, ALL),
    (active, rename_clinician, {PATIENT}),
    (active, rename_exercise, {DASHBOARD}),
    (active, contraindicate_exercise, {DASHBOARD}),
    (active, rename_treatment_type, {PATIENT}),
    (active, bulk_update_treatment, {PATIENT}),
    (active, bulk_update_clearance, {DASHBOARD, PATIENT}),
    (active, bulk_update_sessions, {DASHBOARD, PATIENT}),
    (active, bulk_delete_sessions, {DASHBOARD, PATIENT}),
    (active, bulk_update_weeks, {DASHBOARD, PATIENT}),
]


def ana_pages(ana: PatientProfile, dr_cho: User) -> dict[str, tuple[Client, str]]:
    cho = signed_in(dr_cho)
    return {
        DASHBOARD: (signed_in(ana.user), reverse("me:dashboard")),
        TRIAGE: (cho, reverse("clinic:triage")),
        PATIENT: (cho, reverse("clinic:patient", args=[ana.pk])),
    }


# --- freshness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "change", "differs"),
    [pytest.param(*case, id=case[1].__name__) for case in CHANGES],
)
def test_after_a_change_every_page_is_the_page_drawn_now(ana, dr_cho, setup, change, differs):
    setup(ana)
    pages = ana_pages(ana, dr_cho)
    warm(*pages.values())
    before = {name: served(*where) for name, where in pages.items()}

    change(ana)

    after = {name: page(*where) for name, where in pages.items()}
    now = {name: drawn(*where) for name, where in pages.items()}
    assert after == now
    assert {name for name in pages if after[name] != before[name]} >= differs


def test_a_patient_moved_to_another_clinician_moves_off_the_first_ones_pages(
    ana, dr_cho, dr_dev, ben
):
    active(ana)
    pages = ana_pages(ana, dr_cho)
    dev = (signed_in(dr_dev), reverse("clinic:triage"))
    warm(*pages.values(), dev)
    assert "Ana Tester" in served(*pages[TRIAGE])
    assert "Ana Tester" not in served(*dev)

    PatientProfile.objects.filter(pk=ana.pk).update(clinician=dr_dev)

    assert "Ana Tester" not in page(*pages[TRIAGE])
    assert get(*pages[PATIENT]).status_code == 404
    assert "Ana Tester" in page(*dev)
    assert page(*pages[TRIAGE]) == drawn(*pages[TRIAGE])
    assert page(*dev) == drawn(*dev)


def test_a_patient_choosing_a_password_is_on_her_record_at_once(ana, ana_plan, dr_cho):
    """A password is neither a name nor a record: any update of her own row moves her revision."""
    ana.user.set_unusable_password()
    ana.user.save()
    record = (signed_in(dr_cho), reverse("clinic:patient", args=[ana.pk]))
    warm(record)
    assert "has not chosen a password yet" in served(*record)

    user = User.objects.get(pk=ana.user_id)
    user.set_password("a-long-new-passphrase")
    user.save(update_fields=["password"])

    after = page(*record)
    assert "has not chosen a password yet" not in after
    assert after == drawn(*record)


def test_every_view_of_a_record_is_audited_served_or_drawn(ana, ana_plan, dr_cho):
    record = (signed_in(dr_cho), reverse("clinic:patient", args=[ana.pk]))
    views = AuditEvent.objects.filter(action="patient_view", patient=ana, actor=dr_cho)
    warm(record)  # two visits, then one served
    served(*record)
    assert views.count() == 4


def test_a_former_clinicians_new_name_is_on_the_records_they_decided(ana, dr_cho, dr_dev):
    clearance_decline(ana)  # decided by Dr Cho, who then hands Ana over to Dr Dev
    PatientProfile.objects.filter(pk=ana.pk).update(clinician=dr_dev)
    record = (signed_in(dr_dev), reverse("clinic:patient", args=[ana.pk]))
    warm(record)
    assert "by Mei Cho" in served(*record)

    dr_cho.last_name = "Chow"
    dr_cho.save()

    assert page(*record) == drawn(*record)


def test_the_triage_for_one_address_is_not_served_for_another(ana, ana_plan, dr_cho):
    red_flag(ana)
    cho = signed_in(dr_cho)
    for _ in range(2):
        assert "?next=/clinic/%3Ffrom%3Demail" in page(cho, "/clinic/?from=email")
    assert page(cho, "/clinic/") == drawn(cho, "/clinic/")


# --- privacy ------------------------------------------------------------------------------------
# Each test first gives the users the same page revision: then only the viewer (or the patient
# shown) in the cache's key keeps one person's page from being served to another.


def test_each_patient_gets_their_own_dashboard(ana, ana_plan, ben, ben_plan):
    mine = (signed_in(ana.user), reverse("me:dashboard"))
    his = (signed_in(ben.user), reverse("me:dashboard"))
    warm(mine, his)
    same_revision(ana.user, ben.user)
    for _ in range(2):
        assert shown_name(page(*mine)) == "Ana"
        assert shown_name(page(*his)) == "Ben"
    ana_page, ben_page = served(*mine), served(*his)
    assert ana_page == drawn(*mine)
    assert ben_page == drawn(*his)
    assert ana_page != ben_page


def test_another_clinician_gets_neither_the_triage_nor_the_record(
    ana, ana_plan, ben, ben_plan, dr_cho, dr_dev
):
    cho, dev = signed_in(dr_cho), signed_in(dr_dev)
    triage, record = reverse("clinic:triage"), reverse("clinic:patient", args=[ana.pk])
    warm((cho, triage), (cho, record), (dev, triage))
    same_revision(dr_cho, dr_dev)
    for _ in range(2):
        assert "Ana Tester" in page(cho, triage)
        assert get(cho, record).status_code == 200
        assert "Ana Tester" not in page(dev, triage)
        assert get(dev, record).status_code == 404
    assert served(dev, triage) == drawn(dev, triage)


def test_one_clinicians_patients_each_have_their_own_record(ana, ana_plan, dr_cho):
    cy = make_patient(
        "cy", "Cy", dr_cho, treatment="Lumbar fusion", procedure_date=patient_today(ana)
    )
    cho = signed_in(dr_cho)
    ana_record = (cho, reverse("clinic:patient", args=[ana.pk]))
    cy_record = (cho, reverse("clinic:patient", args=[cy.pk]))
    warm(ana_record, cy_record)
    same_revision(ana.user, cy.user)
    for _ in range(2):
        assert "Ana Tester" in page(*ana_record)
        assert "Cy Tester" in page(*cy_record)
        assert "Ana Tester" not in page(*cy_record)
    assert served(*cy_record) == drawn(*cy_record)


def test_staff_get_no_clinical_page_cached_or_not(ana, ana_plan, dr_cho, dee):
    pages = ana_pages(ana, dr_cho)
    warm(*pages.values())
    same_revision(ana.user, dr_cho, dee)
    staff = signed_in(dee)
    for _client, path in pages.values():
        response = get(staff, path)
        assert response.status_code == 403
        assert b"Ana Tester" not in response.content


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_served_page_carries_a_token_valid_for_the_session(ana, ana_plan, dr_cho):
    cho = signed_in(dr_cho, enforce_csrf_checks=True)
    record = reverse("clinic:patient", args=[ana.pk])
    warm((cho, record))
    response = get(cho, record)
    assert response.context is None
    posted = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]),
        {"action": "pause", "pause-reason": REASON, "csrfmiddlewaretoken": token(response.content)},
    )
    assert posted.status_code == 302
    assert open_plan(ana).status == PlanStatus.PAUSED


def test_the_sign_out_form_of_a_served_dashboard_signs_out(ana, ana_plan):
    client = signed_in(ana.user, enforce_csrf_checks=True)
    dashboard = reverse("me:dashboard")
    warm((client, dashboard))
    response = get(client, dashboard)
    assert response.context is None
    posted = client.post(reverse("logout"), {"csrfmiddlewaretoken": token(response.content)})
    assert posted.status_code == 302
    assert get(client, dashboard).status_code == 302  # to the sign-in page


def test_two_sessions_of_one_clinician_each_get_their_own_token(ana, ana_plan, dr_cho):
    first = signed_in(dr_cho, enforce_csrf_checks=True)
    second = signed_in(dr_cho, enforce_csrf_checks=True)
    record = reverse("clinic:patient", args=[ana.pk])
    warm((first, record))
    response = get(second, record)  # drawn for the first session, served to the second
    assert response.context is None
    theirs, mine = token(get(first, record).content), token(response.content)
    action = reverse("clinic:plan_action", args=[ana.pk])
    form = {"action": "pause", "pause-reason": REASON}

    assert second.post(action, {**form, "csrfmiddlewaretoken": theirs}).status_code == 403
    assert open_plan(ana).status == PlanStatus.ACTIVE
    assert second.post(action, {**form, "csrfmiddlewaretoken": mine}).status_code == 302
    assert open_plan(ana).status == PlanStatus.PAUSED


# --- messages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "message"),
    [
        # Changes the plan: the page after it is a new revision.
        ({"action": "pause", "pause-reason": REASON}, "Plan paused."),
        # Changes nothing: the page cached before is still current.
        ({"action": "resume", "resume-start_minutes": 10}, "Nothing was changed"),
    ],
    ids=["pause", "refused"],
)
def test_a_flashed_message_shows_once_on_the_next_page(ana, ana_plan, dr_cho, action, message):
    cho = signed_in(dr_cho)
    record = reverse("clinic:patient", args=[ana.pk])
    warm((cho, record))

    posted = cho.post(reverse("clinic:plan_action", args=[ana.pk]), action)
    assert posted.status_code == 302
    assert posted["Location"] == record

    assert page(cho, record).count(message) == 1
    assert message not in page(cho, record)
    assert message not in served(cho, record)


# --- the clock ----------------------------------------------------------------------------------


class Clock:
    """Django's clock and the page cache's, moved together by the test."""

    def __init__(self, monkeypatch, moment: datetime):
        self.now = moment
        monkeypatch.setattr(timezone, "now", lambda: self.now)
        monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: self.now.timestamp()))

    def set(self, moment: datetime) -> None:
        self.now = moment


def local(patient: PatientProfile, day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=patient.tz)


def test_a_dashboard_cached_before_midnight_is_not_served_after_it(ana, monkeypatch):
    day = patient_today(ana)
    clock = Clock(monkeypatch, local(ana, day, 23, 55))
    approve(ana, start=day - timedelta(days=20))  # the last day of week 3
    dashboard = (signed_in(ana.user), reverse("me:dashboard"))
    warm(dashboard)
    assert "Week 3 of your plan" in served(*dashboard)

    clock.set(local(ana, day, 23, 59))
    assert "Week 3 of your plan" in served(*dashboard)
    clock.set(local(ana, day + timedelta(days=1), 0, 1))
    after = page(*dashboard)
    assert "Week 4 of your plan" in after
    assert after == drawn(*dashboard)


def test_an_ago_on_the_triage_changes_when_its_words_do(ana, ana_plan, dr_cho, monkeypatch):
    reported = local(ana, patient_today(ana), 12)  # well clear of her midnight
    clock = Clock(monkeypatch, reported)
    red_flag(ana)
    assert Alert.objects.get(patient=ana).created_at == reported
    clock.set(reported + timedelta(seconds=5))
    triage = (signed_in(dr_cho), reverse("clinic:triage"))
    warm(triage)
    assert "Reported just now" in served(*triage)

    clock.set(reported + timedelta(seconds=59))
    assert "Reported just now" in served(*triage)
    clock.set(reported + timedelta(seconds=60))
    after = page(*triage)
    assert "Reported 1 minute ago" in after
    assert after == drawn(*triage)


def test_no_page_is_served_longer_than_the_maximum_age(ana, ana_plan, dr_cho, monkeypatch):
    noon = local(ana, patient_today(ana), 12)
    clock = Clock(monkeypatch, noon)
    record = (signed_in(dr_cho), reverse("clinic:patient", args=[ana.pk]))
    warm(record)
    clock.set(noon + timedelta(seconds=pagecache.MAX_AGE_SECONDS - 1))
    served(*record)
    clock.set(noon + timedelta(seconds=pagecache.MAX_AGE_SECONDS + 1))
    assert get(*record).context is not None  # drawn again


MOMENT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words", "changes_after"),
    [
        (0, "just now", 60),
        (59, "just now", 60),
        (60, "1 minute ago", 120),
        (119, "1 minute ago", 120),
        (120, "2 minutes ago", 180),
        (59 * 60 + 59, "59 minutes ago", 60 * 60),
        (60 * 60, "1 hour ago", 2 * 60 * 60),
        (2 * 60 * 60 - 1, "1 hour ago", 2 * 60 * 60),
        (48 * 60 * 60 - 1, "47 hours ago", 48 * 60 * 60),
        (48 * 60 * 60, "2 days ago", 72 * 60 * 60),
        (-30, "just now", 60),  # a clock a little ahead of the one that stored it
    ],
)
def test_ago_words_and_when_they_change(seconds, words, changes_after):
    text, changes = ago_text(MOMENT, MOMENT + timedelta(seconds=seconds))
    assert text == words
    assert changes == MOMENT + timedelta(seconds=changes_after)


@given(st.integers(min_value=0, max_value=30 * 24 * 60 * 60))
def test_ago_words_hold_until_the_moment_they_say_they_change(seconds):
    now = MOMENT + timedelta(seconds=seconds)
    text, changes = ago_text(MOMENT, now)
    assert changes > now
    assert ago_text(MOMENT, changes - timedelta(seconds=1))[0] == text
    assert ago_text(MOMENT, changes)[0] != text


# --- the revision -------------------------------------------------------------------------------


def stale_save_cannot_lower_the_revision(plan: Plan) -> None:
    """A full save of a user loaded before their revision moved writes the old number back."""
    patient = plan.patient
    stale = User.objects.get(pk=patient.user_id)
    plan_services.plan_pause(plan=plan, actor=patient.clinician, reason=REASON)
    (moved,) = revisions(stale)
    assert moved > stale.page_revision
    stale.last_name = "Tester-Smith"
    stale.save()
    assert revisions(stale)[0] > moved


def test_a_stale_save_cannot_lower_the_revision(ana_plan):
    stale_save_cannot_lower_the_revision(ana_plan)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestCommittedOnPostgres:
    """Real transactions: the revisions move at COMMIT, in the transaction that changed the data."""

    @pytest.fixture
    def plan(self, postgres, ana) -> Plan:
        return approve(ana, start=patient_today(ana) - timedelta(days=20))

    def test_the_revision_moves_at_commit_not_before(self, plan, ana, dr_cho):
        before = revisions(ana.user, dr_cho)
        triage = panel_revision(User.objects.get(pk=dr_cho.pk))
        with transaction.atomic():
            Plan.objects.filter(pk=plan.pk).update(stage=1)
            assert revisions(ana.user, dr_cho) == before
            assert panel_revision(User.objects.get(pk=dr_cho.pk)) == triage
        # The patient's number; the clinician's row is not written, their triage's key moves.
        assert revisions(ana.user, dr_cho) == [before[0] + 1, before[1]]
        assert panel_revision(User.objects.get(pk=dr_cho.pk)) != triage

    def test_a_stale_save_cannot_lower_the_revision(self, plan):
        stale_save_cannot_lower_the_revision(plan)

    def test_a_library_edit_moves_every_patient_once_per_statement(self, plan, ana, ben, dr_cho):
        Exercise.objects.bulk_create(
            Exercise(name=f"Stretch {n}", category="flexibility", stage=1, instructions="Slowly.")
            for n in range(3)
        )
        before = revisions(ana.user, ben.user, dr_cho)
        Exercise.objects.update(cautions="Stop if it hurts.")  # three rows, one statement
        assert revisions(ana.user, ben.user, dr_cho) == [before[0] + 1, before[1] + 1, before[2]]
        Exercise.objects.first().contraindicated_for.set(TreatmentType.objects.all()[:2])
        assert revisions(ana.user, ben.user, dr_cho) == [before[0] + 2, before[1] + 2, before[2]]

    def test_a_session_committed_elsewhere_is_on_the_next_page(self, plan, ana, dr_cho):
        pages = ana_pages(ana, dr_cho)
        warm(*pages.values())
        before = {name: served(*where) for name, where in pages.items()}

        errors = []

        def elsewhere():  # another process, in effect: its own connection, its own commit
            try:
                red_flag(ana)
            except Exception as error:  # reported to the test below
                errors.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(30)
        assert errors == []

        after = {name: page(*where) for name, where in pages.items()}
        assert all(after[name] != before[name] for name in pages)
        assert after == {name: drawn(*where) for name, where in pages.items()}


# --- a broken cache -----------------------------------------------------------------------------


class BrokenCache:
    def __init__(self, *, get_fails: bool):
        self.get_fails = get_fails

    def get(self, key, default=None):
        if self.get_fails:
            raise ConnectionError("Redis is unreachable")
        return default

    def set(self, *args, **kwargs):
        raise ConnectionError("Redis is unreachable")


@pytest.mark.parametrize("get_fails", [True, False], ids=["get fails", "set fails"])
def test_pages_are_drawn_when_the_cache_fails(ana, ana_plan, dr_cho, monkeypatch, get_fails):
    red_flag(ana)
    pages = ana_pages(ana, dr_cho)
    expected = {name: drawn(*where) for name, where in pages.items()}
    monkeypatch.setattr(pagecache, "cache", BrokenCache(get_fails=get_fails))
    for _ in range(2):
        for name, where in pages.items():
            response = get(*where)
            assert response.context is not None
            assert html(response) == expected[name]


def test_a_query_string_is_never_stored(ana, ana_plan, dr_cho, monkeypatch):
    """Every query string would be a new key: a signed-in user could fill Redis with them."""
    stored = []
    real_set = pagecache.cache.set
    monkeypatch.setattr(
        pagecache.cache, "set", lambda key, *a, **k: stored.append(key) or real_set(key, *a, **k)
    )
    cho = signed_in(dr_cho)
    for n in range(3):
        assert get(cho, f"/clinic/?n={n}").status_code == 200

    def pages() -> list[str]:  # sessions share the cache when Redis holds them
        return [key for key in stored if key.startswith("page:")]

    assert pages() == []
    get(cho, "/clinic/")
    assert len(pages()) == 1


def test_the_clinic_phone_shown_on_pages_is_part_of_the_code_version(settings):
    before = pagecache._code_version()
    settings.CLINIC_PHONE = "(555) 010-9999"
    assert pagecache._code_version() != before
