"""The clinician's pages: access, every action through its form, audit, and the page's budget."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import services as plan_services
from plans.models import Alert, PauseCause, Plan, PlanStatus, PlanWeek, SessionLog
from plans.patient_record import PATIENT_DETAIL_QUERY_BUDGET
from plans.record import TIMELINE_PAGE_SIZE
from recovery.models import (
    AuditEvent,
    ClearanceEvent,
    ClearanceStatus,
    PatientProfile,
    TreatmentType,
    User,
)
from recovery.templatetags.clinic_clock import clinic_date, clinic_time
from tests.conftest import approve, make_patient
from tests.support import text

pytestmark = pytest.mark.django_db

TODAY = date.today()


def patient_urls(patient_id: int) -> list[str]:
    return [
        reverse("clinic:patient", args=[patient_id]),
        reverse("clinic:clearance", args=[patient_id]),
        reverse("clinic:plan_action", args=[patient_id]),
    ]


def all_urls(patient_id: int, alert_id: int) -> list[str]:
    return [
        reverse("clinic:triage"),
        reverse("clinic:enrol"),
        *patient_urls(patient_id),
        reverse("clinic:alert_close", args=[alert_id]),
    ]


def red_flag(patient: PatientProfile, flags=("numbness",), *, day: date | None = None) -> Alert:
    logged = plan_services.session_log_create(
        patient=patient,
        day=day or plan_services.patient_today(patient),
        activity="walking",
        minutes=10,
        pain=3,
        red_flags=flags,
    )
    return logged.alert


def form_errors(response, name: str) -> dict:
    return response.context["forms"][name].errors


@pytest.fixture
def ana_alert(ana_plan, ana) -> Alert:
    return red_flag(ana)


# --- access ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, ana, ana_alert):
    for url in all_urls(ana.pk, ana_alert.pk):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("persona", ["ana", "dee"])
def test_patients_and_staff_get_403(client, persona, request, ana, ana_alert):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    for url in all_urls(ana.pk, ana_alert.pk):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


def test_other_clinicians_patient_is_404_everywhere_and_post_changes_nothing(
    client, dr_dev, ana, ana_plan, ana_alert
):
    client.force_login(dr_dev)
    audit_before = AuditEvent.objects.count()
    for url in [*patient_urls(ana.pk), reverse("clinic:alert_close", args=[ana_alert.pk])]:
        assert client.get(url).status_code == 404, url
    posts = [
        ("clinic:plan_action", {"action": "pause", "pause-reason": "Not my patient at all."}),
        ("clinic:plan_action", {"action": "resume", "resume-start_minutes": 10}),
        ("clinic:plan_action", {"action": "stage", "stage-stage": 1}),
        ("clinic:clearance", {"action": "revoke", "revoke-reason": "Not my patient at all."}),
        ("clinic:clearance", {"action": "request"}),
    ]
    for name, data in posts:
        assert client.post(reverse(name, args=[ana.pk]), data).status_code == 404, name
    assert client.post(reverse("clinic:alert_close", args=[ana_alert.pk]), CLOSE).status_code == 404
    ana_alert.refresh_from_db()
    assert ana_alert.acknowledged_at is None
    ana_plan.refresh_from_db()
    assert (ana_plan.status, ana_plan.stage) == (PlanStatus.PAUSED, 2)
    assert Plan.objects.filter(patient=ana).count() == 1
    assert ana.clearances.get().status == ClearanceStatus.APPROVED
    assert AuditEvent.objects.count() == audit_before  # not even a "patient_view"


def test_other_clinicians_pending_clearance_cannot_be_approved(client, dr_dev, ana):
    client.force_login(dr_dev)
    response = client.post(reverse("clinic:clearance", args=[ana.pk]), approve_data(start=TODAY))
    assert response.status_code == 404
    assert ana.clearances.get().status == ClearanceStatus.PENDING
    assert not Plan.objects.filter(patient=ana).exists()


def test_triage_lists_only_own_patients(cho, ana, ben):
    response = cho.get(reverse("clinic:triage"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("clinic:patient", args=[ana.pk]) in html
    assert reverse("clinic:patient", args=[ben.pk]) not in html
    assert "Add a patient" in html


# --- enrolling ------------------------------------------------------------------------------------


def enrol_data(**overrides) -> dict:
    return {
        "first_name": " Carla ",
        "last_name": "Diaz",
        "email": "carla@EXAMPLE.org",
        "treatment_type": TreatmentType.objects.get(name="Laminectomy").pk,
        "procedure_date": (TODAY - timedelta(days=3)).isoformat(),
        "timezone": "Europe/Madrid",
        "date_of_birth": "1958-09-30",
        "phone": "+34 612 345 678",
        **overrides,
    }


def test_enrol_form_shows_active_treatment_types_only(cho):
    TreatmentType.objects.filter(name="Laminectomy").update(active=False)
    response = cho.get(reverse("clinic:enrol"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lumbar fusion" in html
    assert "Laminectomy" not in html


def test_enrol_creates_patient_pending_clearance_and_emails_a_link(
    cho, dr_cho, django_capture_on_commit_callbacks, celery_in_process
):
    with django_capture_on_commit_callbacks(execute=True):
        response = cho.post(reverse("clinic:enrol"), enrol_data())
    patient = PatientProfile.objects.get(user__email="carla@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient", args=[patient.pk])
    assert patient.clinician == dr_cho
    assert patient.timezone == "Europe/Madrid"
    assert patient.user.first_name == "Carla"
    assert not patient.user.has_usable_password()
    clearance = patient.clearances.get()
    assert clearance.status == ClearanceStatus.PENDING
    assert clearance.treatment.procedure_date == TODAY - timedelta(days=3)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carla@example.org"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_enrol_refuses_an_email_in_use_beside_the_field(cho, ana):
    response = cho.post(reverse("clinic:enrol"), enrol_data(email="ANA@example.org"))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["An account with this e-mail address already exists."]
    }
    assert 'id="error_1_id_email"' in response.content.decode()
    assert User.objects.filter(email__iexact="ana@example.org").count() == 1


def test_enrol_refuses_a_future_date_unless_planned(cho):
    future = (TODAY + timedelta(days=10)).isoformat()
    response = cho.post(reverse("clinic:enrol"), enrol_data(procedure_date=future))
    assert response.status_code == 400
    assert "planned procedure" in response.context["form"].errors["procedure_date"][0]
    assert not PatientProfile.objects.filter(user__email="carla@example.org").exists()

    response = cho.post(reverse("clinic:enrol"), enrol_data(procedure_date=future, planned="on"))
    assert response.status_code == 302
    assert PatientProfile.objects.filter(user__email="carla@example.org").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("first_name", ""), ("timezone", "Mars/Olympus")],
)
def test_enrol_bad_input_stores_nothing(cho, field, value):
    response = cho.post(reverse("clinic:enrol"), enrol_data(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert PatientProfile.objects.count() == 0


def test_enrol_refuses_an_inactive_treatment_type(cho):
    TreatmentType.objects.filter(name="Laminectomy").update(active=False)
    response = cho.post(reverse("clinic:enrol"), enrol_data())
    assert response.status_code == 400
    assert "treatment_type" in response.context["form"].errors


# --- the patient page ----------------------------------------------------------------------------


def test_patient_page_shows_record_and_audits_the_view(cho, dr_cho, ana, ana_plan):
    plan_services.session_log_create(
        patient=ana,
        day=plan_services.patient_today(ana) - timedelta(days=1),
        activity="walking",
        minutes=25,
        pain=8,
        sharp_pain=True,
        notes="Felt a twinge on the hill.",
    )
    red_flag(ana, ("saddle_numbness",))
    response = cho.get(reverse("clinic:patient", args=[ana.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    html = response.content.decode()
    for words in (
        "Epidural steroid injection",
        "New numbness in the groin, buttocks or inner thighs, or when wiping",
        "Felt a twinge on the hill.",
        "Clearance pending → approved",
        'id="weeks"',
        'id="timeline"',
        "<svg",
    ):
        assert words in html, words
    event = AuditEvent.objects.filter(action="patient_view").get()
    assert (event.actor, event.patient, event.ip) == (dr_cho, ana, "10.1.2.3")


def test_patient_page_closes_the_weeks_that_have_ended(cho, ana, ana_plan):
    # Ana's plan started 20 days ago: weeks 2 and 3 are decided when her record is opened.
    assert list(PlanWeek.objects.filter(plan=ana_plan).values_list("week", flat=True)) == [1]
    cho.get(reverse("clinic:patient", args=[ana.pk]))
    weeks = PlanWeek.objects.filter(plan=ana_plan).values_list("week", flat=True)
    assert sorted(weeks) == [1, 2, 3]


def test_patient_page_of_a_new_patient_without_plan(cho, ana):
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    assert response.status_code == 200
    assert "Decide on clearance" in response.content.decode()
    assert response.context["forms"] == {}


def test_pause_and_resume_through_forms(cho, dr_cho, ana, ana_plan):
    url = reverse("clinic:plan_action", args=[ana.pk])
    response = cho.post(url, {"action": "pause", "pause-reason": "Flare-up reported by phone."})
    assert response.status_code == 302
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    assert (ana_plan.pause_cause, ana_plan.pause_reason) == (
        PauseCause.CLINICIAN,
        "Flare-up reported by phone.",
    )
    assert AuditEvent.objects.filter(action="plan_pause", actor=dr_cho, patient=ana).exists()

    response = cho.post(url, {"action": "resume", "resume-start_minutes": "12"})
    assert response.status_code == 302
    new_plan = Plan.objects.get(patient=ana, status=PlanStatus.ACTIVE)
    assert new_plan.restarted_from == ana_plan
    assert new_plan.start_minutes == 12
    assert new_plan.weeks.get().minutes == 12
    assert AuditEvent.objects.filter(action="plan_resume", actor=dr_cho).exists()


def test_pause_without_a_real_reason_is_refused_beside_the_field(cho, ana, ana_plan):
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]), {"action": "pause", "pause-reason": "tired"}
    )
    assert response.status_code == 400
    assert "at least 10 characters" in form_errors(response, "pause")["reason"][0]
    assert 'id="error_1_id_pause-reason"' in response.content.decode()
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE


@pytest.mark.parametrize("minutes", ["9", "16", "", "ten"])
def test_resume_minutes_outside_10_to_15_are_refused(cho, ana, ana_plan, minutes):
    plan_services.plan_pause(plan=ana_plan, actor=ana.clinician, reason="Flare-up reported.")
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]),
        {"action": "resume", "resume-start_minutes": minutes},
    )
    assert response.status_code == 400
    assert "start_minutes" in form_errors(response, "resume")
    assert Plan.objects.filter(patient=ana).count() == 1


def test_resume_after_a_revoked_clearance_is_refused_with_the_reason(cho, ana, ana_plan):
    plan_services.clearance_revoke(
        clearance=ana_plan.clearance, actor=ana.clinician, reason="New MRI findings to review."
    )
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]),
        {"action": "resume", "resume-start_minutes": "10"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("clinic:patient", args=[ana.pk]), 302)]
    assert "Nothing was changed: Clearance was withdrawn" in response.content.decode()
    assert Plan.objects.filter(patient=ana).count() == 1


def rules_data(**overrides) -> dict:
    data = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 60,
        "sessions_per_week": 4,
        **overrides,
    }
    return {"action": "rules", **{f"rules-{k}": v for k, v in data.items()}}


def test_rules_change_within_bounds(cho, dr_cho, ana, ana_plan):
    response = cho.post(reverse("clinic:plan_action", args=[ana.pk]), rules_data())
    assert response.status_code == 302
    ana_plan.refresh_from_db()
    assert (ana_plan.target_minutes, ana_plan.sessions_per_week) == (60, 4)
    audit = AuditEvent.objects.get(action="plan_update_rules")
    assert audit.actor == dr_cho
    assert audit.detail["after"]["target_minutes"] == 60


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_minutes": 20}, "start_minutes"),
        ({"min_increment": 4}, "min_increment"),
        ({"max_increment": 11}, "max_increment"),
        ({"min_increment": 8, "max_increment": 6}, "max_increment"),
        ({"target_minutes": 12}, "target_minutes"),
        ({"target_minutes": 121}, "target_minutes"),
        ({"sessions_per_week": 0}, "sessions_per_week"),
        ({"sessions_per_week": 8}, "sessions_per_week"),
    ],
)
def test_rules_outside_the_engine_bounds_are_refused(cho, ana, ana_plan, overrides, field):
    response = cho.post(reverse("clinic:plan_action", args=[ana.pk]), rules_data(**overrides))
    assert response.status_code == 400
    assert list(form_errors(response, "rules")) == [field]
    assert f'id="error_1_id_rules-{field}"' in response.content.decode()
    ana_plan.refresh_from_db()
    assert ana_plan.target_minutes == 40


def test_stage_4_needs_the_sign_off(cho, dr_cho, ana, ana_plan):
    url = reverse("clinic:plan_action", args=[ana.pk])
    response = cho.post(url, {"action": "stage", "stage-stage": "4"})
    assert response.status_code == 400
    assert "sign-off" in form_errors(response, "stage")["signed_off"][0]
    ana_plan.refresh_from_db()
    assert ana_plan.stage == 2

    response = cho.post(url, {"action": "stage", "stage-stage": "4", "stage-signed_off": "on"})
    assert response.status_code == 302
    ana_plan.refresh_from_db()
    assert ana_plan.stage == 4
    detail = AuditEvent.objects.get(action="plan_set_stage").detail
    assert (detail["before"], detail["after"]) == (2, 4)


def test_lowering_the_stage_keeps_first_activities(cho, ana, ana_plan):
    """Walking and cycling are first activities (DESIGN §1 rule 2): stage 1 keeps them."""
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]), {"action": "stage", "stage-stage": "1"}
    )
    assert response.status_code == 302
    ana_plan.refresh_from_db()
    assert (ana_plan.stage, ana_plan.allowed_activities) == (1, ["walking", "recumbent_bike"])


@pytest.mark.parametrize("stage", ["0", "5", "x"])
def test_stage_out_of_range_is_refused(cho, ana, ana_plan, stage):
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]), {"action": "stage", "stage-stage": stage}
    )
    assert response.status_code == 400
    assert "stage" in form_errors(response, "stage")


def test_a_stale_pause_or_resume_changes_nothing_and_says_why(cho, ana, ana_plan):
    url = reverse("clinic:plan_action", args=[ana.pk])
    response = cho.post(url, {"action": "resume", "resume-start_minutes": "10"}, follow=True)
    assert "Nothing was changed: the plan is active now." in response.content.decode()
    red_flag(ana)  # pauses the plan while the clinician's page still offers "Pause"
    response = cho.post(url, {"action": "pause", "pause-reason": "x"}, follow=True)
    assert "Nothing was changed: the plan is paused now." in response.content.decode()
    assert Plan.objects.filter(patient=ana).count() == 1


def test_unknown_action_and_get_are_refused(cho, ana, ana_plan):
    url = reverse("clinic:plan_action", args=[ana.pk])
    assert cho.post(url, {"action": "delete"}).status_code == 400
    assert cho.get(url).status_code == 405


def test_plan_action_without_a_plan_changes_nothing(cho, ana):
    response = cho.post(
        reverse("clinic:plan_action", args=[ana.pk]),
        {"action": "pause", "pause-reason": "Nothing to pause here."},
    )
    assert response.status_code == 302
    assert not Plan.objects.filter(patient=ana).exists()


# --- clearance ------------------------------------------------------------------------------------


def approve_data(*, start: date, **overrides) -> dict:
    data = {
        "start_date": start.isoformat(),
        "max_stage": "1",
        "allowed_activities": ["walking"],
        "start_minutes": "10",
        "min_increment": "5",
        "max_increment": "5",
        "target_minutes": "30",
        "sessions_per_week": "5",
        "restrictions": "  No lifting over 5 kg.  ",
        "override_reason": "",
        **overrides,
    }
    return {"action": "approve", **{f"approve-{k}": v for k, v in data.items()}}


@pytest.fixture
def dora(dr_cho) -> PatientProfile:
    """Dr Cho's patient, five days after a lumbar fusion (minimum 14 days)."""
    return make_patient(
        "dora", "Dora", dr_cho, treatment="Lumbar fusion", procedure_date=TODAY - timedelta(days=5)
    )


