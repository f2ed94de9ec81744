"""The staff admin (issue 6): the exercise library, treatment types, roles, import and export.

Dee is staff with the exercise and treatment-type permissions; Root is a superuser.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from plans.library import EXERCISE_FIELDS
from plans.models import (
    Alert,
    Contraindication,
    Exercise,
    PainFollowUp,
    SymptomReport,
)
from recovery.audit import audit
from recovery.models import AuditEvent, ClearanceEvent, Role, TreatmentType
from tests.conftest import make_user
from tests.support import confirm, csv_upload, dry_run, exercise, messages_of, sign_in_to_admin

EXERCISES = "/admin/plans/exercise/"
TREATMENT_TYPES = "/admin/recovery/treatmenttype/"
EXPORT = "/admin/plans/exercise/export/"

CLINICAL_CHANGELISTS = [
    "/admin/recovery/patientprofile/",
    "/admin/recovery/clinicianprofile/",
    "/admin/recovery/user/",
    "/admin/recovery/treatment/",
    "/admin/recovery/clearance/",
    "/admin/recovery/clearanceevent/",
    "/admin/recovery/auditevent/",
    "/admin/plans/plan/",
    "/admin/plans/planweek/",
    "/admin/plans/sessionlog/",
    "/admin/plans/alert/",
    "/admin/plans/reminder/",
    "/admin/plans/symptomreport/",
    "/admin/plans/painfollowup/",
    "/admin/outcomes/questionnaire/",
    "/admin/outcomes/response/",
]


# --- roles ---------------------------------------------------------------------------------------


def test_staff_admin_index_lists_only_the_library(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    # The library, and the outcome instruments with their schedule (definitions, no person).
    assert models == {"Exercise", "TreatmentType", "Instrument", "Item", "ScheduledInstrument"}
    html = response.content.decode()
    for word in ("Patient profiles", "Session logs", "Clearances", "Plans", "Alerts", "Audit"):
        assert word not in html


@pytest.mark.parametrize("url", CLINICAL_CHANGELISTS)
def test_staff_is_refused_every_clinical_page(staff, url, clinical_records):
    assert staff.get(url).status_code == 403


@pytest.mark.parametrize("url", CLINICAL_CHANGELISTS)
def test_staff_is_refused_clinical_pages_even_with_every_permission(client, dee, url):
    """A permission granted by mistake does not open clinical data: only superusers see it."""
    dee.user_permissions.set(Permission.objects.all())
    sign_in_to_admin(client, dee)
    assert client.get(url).status_code == 403
    models = {
        m["object_name"] for app in client.get("/admin/").context["app_list"] for m in app["models"]
    }
    assert not models & {
        "PatientProfile",
        "SessionLog",
        "Clearance",
        "Plan",
        "Alert",
        "User",
        "SymptomReport",
        "PainFollowUp",
    }


def test_staff_cannot_open_a_patient_or_a_session_log(staff, clinical_records):
    log = clinical_records.log
    for url in (
        f"/admin/recovery/patientprofile/{log.plan.patient_id}/change/",
        f"/admin/plans/sessionlog/{log.pk}/change/",
        f"/admin/recovery/clearance/{log.plan.clearance_id}/change/",
        "/admin/recovery/auditevent/export/",
    ):
        assert staff.get(url).status_code in (403, 404), url


@pytest.mark.parametrize("url", CLINICAL_CHANGELISTS)
def test_superuser_opens_every_clinical_changelist(superuser, url, clinical_records):
    response = superuser.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_superuser_opens_a_session_log_and_its_notes_are_escaped(superuser, clinical_records):
    response = superuser.get(f"/admin/plans/sessionlog/{clinical_records.log.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Felt &lt;b&gt;hot&lt;/b&gt; afterwards" in html
    assert "<b>hot</b>" not in html
    assert 'name="_save"' not in html  # written by a service: read-only here


def profile_form(patient, **changes) -> dict:
    data = {
        "clinician": patient.clinician_id,
        "timezone": patient.timezone,
        "reminders_enabled": "on" if patient.reminders_enabled else "",
        "reminder_weekday": patient.reminder_weekday,
        "reminder_hour": patient.reminder_hour,
    }
    return {**data, **changes}


def test_a_superuser_reassigns_a_patient_and_corrects_reminders_through_the_services(
    superuser, root, clinical_records, dr_dev
):
    patient = clinical_records.log.plan.patient
    url = f"/admin/recovery/patientprofile/{patient.pk}/change/"
    response = superuser.post(
        url, profile_form(patient, clinician=dr_dev.pk, reminder_hour=18, timezone="Europe/Madrid")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.clinician, patient.reminder_hour, patient.timezone) == (
        dr_dev,
        18,
        "Europe/Madrid",
    )
    reassigned = AuditEvent.objects.get(action="patient_reassign")
    assert (reassigned.actor, reassigned.detail["to_clinician"]) == (root, dr_dev.pk)
    corrected = AuditEvent.objects.get(action="admin_update_reminders")
    assert (corrected.actor, corrected.patient) == (root, patient)
    # Not the patient's own choice: /me/settings/ still asks them to choose.
    assert not AuditEvent.objects.filter(action="patient_update_reminders").exists()


def test_a_bad_time_zone_in_the_admin_is_refused_beside_the_field(superuser, clinical_records):
    patient = clinical_records.log.plan.patient
    url = f"/admin/recovery/patientprofile/{patient.pk}/change/"
    response = superuser.post(url, profile_form(patient, timezone="Mars/Olympus_Mons"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "Pick a time zone from the list."
    ]
    patient.refresh_from_db()
    assert patient.timezone != "Mars/Olympus_Mons"


@pytest.mark.parametrize("model", ["clearanceevent", "auditevent"])
def test_audit_trails_are_read_only_even_for_superusers(superuser, model, clinical_records):
    if model == "clearanceevent":
        row = ClearanceEvent.objects.first()
    else:
        row = audit("test_event", outcome="ok")
    base = f"/admin/recovery/{model}/"
    assert superuser.get(f"{base}add/").status_code == 403
    assert superuser.get(f"{base}{row.pk}/delete/").status_code == 403
    assert superuser.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    change = superuser.get(f"{base}{row.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert superuser.post(f"{base}{row.pk}/change/", {}).status_code == 403
    # No bulk action (delete or other) either.
    assert superuser.get(base).context["action_form"] is None
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", ["symptomreport", "painfollowup", "alert"])
def test_reports_follow_ups_and_alerts_are_read_only_even_for_superusers(
    superuser, model, clinical_records
):
    """Written by the patient's forms and the services: changed through them alone."""
    row = {"symptomreport": SymptomReport, "painfollowup": PainFollowUp, "alert": Alert}[
        model
    ].objects.first()
    base = f"/admin/plans/{model}/"
    assert superuser.get(f"{base}add/").status_code == 403
    assert superuser.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    change = superuser.get(f"{base}{row.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert superuser.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_alert_list_shows_kind_tier_source_and_escalation(superuser, clinical_records):
    warning = Alert.objects.get(kind="warning_sign")
    severe = Alert.objects.get(kind="severe_pain")
    Alert.objects.filter(pk=warning.pk).update(
        escalation_attempts=2, escalation_last_error="SMTPServerDisconnected"
    )
    response = superuser.get("/admin/plans/alert/")
    html = response.content.decode()
    for header in ("Kind", "Tier", "Raised by", "Escalate at", "Escalated at"):
        assert f">{header}</a>" in html or f">{header}</span>" in html, header
    assert f"Session on {warning.session_log.date:%Y-%m-%d}" in html
    assert "Symptom report" in html and "Severe pain" in html
    assert "SMTPServerDisconnected" in html
    # Filter the ones the on-call inbox has not been sent yet, and by kind.
    response = superuser.get("/admin/plans/alert/", {"kind__exact": "severe_pain"})
    assert [a.pk for a in response.context["cl"].result_list] == [severe.pk]
    response = superuser.get("/admin/plans/alert/", {"escalated_at__isempty": "1"})
    assert response.context["cl"].result_count == 2


def test_superuser_finds_failed_reminders(superuser, clinical_records):
    response = superuser.get("/admin/plans/reminder/", {"status__exact": "failed"})
    rows = list(response.context["cl"].result_list)
    assert [r.status for r in rows] == ["failed"]


def test_superuser_filters_and_exports_the_audit_log_without_free_text(superuser, root):
    audit("login", actor=root, outcome="ok")
    audit("login_failed", outcome="denied", username="=HYPERLINK(evil)")
    user = make_user("+plus", Role.PATIENT, "Plus", "Sign")
    audit("login", actor=user, outcome="ok")

    listing = superuser.get("/admin/recovery/auditevent/", {"outcome": "denied"})
    assert [e.action for e in listing.context["cl"].result_list] == ["login_failed"]

    response = superuser.post("/admin/recovery/auditevent/export/?action=login", {"format": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "outcome",
        "ip",
    ]
    assert {r[2] for r in rows[1:]} == {"login"}
    assert {r[1] for r in rows[1:]} == {"root", "'+plus"}
    assert "HYPERLINK" not in response.content.decode()


def test_staff_cannot_export_the_audit_log(staff):
    assert staff.post("/admin/recovery/auditevent/export/", {"format": "0"}).status_code == 403


# --- the exercise library ------------------------------------------------------------------------


def exercise_form(contraindications=(), **overrides) -> dict:
    """The exercise form with its "Not for patients after" rows: (treatment type, until stage)."""
    data = {
        "name": "Gentle bridge",
        "category": "core",
        "stage": "1",
        "active": "on",
        "instructions": "Lie on your back.\n\nLift your hips a little.",
        "cautions": "",
        # The default dose, as the add page's form sends it (times a day starts at 1).
        "default_sets": "1",
        "default_reps": "10",
        "default_hold_seconds": "",
        "default_times_per_day": "1",
        **inline_rows(contraindications),
    }
    data.update(overrides)
    return data


def inline_rows(contraindications) -> dict:
    data = {
        "contraindication_set-TOTAL_FORMS": str(len(contraindications)),
        "contraindication_set-INITIAL_FORMS": "0",
        "contraindication_set-MIN_NUM_FORMS": "0",
        "contraindication_set-MAX_NUM_FORMS": "1000",
        # The pictures inline (tests/test_exercise_pictures.py), untouched here.
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    for i, (kind, until) in enumerate(contraindications):
        data[f"contraindication_set-{i}-treatment_type"] = str(kind.pk)
        data[f"contraindication_set-{i}-until_stage"] = "" if until is None else str(until)
    return data


def test_staff_adds_lists_and_edits_an_exercise(staff, dee):
    response = staff.post(f"{EXERCISES}add/", exercise_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    bridge = Exercise.objects.get(name="Gentle bridge")
    assert (bridge.category, bridge.stage, bridge.active) == ("core", 1, True)

    listing = staff.get(EXERCISES)
    assert listing.status_code == 200
    assert "Gentle bridge" in listing.content.decode()

    fusion = TreatmentType.objects.get(name="Lumbar fusion")
    response = staff.post(
        f"{EXERCISES}{bridge.pk}/change/",
        exercise_form(stage="2", contraindications=[(fusion, None)], active=""),
    )
    assert response.status_code == 302
    bridge.refresh_from_db()
    assert (bridge.stage, bridge.active) == (2, False)
    assert list(bridge.contraindicated_for.all()) == [fusion]
    events = AuditEvent.objects.filter(actor=dee, object_id=str(bridge.pk))
    assert {e.action for e in events} == {"admin_add", "admin_change"}
    change = events.get(action="admin_change")
    assert change.detail == {"fields": ["Active", "Stage", "contraindication"]}


def test_exercise_form_refuses_a_bad_stage_and_a_case_twin(staff):
    exercise("Gentle bridge")
    response = staff.post(f"{EXERCISES}add/", exercise_form(name="gentle BRIDGE", stage="5"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "already has an exercise of this name" in form.non_field_errors()[0]
    assert "stage" in form.errors
    assert Exercise.objects.count() == 1


def test_the_database_keeps_exercise_names_unique_in_any_case(db):
    exercise("Bird-dog")
    with pytest.raises(IntegrityError), transaction.atomic():
        Exercise.objects.create(name="BIRD-DOG", category="core", stage=2, instructions="Reach.")


def test_changelist_filters_search_and_column(staff, ana_plan):
    exercise("Pelvic tilt", stage=1)
    exercise("Hamstring stretch", stage=1, category="flexibility", instructions="Slowly.")
    exercise("Plank", stage=3, instructions="Hold on your forearms.")
    exercise("Old drill", stage=1, active=False)

    def names(**params):
        response = staff.get(EXERCISES, params)
        assert response.status_code == 200
        return sorted(e.name for e in response.context["cl"].result_list)

    assert names(category__exact="flexibility") == ["Hamstring stretch"]
    assert names(stage="3") == ["Plank"]
    assert names(active__exact="0") == ["Old drill"]
    assert names(q="forearms") == ["Plank"]
    assert names(q="pelvic") == ["Pelvic tilt"]
    assert names(o="-5") == names()  # sorting by the plans column works

    # Ana's open plan is at stage 2: stage-1 exercises reach one open plan, stage 3 none.
    rows = {e.name: e.open_plans for e in staff.get(EXERCISES).context["cl"].result_list}
    assert rows["Pelvic tilt"] == 1 and rows["Plank"] == 0
    html = staff.get(EXERCISES).content.decode()
    assert "Open plans ≥ its stage" in html


def test_bulk_activate_and_deactivate(staff, dee):
    a, b = exercise("Pelvic tilt"), exercise("Cat stretch", active=False)
    ids = [a.pk, b.pk]
    staff.post(EXERCISES, {"action": "deactivate", "_selected_action": ids})
    assert not Exercise.objects.filter(pk__in=ids, active=True).exists()
    staff.post(EXERCISES, {"action": "activate", "_selected_action": ids})
    assert Exercise.objects.filter(pk__in=ids, active=True).count() == 2
    assert AuditEvent.objects.filter(actor=dee, action="admin_deactivate").count() == 1


def test_exercise_reached_by_a_plan_is_deactivated_never_deleted(staff, ana_plan):
    """Ana's plan is at stage 2: a stage-1 exercise may have been shown to her."""
    used, unused = exercise("Pelvic tilt", stage=1), exercise("Plank", stage=3)

    assert staff.get(f"{EXERCISES}{used.pk}/delete/").status_code == 403
    assert staff.post(f"{EXERCISES}{used.pk}/delete/", {"post": "yes"}).status_code == 403
    change = staff.get(f"{EXERCISES}{used.pk}/change/").content.decode()
    assert "cannot be deleted" in change
    assert f"{EXERCISES}{used.pk}/delete/" not in change
    assert staff.get(f"{EXERCISES}{unused.pk}/delete/").status_code == 200

    selection = {"action": "delete_selected", "_selected_action": [used.pk, unused.pk]}
    confirm = staff.post(EXERCISES, selection)
    assert confirm.status_code == 200
    assert "Plank" in confirm.content.decode()
    assert any("Not deleted" in m and "Pelvic tilt" in m for m in messages_of(confirm))

    done = staff.post(EXERCISES, {**selection, "post": "yes"}, follow=True)
    assert list(Exercise.objects.values_list("name", flat=True)) == ["Pelvic tilt"]
    assert any("Successfully deleted 1" in m for m in messages_of(done))

    staff.post(EXERCISES, {"action": "deactivate", "_selected_action": [used.pk]})
    used.refresh_from_db()
    assert used.active is False


def test_exercise_is_used_by_an_ended_plan_too(staff, ben_plan):
    ben_plan.status = "completed"
    ben_plan.save()
    used = exercise("Walking warm-up", stage=1, category="cardio")
    assert staff.get(f"{EXERCISES}{used.pk}/delete/").status_code == 403


def test_script_in_an_exercise_renders_escaped(staff):
    evil = exercise(
        "<script>alert('name')</script>",
        instructions='First line\n\n"><img src=x onerror=alert(1)>',
        cautions="<script>alert('caution')</script>",
    )
    listing = staff.get(EXERCISES).content.decode()
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in listing
    assert "<script>alert(" not in listing

    change = staff.get(f"{EXERCISES}{evil.pk}/change/").content.decode()
    preview = change[change.index("stepwise-exercise-preview") :]
    assert "First line<br><br>" in preview  # the dashboard's |linebreaksbr keeps the lines
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in preview
    assert "<img src=x" not in change
    assert "<script>alert(" not in change


def test_changelist_query_budget_with_500_exercises(
    staff, ana_plan, ben_plan, django_assert_max_num_queries
):
    """9 queries: session, user, second factor, 2 × permissions, plan reach, 2 counts, rows."""
    staff.get("/admin/")  # the session's first request writes it once; measure the ones after

    def make(numbers):
        Exercise.objects.bulk_create(
            Exercise(name=f"Exercise {i:03}", category="core", stage=i % 4 + 1, instructions="Go.")
            for i in numbers
        )

    make(range(5))
    with CaptureQueriesContext(connection) as few:
        assert staff.get(EXERCISES).status_code == 200
    make(range(5, 500))
    with django_assert_max_num_queries(12) as many:
        response = staff.get(EXERCISES, {"o": "-5"})  # sorted by the plans column
    assert response.status_code == 200
    assert response.context["cl"].result_count == 500
    assert len(many) == len(few), "queries grow with the number of exercises (N+1)"


def test_treatment_type_changelist_query_budget(staff, django_assert_max_num_queries, ana):
    staff.get("/admin/")
    with django_assert_max_num_queries(10):
        response = staff.get(TREATMENT_TYPES)
    assert response.status_code == 200
    assert response.context["cl"].result_count == TreatmentType.objects.count()


# --- treatment types ---------------------------------------------------------------------------


def treatment_form(treatment_type: TreatmentType | None = None, **overrides) -> dict:
    data = {
        "name": "Kyphoplasty",
        "category": "minimally_invasive",
        "active": "on",
        "min_days_to_clearance": "7",
        "default_start_minutes": "10",
        "default_min_increment": "5",
        "default_max_increment": "10",
        "default_target_minutes": "40",
        "default_sessions_per_week": "5",
        "default_max_stage": "1",
        "days_before_stage_2": "28",
        "days_before_stage_3": "42",
        "days_before_stage_4": "84",
        "precaution_weeks": "0",
        "default_lifting_limit_kg": "",
        "contraindicated_activities": ["water"],
        "contraindicated_exercises": [],
    }
    if treatment_type is not None:
        data.update(
            name=treatment_type.name,
            category=treatment_type.category,
            min_days_to_clearance=str(treatment_type.min_days_to_clearance),
            days_before_stage_2=str(treatment_type.days_before_stage_2),
            days_before_stage_3=str(treatment_type.days_before_stage_3),
            days_before_stage_4=str(treatment_type.days_before_stage_4),
            precaution_weeks=str(treatment_type.precaution_weeks),
            default_lifting_limit_kg=str(treatment_type.default_lifting_limit_kg or ""),
        )
    data.update(overrides)
    return data


def field_row(html: str, field: str) -> str:
    """The admin form row of one field: its errors are printed inside it, beside the input."""
    match = re.search(rf'<div class="form-row[^"]*field-{field}[^"]*">', html)
    assert match, field
    end = html.find('<div class="form-row', match.end())
    return html[match.start() : end if end != -1 else None]


def test_staff_adds_and_edits_a_treatment_type(staff):
    plank = exercise("Plank", stage=3)
    response = staff.post(
        f"{TREATMENT_TYPES}add/", treatment_form(contraindicated_exercises=[plank.pk])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    kypho = TreatmentType.objects.get(name="Kyphoplasty")
    assert kypho.contraindicated_activities == ["water"]
    assert list(kypho.contraindicated_exercises.all()) == [plank]

    response = staff.post(
        f"{TREATMENT_TYPES}{kypho.pk}/change/",
        treatment_form(
            kypho,
            default_start_minutes="15",
            default_target_minutes="60",
            contraindicated_activities=["running", "water"],
        ),
    )
    assert response.status_code == 302
    kypho.refresh_from_db()
    assert (kypho.default_start_minutes, kypho.default_target_minutes) == (15, 60)
    assert kypho.contraindicated_activities == ["water", "running"]
    assert not kypho.contraindicated_exercises.exists()
    listing = staff.get(TREATMENT_TYPES).content.decode()
    assert "Kyphoplasty" in listing and "Swimming or water exercise, Running" in listing
    assert "5–10" in listing  # the weekly step range


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"default_start_minutes": "9"}, "default_start_minutes", "between 10 and 15"),
        ({"default_start_minutes": "16"}, "default_start_minutes", "between 10 and 15"),
        ({"default_min_increment": "4"}, "default_min_increment", "between 5 and 10"),
        ({"default_max_increment": "11"}, "default_max_increment", "between 5 and 10"),
        ({"default_target_minutes": "121"}, "default_target_minutes", "between 10 and 120"),
        ({"default_sessions_per_week": "0"}, "default_sessions_per_week", "between 1 and 7"),
        ({"default_sessions_per_week": "8"}, "default_sessions_per_week", "between 1 and 7"),
        ({"default_max_stage": "5"}, "default_max_stage", "between 1 and 4"),
        ({"default_max_stage": "0"}, "default_max_stage", "between 1 and 4"),
        ({"min_days_to_clearance": "-1"}, "min_days_to_clearance", "0"),
        (
            {
                "contraindicated_activities": [
                    *("walking", "water", "recumbent_bike", "stationary_bike"),
                ]
            },
            "contraindicated_activities",
            "at least one activity",
        ),
    ],
)
def test_treatment_type_out_of_bounds_is_refused_beside_the_field(staff, overrides, field, message):
    laminectomy = TreatmentType.objects.get(name="Laminectomy")
    before = TreatmentType.objects.values().get(pk=laminectomy.pk)
    response = staff.post(
        f"{TREATMENT_TYPES}{laminectomy.pk}/change/", treatment_form(laminectomy, **overrides)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    assert message in field_row(response.content.decode(), field)
    assert TreatmentType.objects.values().get(pk=laminectomy.pk) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"default_min_increment": "8", "default_max_increment": "6"},
            "The smallest weekly step cannot be larger than the largest step.",
        ),
        (
            {"default_start_minutes": "15", "default_target_minutes": "12"},
            "The target must be at least the first week's session length.",
        ),
    ],
)
def test_a_rule_between_two_fields_is_said_by_its_database_constraint(staff, overrides, message):
    laminectomy = TreatmentType.objects.get(name="Laminectomy")
    before = TreatmentType.objects.values().get(pk=laminectomy.pk)
    response = staff.post(
        f"{TREATMENT_TYPES}{laminectomy.pk}/change/", treatment_form(laminectomy, **overrides)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [message]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert TreatmentType.objects.values().get(pk=laminectomy.pk) == before


def test_treatment_type_form_refuses_everything_at_once_and_adds_nothing(staff):
    count = TreatmentType.objects.count()
    response = staff.post(
        f"{TREATMENT_TYPES}add/",
        treatment_form(
            default_start_minutes="30",
            default_min_increment="20",
            default_max_increment="1",
            default_target_minutes="500",
            default_sessions_per_week="9",
            default_max_stage="7",
        ),
    )
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {
        "default_start_minutes",
        "default_min_increment",
        "default_max_increment",
        "default_target_minutes",
        "default_sessions_per_week",
        "default_max_stage",
    }
    assert TreatmentType.objects.count() == count


def test_treatment_type_in_use_is_deactivated_not_deleted(staff, ana):
    used = TreatmentType.objects.get(name="Epidural steroid injection")
    unused = TreatmentType.objects.get(name="Disc replacement")
    assert staff.get(f"{TREATMENT_TYPES}{used.pk}/delete/").status_code == 403
    assert staff.get(f"{TREATMENT_TYPES}{unused.pk}/delete/").status_code == 200
    staff.post(
        TREATMENT_TYPES,
        {"action": "delete_selected", "_selected_action": [used.pk, unused.pk], "post": "yes"},
    )
    assert TreatmentType.objects.filter(pk=used.pk).exists()
    assert not TreatmentType.objects.filter(pk=unused.pk).exists()
    staff.post(TREATMENT_TYPES, {"action": "deactivate", "_selected_action": [used.pk]})
    used.refresh_from_db()
    assert used.active is False


# --- CSV import and export -----------------------------------------------------------------------


def test_csv_with_one_bad_row_imports_nothing_and_names_row_and_field(staff):
    exercise("Pelvic tilt", instructions="Old words.")
    upload = csv_upload(
        [
            ["Pelvic tilt", "core", "1", "yes", "New words.", "", ""],
            ["Wall sit", "strength", "7", "maybe", "Sit against a wall.", "", "Knee surgery"],
            ["Cat stretch", "flexibility", "1", "yes", "On hands and knees.", "", ""],
        ]
    )
    response = dry_run(staff, upload)
    assert response.status_code == 200
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert set(result.invalid_rows[0].error_dict) == {
        "category",
        "stage",
        "active",
        "contraindicated_for",
    }
    assert "confirm_form" not in response.context
    html = response.content.decode()
    assert "Nothing was imported: 1 row failed the checks" in html
    assert "<strong>Row 2</strong> (line 3 of the file)" in html
    assert "<code>stage</code>: The stage must be a whole number from 1 to 4" in html
    assert "“strength” is not a category" in html
    assert "The stage must be a whole number from 1 to 4" in html
    assert "No treatment type is called “Knee surgery”" in html
    assert re.search(r"<td>\s*2\s*</td>", html)
    assert list(Exercise.objects.values_list("name", "instructions")) == [
        ("Pelvic tilt", "Old words.")
    ]


def test_csv_with_a_name_twice_is_refused(staff):
    upload = csv_upload(
        [
            ["Cat stretch", "flexibility", "1", "yes", "One.", "", ""],
            ["cat stretch", "flexibility", "2", "yes", "Two.", "", ""],
        ]
    )
    result = dry_run(staff, upload).context["result"]
    assert [(r.number, list(r.error_dict)) for r in result.invalid_rows] == [(2, ["name"])]
    assert not Exercise.objects.exists()


def test_good_csv_imports_and_updates_by_name(staff, dee):
    exercise("Pelvic tilt", instructions="Old words.")
    upload = csv_upload(
        [
            ["Pelvic tilt", "Core", "1", "yes", "New words.", "", ""],
            [
                "Cat stretch",
                "flexibility",
                "1",
                "",
                "On hands and knees.",
                "Never force it.",
                "Lumbar fusion; Disc replacement",
            ],
            ["'=Formula looking", "core", "2.0", "no", "'- starts with a dash", "", ""],
        ]
    )
    response = dry_run(staff, upload)
    assert not response.context["result"].has_validation_errors()
    assert Exercise.objects.count() == 1  # the dry run keeps nothing
    done = confirm(staff, response)
    assert any("Import finished: 2 new, 1 updated" in m for m in messages_of(done))

    assert Exercise.objects.get(name="Pelvic tilt").instructions == "New words."
    cat = Exercise.objects.get(name="Cat stretch")
    assert cat.active is True and cat.cautions == "Never force it."
    assert sorted(t.name for t in cat.contraindicated_for.all()) == [
        "Disc replacement",
        "Lumbar fusion",
    ]
    formula = Exercise.objects.get(name="=Formula looking")
    assert (formula.stage, formula.active, formula.instructions) == (
        2,
        False,
        "- starts with a dash",
    )
    assert AuditEvent.objects.filter(actor=dee, action="admin_import").exists()


def test_confirmed_import_is_rolled_back_when_a_row_became_invalid(staff):
    """Between preview and confirmation someone added "BIRD DOG": nothing is imported."""
    upload = csv_upload(
        [
            ["Cat stretch", "flexibility", "1", "yes", "On hands and knees.", "", ""],
            ["Bird dog", "core", "2", "yes", "Reach out slowly.", "", ""],
        ]
    )
    response = dry_run(staff, upload)
    assert "confirm_form" in response.context
    exercise("BIRD DOG", stage=2)
    done = confirm(staff, response)
    assert any("Nothing was imported" in m and "row 2" in m for m in messages_of(done))
    assert list(Exercise.objects.values_list("name", flat=True)) == ["BIRD DOG"]


def test_export_returns_the_library_as_csv_that_imports_unchanged(staff):
    fusion = TreatmentType.objects.get(name="Lumbar fusion")
    exercise(
        "Pelvic tilt",
        cautions="Stop if it hurts.",
        default_sets=1,
        default_reps=10,
        default_hold_seconds=5,
        default_times_per_day=2,
    ).contraindicated_for.add(fusion)
    exercise("=cmd|' /C calc'!A0", stage=2, category="flexibility", active=False)

    assert staff.get(EXPORT).status_code == 200
    response = staff.post(EXPORT, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "stepwise-exercises-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_name = {r["name"]: r for r in rows}
    assert by_name["Pelvic tilt"] == {
        "name": "Pelvic tilt",
        "category": "core",
        "stage": "1",
        "active": "yes",
        "instructions": "Lie on your back and tilt gently.",
        "cautions": "Stop if it hurts.",
        "default_sets": "1",
        "default_reps": "10",
        "default_hold_seconds": "5",
        "default_times_per_day": "2",
        "contraindicated_for": "Lumbar fusion",
    }
    assert "'=cmd|' /C calc'!A0" in by_name  # a spreadsheet shows it as text, never runs it

    again = dry_run(staff, SimpleUploadedFile("export.csv", response.content))
    assert again.context["result"].totals["skip"] == 2
    assert not again.context["result"].has_validation_errors()


def test_a_contraindication_until_a_stage_goes_out_and_comes_back_in_the_csv(staff):
    acdf = TreatmentType.objects.get(name="Cervical fusion (ACDF)")
    fusion = TreatmentType.objects.get(name="Lumbar fusion")
    neck = exercise("Neck side stretch", category="flexibility")
    Contraindication.objects.create(exercise=neck, treatment_type=acdf, until_stage=3)
    Contraindication.objects.create(exercise=neck, treatment_type=fusion)
    response = staff.post(EXPORT, {"format": "0", "resource": "0"})
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert row["contraindicated_for"] == "Cervical fusion (ACDF) until stage 3; Lumbar fusion"
    assert (
        dry_run(staff, SimpleUploadedFile("x.csv", response.content))
        .context["result"]
        .totals["skip"]
        == 1
    )

    upload = csv_upload(
        [["Neck side stretch", "flexibility", "1", "yes", "Tilt.", "", "Laminectomy until stage 2"]]
    )
    confirm(staff, dry_run(staff, upload))
    assert [(c.treatment_type.name, c.until_stage) for c in neck.contraindication_set.all()] == [
        ("Laminectomy", 2)
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Lumbar fusion until stage 7", "until stage 2, 3 or 4"),
        ("Lumbar fusion until stage 1", "until stage 2, 3 or 4"),
        ("Lumbar fusion; Lumbar fusion until stage 3", "Name each treatment type once"),
        ("Knee surgery until stage 3", "No treatment type is called “Knee surgery”"),
    ],
)
def test_a_bad_contraindication_cell_is_an_error_of_its_row(staff, cell, message):
    upload = csv_upload([["Neck side stretch", "flexibility", "1", "yes", "Tilt.", "", cell]])
    result = dry_run(staff, upload).context["result"]
    (invalid,) = result.invalid_rows
    assert message in str(invalid.error_dict["contraindicated_for"])
    assert not Exercise.objects.exists()


def test_staff_hide_an_exercise_until_a_stage_in_the_admin(staff):
    acdf = TreatmentType.objects.get(name="Cervical fusion (ACDF)")
    response = staff.post(
        f"{EXERCISES}add/", exercise_form(name="Neck side stretch", contraindications=[(acdf, 3)])
    )
    assert response.status_code == 302
    (row,) = Contraindication.objects.all()
    assert (row.exercise.name, row.treatment_type, row.until_stage) == (
        "Neck side stretch",
        acdf,
        3,
    )


def test_export_query_budget_with_500_exercises(staff, django_assert_max_num_queries):
    fusion = TreatmentType.objects.get(name="Lumbar fusion")
    created = Exercise.objects.bulk_create(
        Exercise(name=f"Exercise {i:03}", category="core", stage=1, instructions="Go.")
        for i in range(500)
    )
    Contraindication.objects.bulk_create(
        Contraindication(exercise_id=e.pk, treatment_type_id=fusion.pk) for e in created
    )
    with django_assert_max_num_queries(20):
        response = staff.post(EXPORT, {"format": "0", "resource": "0"})
    assert response.content.decode().count("Lumbar fusion") == 500


def test_import_and_export_need_library_permissions(client, db):
    nobody = make_user("nobody", Role.STAFF, "No", "Perms", is_staff=True)
    sign_in_to_admin(client, nobody)
    assert client.get(EXERCISES).status_code == 403
    upload = csv_upload([["Cat stretch", "flexibility", "1", "yes", "Slowly.", "", ""]])
    assert dry_run(client, upload).status_code == 403
    assert client.post(EXPORT, {"format": "0", "resource": "0"}).status_code == 403
    assert not Exercise.objects.exists()


def test_view_only_staff_cannot_import(client, db):
    viewer = make_user("viewer", Role.STAFF, "View", "Only", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_exercise"))
    sign_in_to_admin(client, viewer)
    assert client.get(EXERCISES).status_code == 200
    upload = csv_upload([["Cat stretch", "flexibility", "1", "yes", "Slowly.", "", ""]])
    assert dry_run(client, upload).status_code == 403
    assert client.post(EXPORT, {"format": "0", "resource": "0"}).status_code == 200
    assert not Exercise.objects.exists()


def test_no_one_can_read_a_second_factor_secret_in_the_admin(client, root, dee):

    device = TOTPDevice.objects.create(user=dee, name="phone", confirmed=True)
    verified_root = TOTPDevice.objects.create(user=root, name="root phone", confirmed=True)
    client.force_login(root)
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = verified_root.persistent_id
    session.save()
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    for extra in ("config", "qrcode"):  # django-otp's own admin pages for the secret
        response = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{extra}/", follow=True)
        assert device.key not in response.content.decode()
        assert response.get("Content-Type", "").startswith("text/html")


def test_exports_are_rate_limited(client, root):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from infra.ratelimit import hit

    device = TOTPDevice.objects.create(user=root, name="root phone", confirmed=True)
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    for _ in range(10):
        hit("export", f"user:{root.pk}", limit=10, window=3600)
    for url in ("/admin/recovery/auditevent/export/", "/admin/plans/exercise/export/"):
        response = client.post(url, {"format": "0"})
        assert response.status_code == 429, url


# --- the import page says what the file holds (issue 17) ----------------------------------------


def test_the_import_page_describes_every_column_and_links_a_template(staff):
    page = staff.get("/admin/plans/exercise/import/").content.decode()
    assert "Download a template CSV" in page
    for column in EXERCISE_FIELDS:
        assert f'<th scope="row"><code>{column}</code></th>' in page
    assert "<code>core</code>" in page and "from 1 to 4" in page


def test_the_import_template_imports_cleanly_as_it_is(staff):
    response = staff.get("/admin/plans/exercise/import/template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert next(csv.reader(io.StringIO(text))) == list(EXERCISE_FIELDS)
    upload = SimpleUploadedFile("template.csv", text.encode(), content_type="text/csv")
    preview = staff.post(
        "/admin/plans/exercise/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    ).content.decode()
    assert "Nothing was imported" not in preview and "Confirm import" in preview
    assert Exercise.objects.count() == 0  # a preview stores nothing


def test_only_staff_who_may_import_get_the_template(client, dee):
    dee.user_permissions.set(Permission.objects.filter(codename="view_exercise"))
    sign_in_to_admin(client, dee)
    assert client.get("/admin/plans/exercise/import/template.csv").status_code == 403