def test_clearance_page_prefills_the_treatment_defaults(client, ben, dr_dev):
    client.force_login(dr_dev)
    response = client.get(reverse("clinic:clearance", args=[ben.pk]))
    assert response.status_code == 200
    form = response.context["forms"]["approve"]
    assert form["start_minutes"].value() == 10
    assert form["max_increment"].value() == 5
    assert form["target_minutes"].value() == 30
    assert form["max_stage"].value() == 1
    # First activities at stage 1; no water before a wound is seen healed.
    assert form["allowed_activities"].value() == ["walking", "recumbent_bike", "stationary_bike"]
    assert form["start_date"].value() == plan_services.patient_today(ben)
    assert "decline" in response.context["forms"]
    assert "override_reason" not in form.fields  # 60 days after the procedure: not needed
    assert AuditEvent.objects.filter(action="patient_view", patient=ben).exists()


def test_approve_starts_the_plan(cho, dr_cho, ana):
    today = plan_services.patient_today(ana)
    response = cho.post(reverse("clinic:clearance", args=[ana.pk]), approve_data(start=today))
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient", args=[ana.pk])
    clearance = ana.clearances.get()
    assert clearance.status == ClearanceStatus.APPROVED
    assert clearance.restrictions == "No lifting over 5 kg."
    assert clearance.decided_by == dr_cho
    plan = Plan.objects.get(patient=ana)
    assert (plan.start_date, plan.stage, plan.allowed_activities) == (today, 1, ["walking"])
    assert plan.weeks.get().minutes == 10
    assert list(clearance.events.values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "approved"),
    ]


def test_approval_before_the_minimum_needs_an_override_reason(cho, dora):
    url = reverse("clinic:clearance", args=[dora.pk])
    page = cho.get(url).content.decode()
    assert "Approving today needs an override reason" in page
    earliest = TODAY - timedelta(days=5) + timedelta(days=14)
    assert f"{earliest:%-d %B %Y}" in page

    today = plan_services.patient_today(dora)
    response = cho.post(url, approve_data(start=today))
    assert response.status_code == 400
    error = form_errors(response, "approve")["override_reason"][0]
    assert "override reason" in error and f"{earliest:%-d %B %Y}" in error
    assert 'id="error_1_id_approve-override_reason"' in response.content.decode()
    assert dora.clearances.get().status == ClearanceStatus.PENDING
    assert not Plan.objects.filter(patient=dora).exists()

    response = cho.post(url, approve_data(start=today, override_reason="  too soon "))
    assert response.status_code == 400
    error = form_errors(response, "approve")["override_reason"][0]
    assert "at least 20 characters" in error
    assert dora.clearances.get().status == ClearanceStatus.PENDING

    response = cho.post(
        url, approve_data(start=today, override_reason="Surgeon confirmed healing at review.")
    )
    assert response.status_code == 302
    clearance = dora.clearances.get()
    assert clearance.override_reason == "Surgeon confirmed healing at review."
    assert clearance.events.last().reason == "Override: Surgeon confirmed healing at review."


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_date": (TODAY - timedelta(days=2)).isoformat()}, "start_date"),
        ({"max_stage": "2", "allowed_activities": ["walking", "elliptical"]}, "allowed_activities"),
        ({"allowed_activities": []}, "allowed_activities"),
        ({"allowed_activities": ["flying"]}, "allowed_activities"),
        ({"max_stage": "4"}, "max_stage"),
        ({"start_minutes": "9"}, "start_minutes"),
        ({"min_increment": "10", "max_increment": "5"}, "max_increment"),
    ],
)
def test_approve_bad_input_is_refused_beside_the_field(cho, ana, overrides, field):
    response = cho.post(
        reverse("clinic:clearance", args=[ana.pk]), approve_data(start=TODAY, **overrides)
    )
    assert response.status_code == 400
    assert field in form_errors(response, "approve"), form_errors(response, "approve")
    assert ana.clearances.get().status == ClearanceStatus.PENDING
    assert not Plan.objects.filter(patient=ana).exists()


def test_decline_needs_a_reason_and_is_recorded(cho, dr_cho, ana):
    url = reverse("clinic:clearance", args=[ana.pk])
    response = cho.post(url, {"action": "decline", "decline-reason": "no"})
    assert response.status_code == 400
    assert "reason" in form_errors(response, "decline")
    assert ana.clearances.get().status == ClearanceStatus.PENDING

    response = cho.post(url, {"action": "decline", "decline-reason": "Wound not yet healed."})
    assert response.status_code == 302
    clearance = ana.clearances.get()
    assert clearance.status == ClearanceStatus.DECLINED
    event = clearance.events.last()
    assert (event.actor, event.reason) == (dr_cho, "Wound not yet healed.")
    page = cho.get(url).content.decode()
    assert "Wound not yet healed." in page
    assert "Open a new clearance request" in page


def test_revoke_pauses_the_plan_and_a_new_request_can_be_opened(cho, ana, ana_plan):
    url = reverse("clinic:clearance", args=[ana.pk])
    assert "revoke" in cho.get(url).context["forms"]
    response = cho.post(url, {"action": "revoke", "revoke-reason": "short"})
    assert response.status_code == 400
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE

    response = cho.post(url, {"action": "revoke", "revoke-reason": "New MRI findings to review."})
    assert response.status_code == 302
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    assert ana.clearances.get().status == ClearanceStatus.REVOKED

    response = cho.post(url, {"action": "request"})
    assert response.status_code == 302
    assert ana.clearances.filter(status=ClearanceStatus.PENDING).count() == 1
    assert cho.get(url).context["forms"].keys() == {"approve", "decline"}


def test_decisions_on_a_closed_clearance_are_refused(cho, ana):
    url = reverse("clinic:clearance", args=[ana.pk])
    cho.post(url, {"action": "decline", "decline-reason": "Wound not yet healed."})
    response = cho.post(url, approve_data(start=TODAY), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Nothing was changed: this clearance is declined." in response.content.decode()
    assert "Open a new clearance request" in response.content.decode()
    assert not Plan.objects.filter(patient=ana).exists()
    response = cho.post(url, {"action": "revoke", "revoke-reason": "Changed my mind today."})
    assert response.status_code == 302
    assert ana.clearances.get().status == ClearanceStatus.DECLINED
    assert cho.post(url, {"action": "nonsense"}).status_code == 400


def test_clearance_history_is_read_only_on_the_page(cho, ana, ana_plan):
    html = cho.get(reverse("clinic:clearance", args=[ana.pk])).content.decode()
    assert 'id="clearance-history"' in html
    assert "Pending → Approved" in html
    # No way to change an event: the only forms are the decision forms.
    assert (
        "event"
        not in "".join(line for line in html.splitlines() if 'name="action"' in line).lower()
    )
    assert ClearanceEvent.objects.filter(clearance__patient=ana).count() == 2


@pytest.mark.parametrize(
    ("moment", "zone", "time_text", "date_text"),
    [
        # 03:30 UTC on the 24th is still the evening of the 23rd in New York.
        (
            datetime(2026, 11, 24, 3, 30, tzinfo=UTC),
            "America/New_York",
            "23 Nov 2026, 22:30 EST",
            "23 Nov 2026",
        ),
        (
            datetime(2026, 7, 1, 3, 30, tzinfo=UTC),
            "America/New_York",
            "30 Jun 2026, 23:30 EDT",
            "30 Jun 2026",
        ),
        (datetime(2026, 11, 24, 3, 30, tzinfo=UTC), "UTC", "24 Nov 2026, 03:30 UTC", "24 Nov 2026"),
        (None, "UTC", "", ""),
    ],
)
def test_clinic_times_carry_their_zone_and_dates_are_the_clinics(
    settings, moment, zone, time_text, date_text
):
    settings.CLINIC_TIME_ZONE = zone
    assert clinic_time(moment) == time_text
    assert clinic_date(moment) == date_text


def test_clinicians_read_decision_times_on_the_clinics_clock(settings, cho, ana, ana_plan):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    ana.clearances.update(decided_at=datetime(2026, 11, 24, 3, 30, tzinfo=UTC))
    event = ClearanceEvent.objects.filter(clearance__patient=ana).latest("at")
    for name, decided in [
        ("clinic:patient", "23 Nov 2026, 22:30 EST"),
        ("clinic:clearance", "23 November 2026, 22:30 EST"),
    ]:
        html = cho.get(reverse(name, args=[ana.pk])).content.decode()
        assert decided in html
        assert clinic_time(event.at) in html  # the clearance history
        assert "UTC" not in html


# --- alerts ---------------------------------------------------------------------------------------


CLOSE = {"outcome": "spoke_advised", "note": "Called at 10:05; advised rest and a GP review."}


def test_closing_asks_what_was_done_and_records_it(cho, dr_cho, ana, ana_alert):
    url = reverse("clinic:alert_close", args=[ana_alert.pk])
    page = cho.get(url).content.decode()
    assert "What was done?" in page and "Close the alert" in page
    assert "New numbness" in page  # the alert itself, to decide on
    response = cho.post(url, CLOSE)
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:triage")
    ana_alert.refresh_from_db()
    assert ana_alert.acknowledged_by == dr_cho
    assert timezone.now() - ana_alert.acknowledged_at < timedelta(minutes=1)
    assert (ana_alert.outcome, ana_alert.outcome_note) == (
        "spoke_advised",
        "Called at 10:05; advised rest and a GP review.",
    )
    event = AuditEvent.objects.get(action="alert_acknowledge", actor=dr_cho)
    assert event.detail == {"done": "spoke_advised"}  # the note is clinical: not in the audit
    # A second submission says so and changes nothing.
    response = cho.post(url, {"outcome": "no_answer"}, follow=True)
    assert "already closed" in response.content.decode()
    ana_alert.refresh_from_db()
    assert ana_alert.outcome == "spoke_advised"


def test_one_click_closes_nothing(cho, ana_alert):
    """The old one-click button posted nothing but the CSRF token and `next`."""
    url = reverse("clinic:alert_close", args=[ana_alert.pk])
    response = cho.post(url, {"next": "/clinic/"})
    assert response.status_code == 400
    assert "Choose what was done about this alert." in response.content.decode()
    ana_alert.refresh_from_db()
    assert (ana_alert.acknowledged_at, ana_alert.outcome) == (None, "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"outcome": "other"}, "note", "Say in the note what was done."),
        ({"outcome": "plan_ended"}, "outcome", "Select a valid choice."),
        ({"outcome": "not_recorded"}, "outcome", "Select a valid choice."),
        (
            {"outcome": "spoke_advised", "note": "x" * 1001},
            "note",
            "The note can be at most 1000 characters (it has 1001).",
        ),
    ],
)
def test_a_bad_close_is_refused_beside_the_field_and_stores_nothing(
    cho, ana_alert, data, field, message
):
    response = cho.post(reverse("clinic:alert_close", args=[ana_alert.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="error-summary"' in html
    assert f'href="#id_{field}' in html
    ana_alert.refresh_from_db()
    assert ana_alert.acknowledged_at is None


def test_closing_returns_to_a_local_page_only(cho, ana, ana_alert):
    patient_url = reverse("clinic:patient", args=[ana.pk])
    response = cho.post(
        reverse("clinic:alert_close", args=[ana_alert.pk]), {**CLOSE, "next": patient_url}
    )
    assert response["Location"] == patient_url
    alert = red_flag_again(ana)
    response = cho.post(
        reverse("clinic:alert_close", args=[alert.pk]), {**CLOSE, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("clinic:triage")


def test_triage_keeps_a_closed_alert_in_sight_for_the_day(cho, dr_cho, ana, ana_alert):
    cho.post(reverse("clinic:alert_close", args=[ana_alert.pk]), CLOSE)
    html = cho.get(reverse("clinic:triage")).content.decode()
    assert 'id="closed-today"' in html
    closed = html[html.index('id="closed-today"') :]
    assert "Ana Tester" in closed and "Mei Cho" in closed
    assert "Spoke with the patient and advised them" in closed
    assert "advised rest and a GP review" in closed
    # Closed yesterday on the clinic's clock: no longer listed.
    Alert.objects.filter(pk=ana_alert.pk).update(
        acknowledged_at=timezone.now() - timedelta(days=1, hours=1)
    )
    assert 'id="closed-today"' not in cho.get(reverse("clinic:triage")).content.decode()


def test_the_record_shows_who_closed_an_alert_and_what_was_done(cho, ana, ana_alert):
    cho.post(reverse("clinic:alert_close", args=[ana_alert.pk]), CLOSE)
    entry = entry_text(
        cho.get(reverse("clinic:patient", args=[ana.pk])), f'data-alert="{ana_alert.pk}"'
    )
    assert "by Mei Cho: Spoke with the patient and advised them" in entry
    assert "advised rest and a GP review" in entry


def red_flag_again(patient: PatientProfile) -> Alert:
    plan = Plan.objects.get(patient=patient, status=PlanStatus.PAUSED)
    plan_services.plan_resume(
        plan=plan,
        actor=patient.clinician,
        start_minutes=10,
        today=plan_services.patient_today(patient),
    )
    return red_flag(patient, ("fever",))


# --- budget ---------------------------------------------------------------------------------------


def seed_long_history(
    patient: PatientProfile, weeks: int, *, prescribed: int | None = None
) -> Plan:
    """A plan in its week `weeks`, weeks 1..`prescribed` (default: all) already prescribed and
    five sessions logged in each finished week."""
    prescribed = weeks if prescribed is None else prescribed
    today = plan_services.patient_today(patient)
    start = today - timedelta(days=7 * weeks - 3)
    plan = plan_services.clearance_approve(
        clearance=patient.clearances.get(status="pending"),
        actor=patient.clinician,
        rules={
            "start_minutes": 15,
            "min_increment": 5,
            "max_increment": 10,
            "target_minutes": 60,
            "sessions_per_week": 5,
        },
        max_stage=2,
        allowed_activities=["walking"],
        start_date=today,
        today=today,
    )
    Plan.objects.filter(pk=plan.pk).update(start_date=start)
    PlanWeek.objects.bulk_create(
        PlanWeek(
            plan=plan,
            week=k,
            minutes=60,
            sessions_per_week=5,
            decision="maintain",
            reason="You have reached your target of 60 minutes, so next week stays there.",
        )
        for k in range(2, prescribed + 1)
    )
    SessionLog.objects.bulk_create(
        SessionLog(
            plan=plan,
            date=start + timedelta(days=7 * (k - 1) + i),
            week=k,
            activity="walking",
            minutes=60,
            pain=2,
            submission_token=uuid.uuid4(),
        )
        for k in range(1, weeks)
        for i in range(5)
    )
    plan.refresh_from_db()
    return plan


def test_patient_page_budget_with_a_long_history(cho, ana, django_assert_max_num_queries):
    plan = seed_long_history(ana, weeks=150)
    url = reverse("clinic:patient", args=[ana.pk])
    response = cho.get(url)  # its query budget: tests/test_query_budgets.py
    assert response.status_code == 200
    assert len(response.context["d"].weeks) == 150
    assert len(response.context["record"].entries) == TIMELINE_PAGE_SIZE
    assert response.context["d"].logged_count == 149 * 5
    assert PlanWeek.objects.filter(plan=plan).count() == 150  # nothing left to close


def test_patient_page_budget_does_not_grow_with_history(cho, ana, dr_cho):
    eve = make_patient(
        "eve",
        "Eve",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=TODAY - timedelta(days=30),
    )
    seed_long_history(ana, weeks=3)
    seed_long_history(eve, weeks=60)
    counts = []
    for patient in (ana, eve):
        url = reverse("clinic:patient", args=[patient.pk])
        cho.get(url)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert cho.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_closing_a_week_on_view_costs_the_same_whatever_the_history(cho, ana, dr_cho):
    """When a week ended since the reminder job ran, the page decides it: a fixed extra cost."""
    eve = make_patient(
        "eve",
        "Eve",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=TODAY - timedelta(days=30),
    )
    plans = [seed_long_history(ana, 3, prescribed=2), seed_long_history(eve, 100, prescribed=99)]
    counts = []
    cho.get(reverse("clinic:triage"))
    for patient, plan in zip((ana, eve), plans, strict=True):
        with CaptureQueriesContext(connection) as queries:
            response = cho.get(reverse("clinic:patient", args=[patient.pk]))
        counts.append(len(queries))
        last = PlanWeek.objects.filter(plan=plan).order_by("week").last()
        assert (last.week, last.decision) == (response.context["d"].current_week, "maintain")
    assert counts[0] == counts[1]
    # Steady state plus: two savepoint statements (tests run inside a transaction), the plan's
    # row lock, its prescribed weeks, the closed week's sessions and one insert.
    assert counts[0] <= PATIENT_DETAIL_QUERY_BUDGET + 6


def test_raising_the_stage_adds_swimming_from_the_patient_page(client, dr_cho, ana):
    plan = approve(ana, start=date.today(), stage=1, activities=("walking",))
    client.force_login(dr_cho)
    response = client.post(
        f"/clinic/patients/{ana.pk}/plan/",
        {"action": "stage", "stage-stage": "2", "stage-allowed_activities": ["walking", "water"]},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.stage, plan.allowed_activities) == (2, ["walking", "water"])


def test_a_new_sign_in_link_for_a_patient_who_never_chose_a_password(
    client, dr_cho, dr_dev, mailoutbox, django_capture_on_commit_callbacks
):
    from datetime import date as _date

    from plans.services import patient_enrol
    from recovery.models import AuditEvent, TreatmentType

    with django_capture_on_commit_callbacks(execute=True):
        cara = patient_enrol(
            clinician=dr_cho,
            first_name="Cara",
            last_name="New",
            email="cara@example.org",
            treatment_type=TreatmentType.objects.get(name="Laminectomy"),
            procedure_date=_date.today(),
            today=_date.today(),
        )
    assert len(mailoutbox) == 1
    client.force_login(dr_cho)
    page = client.get(f"/clinic/patients/{cara.pk}/")
    assert b"Send a new sign-in link" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/clinic/patients/{cara.pk}/invite/")
    assert response.status_code == 302
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["cara@example.org"]
    assert "/accounts/reset/" in mailoutbox[1].body
    assert AuditEvent.objects.filter(action="patient_invite_resent", actor=dr_cho).count() == 1
    # Another clinician's patient: not found, nothing sent.
    client.force_login(dr_dev)
    assert client.post(f"/clinic/patients/{cara.pk}/invite/").status_code == 404
    assert len(mailoutbox) == 2


def test_no_new_link_once_a_password_is_chosen(client, dr_cho, ana, mailoutbox):
    client.force_login(dr_cho)
    response = client.post(f"/clinic/patients/{ana.pk}/invite/", follow=True)
    assert "already chosen a password" in response.content.decode()
    assert mailoutbox == []


# --- version 2: pain before → after, the pain response, symptom reports, alerts -------------------


def log_session(patient: PatientProfile, *, days_ago: int = 0, **fields):
    return plan_services.session_log_create(
        patient=patient,
        day=plan_services.patient_today(patient) - timedelta(days=days_ago),
        activity="walking",
        minutes=15,
        **fields,
    ).log


def log_row(response, log: SessionLog) -> str:
    """The visible text of one session's entry in the record's timeline."""
    assert [e for e in response.context["record"].entries if e.kind == "session" and e.pk == log.pk]
    return entry_text(response, f'data-log="{log.pk}"')


def test_record_shows_pain_before_and_after_the_response_in_words_and_the_notes(cho, ana, ana_plan):
    red = log_session(
        ana, pain_before=2, pain=8, pain_duration="later", notes="Sore on the stairs after."
    )
    amber = log_session(ana, days_ago=1, pain_before=3, pain=5, pain_duration="within_2h")
    green = log_session(ana, days_ago=2, pain_before=1, pain=2, pain_duration="within_2h")
    sharp = log_session(ana, days_ago=3, pain_before=2, pain=3, sharp_pain=True)
    old = SessionLog.objects.create(  # logged before version 2: no pain before, no answer
        plan=ana_plan, date=ana_plan.start_date, week=1, activity="walking", minutes=15
    )
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    assert response.status_code == 200
    entry = log_row(response, red)
    for words in ("2 → 8", "Too much (red)", "2 hours to the next day", "Sore on the stairs"):
        assert words in entry, words
    assert "In between (amber)" in log_row(response, amber)
    assert "3 → 5" in log_row(response, amber)
    assert "Comfortable (green)" in log_row(response, green)
    assert "Too much (red)" in log_row(response, sharp) and " Yes " in log_row(response, sharp)
    entry = log_row(response, old)
    assert "Not given" in entry and "Pain before → after — " in entry
    # The colour is never the only cue: each badge carries its word and its colour's name.
    html = response.content.decode()
    assert 'class="badge pain-response pain-red text-bg-danger">Too much (red)</span>' in html


def test_record_shows_the_follow_up_answer_as_how_long_the_pain_lasted(cho, ana, ana_plan):
    log = log_session(ana, days_ago=1, pain_before=2, pain=6, pain_duration="not_settled")
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    assert "Not settled when logged (no answer yet)" in log_row(response, log)
    plan_services.session_pain_follow_up(patient=ana, log_id=log.pk, settled="later")
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    entry = log_row(response, log)
    assert "Settled later that day (answered next day)" in entry
    assert "Too much (red)" in entry  # later that day is more than 2 hours


def test_record_shows_symptom_reports_and_alerts_with_their_escalation(
    settings, cho, dr_cho, ana, ana_plan
):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.CLINIC_ALERT_EMAIL = "on-call@clinic.example"
    severe = log_session(ana, days_ago=1, pain_before=3, pain=9, pain_duration="within_2h")
    severe_alert = Alert.objects.get(session_log=severe)
    sent_at = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    Alert.objects.filter(pk=severe_alert.pk).update(escalated_at=sent_at)
    report, sign = plan_services.symptom_report_create(patient=ana, red_flags=["fever"], pain_now=4)
    plan_services.alert_acknowledge(alert=sign, actor=dr_cho, outcome="spoke_advised")
    fall, _ = plan_services.symptom_report_create(patient=ana, pain_now=3, red_flags=["fall"])

    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    page = text(response)
    day = plan_services.patient_today(ana) - timedelta(days=1)
    # Open alerts first: the severe pain of a session, then the fall.
    open_rows = response.context["d"].open_alerts
    assert [(r.alert.kind, r.what) for r in open_rows] == [
        ("severe_pain", f"Severe pain (9/10) on {day:%A}"),
        ("warning_sign", "A fall"),
    ]
    assert "Same day: Severe pain (9/10)" in page
    assert f"Session on {day:%a %-d %b %Y}" in page
    # The history says where each alert stands with the on-call inbox.
    assert "Sent to the on-call inbox 24 Nov 2026, 10:00 EST" in page
    assert "Not sent to the on-call inbox: acknowledged in time" in page
    assert "unless acknowledged" in page
    settings.CLINIC_ALERT_EMAIL = ""
    cache.clear()
    assert "the clinic has no on-call inbox set up" in text(
        cho.get(reverse("clinic:patient", args=[ana.pk]))
    )
    # The record's timeline keeps every alert, with who closed it.
    closed = entry_text(response, f'data-alert="{sign.pk}"')
    assert "Same day warning sign: Fever or chills — Symptom report" in closed
    assert f"by {dr_cho.display_name()}" in closed
    # Symptom reports: when, the signs ticked, pain now, the alert raised.
    for entry, sign, pain in ((report, "Fever or chills", 4), (fall, "A fall", 3)):
        words = entry_text(response, f'data-report="{entry.pk}"')
        assert f"Warning signs: {sign}" in words
        assert f"Pain now: {pain}/10. Alert: Same day, warning sign." in words
    assert report.pk  # reported without a session: no session row for it
    assert SessionLog.objects.filter(plan=ana_plan).count() == 1


def entry_text(response, attribute: str) -> str:
    """The visible text of one entry of the record's timeline, found by its data attribute."""
    html = response.content.decode()
    start = html.index(attribute)
    return text(html[start : html.index("</li>", start)])


def test_record_of_a_patient_waiting_for_clearance_shows_their_symptom_report(cho, ana):
    report, _ = plan_services.symptom_report_create(patient=ana, red_flags=["chest_breathing"])
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    page = text(response)
    assert "No plan yet" in page
    assert "Emergency warning sign: Chest pain, sudden shortness of breath" in page
    assert "Symptom report (no plan yet)" in page
    assert "Chest pain, sudden shortness of breath or coughing up blood" in entry_text(
        response, f'data-report="{report.pk}"'
    )


def test_another_clinicians_patient_reports_and_alerts_are_404(client, dr_dev, ana):
    """Waiting for clearance, no plan: the symptom report's alert is still Dr Cho's alone."""
    _, alert = plan_services.symptom_report_create(patient=ana, pain_now=9)
    client.force_login(dr_dev)
    assert client.get(reverse("clinic:patient", args=[ana.pk])).status_code == 404
    assert client.post(reverse("clinic:alert_close", args=[alert.pk]), CLOSE).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert "Ana" not in client.get(reverse("clinic:triage")).content.decode()


@pytest.mark.parametrize(
    ("make", "said"),
    [
        ("severe", "The plan keeps running."),
        ("sign", "The plan stays paused until you resume it."),
        ("waiting", "There is no plan yet."),
    ],
)
def test_acknowledging_says_what_happens_to_the_plan(cho, ana, make, said):
    if make == "waiting":
        _, alert = plan_services.symptom_report_create(patient=ana, red_flags=["fever"])
    else:
        approve(ana, start=plan_services.patient_today(ana))
        if make == "severe":
            alert = Alert.objects.get(session_log=log_session(ana, pain_before=2, pain=9))
        else:
            alert = red_flag(ana)
    response = cho.post(reverse("clinic:alert_close", args=[alert.pk]), CLOSE, follow=True)
    assert f"Alert for Ana Tester closed. {said}" in response.content.decode()


# --- the record's queries: the same for a short and a long history -------------------------------

# Drawing the record: the request's user and session (unless Redis holds sessions), the access
# check, the audit row, the patient's plans, then patient_detail: clearances, events, week
# summaries, alerts (all, with what raised them), symptom reports (with their alerts); then the
# timeline (plans.record): plan changes, the page's sessions (with their follow-ups and alerts)
# and the page's weeks; the Outcomes card's questionnaires (outcomes.selectors); the home
# programme (issue 22): what the patient does now (plans.programme.programme_for: the tailored
# items, none here, then the stage's exercises) and adherence per exercise; the tailoring form
# has a page of its own.
RECORD_QUERIES = 16


def busy_history(patient: PatientProfile, weeks: int) -> Plan:
    """`weeks` weeks of sessions, plus this week one of everything the record lists: a severe
    session (an alert), a session answered the next day, and a symptom report."""
    plan = seed_long_history(patient, weeks)
    log = log_session(patient, days_ago=1, pain_before=2, pain=6, pain_duration="not_settled")
    plan_services.session_pain_follow_up(patient=patient, log_id=log.pk, settled="later")
    log_session(patient, pain_before=2, pain=9, pain_duration="within_2h")
    plan_services.symptom_report_create(patient=patient, pain_now=9)
    return plan


@pytest.mark.parametrize("weeks", [3, 150])
def test_the_record_costs_the_same_for_a_short_or_long_history(
    cho, ana, weeks, django_assert_num_queries
):
    busy_history(ana, weeks)
    url = reverse("clinic:patient", args=[ana.pk])
    cho.get(url)  # the first request stores the session's login time
    # The cache was emptied: the session is read from the database with either session store.
    with django_assert_num_queries(RECORD_QUERIES + 1):
        response = cho.get(url)
    assert response.status_code == 200
    d = response.context["d"]
    assert len(d.alerts) == 2 and len(d.symptom_reports) == 1
    record = response.context["record"]
    sessions = [e for e in record.entries if e.kind == "session"]
    assert sessions[0].obj.pain == 9  # the newest first
    assert len(record.entries) == TIMELINE_PAGE_SIZE or not record.has_next
