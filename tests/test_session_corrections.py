"""A patient corrects or deletes their own session for 24 hours (issue 17, DESIGN section 14).

The clinician sees the correction and the original; the engine decides a closed week again;
a session that raised an alert is the care team's to correct; a form sent again after Back is
recognised as a repeat; notes say their limit instead of being cut."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from plans import services
from plans.models import Alert, PlanWeek, RevisionKind, SessionLog, SessionLogRevision
from plans.selectors import week_summaries
from recovery.models import AuditEvent
from tests.conftest import approve
from tests.support import clinical_snapshot, patients_today, refused

ANSWERS = {
    "activity": "walking",
    "minutes": 15,
    "pain_before": 1,
    "pain": 2,
    "pain_duration": "within_2h",
}


def log(plan, day: date, **fields):
    return services.session_log_create(
        patient=plan.patient, **{**ANSWERS, "day": day, **fields}
    ).log


@pytest.fixture
def ana_client(client, ana):
    client.force_login(ana.user)
    return client


def correct(log, user, now=None, **changes):
    fields = {**ANSWERS, "notes": log.notes, **changes}
    return services.session_correct(user=user, log_id=log.pk, now=now, **fields)


# --- the service ---------------------------------------------------------------------------------


def test_a_correction_keeps_the_original_and_is_audited(ana_plan):
    saved = log(ana_plan, patients_today(), notes="Walked the dog.")
    user = ana_plan.patient.user
    correct(saved, user, minutes=25, pain=4, notes="Walked the dog, then the hill.")
    fresh = SessionLog.objects.get(pk=saved.pk)
    assert (fresh.minutes, fresh.pain, fresh.notes) == (25, 4, "Walked the dog, then the hill.")
    assert fresh.edited_at is not None
    (revision,) = SessionLogRevision.objects.filter(session_log=saved)
    assert revision.kind == RevisionKind.CORRECTED and revision.actor == user
    assert (revision.before["minutes"], revision.before["pain after"]) == (15, 2)
    assert revision.before["notes"] == "Walked the dog."
    event = AuditEvent.objects.get(action="session_correct")
    assert sorted(event.detail["fields"]) == ["minutes", "notes", "pain"]
    assert "dog" not in str(event.detail)  # what the patient wrote is not the audit log's


def test_24_hours_after_saving_it_can_no_longer_be_changed(ana_plan):
    saved = log(ana_plan, patients_today())
    user = ana_plan.patient.user
    almost = saved.created_at + timedelta(hours=24) - timedelta(seconds=1)
    correct(saved, user, now=almost, minutes=16)
    saved.refresh_from_db()
    late = saved.created_at + timedelta(hours=24)
    refused(lambda: correct(saved, user, now=late, minutes=17), "can no longer be changed")
    refused(lambda: services.session_delete(user=user, log_id=saved.pk, now=late), "24 hours")
    assert SessionLog.objects.get(pk=saved.pk).minutes == 16


def test_only_the_patient_who_logged_it_can_change_it(ana_plan, ben, dr_cho):
    saved = log(ana_plan, patients_today())
    for stranger in (ben.user, dr_cho):
        refused(lambda s=stranger: correct(saved, s, minutes=40), "No such session.")
        refused(
            lambda s=stranger: services.session_delete(user=s, log_id=saved.pk),
            "No such session.",
        )


def test_a_session_that_raised_an_alert_is_the_care_teams_to_correct(ana_plan):
    severe = log(ana_plan, patients_today(), pain_before=2, pain=9)
    assert Alert.objects.filter(session_log=severe).exists()
    user = ana_plan.patient.user
    refused(lambda: correct(severe, user, pain=3), "only they can change its record")
    refused(lambda: services.session_delete(user=user, log_id=severe.pk), "please call them")
    assert Alert.objects.filter(session_log=severe, acknowledged_at__isnull=True).exists()


def test_a_correction_that_adds_severe_pain_reaches_the_care_team(ana_plan):
    saved = log(ana_plan, patients_today())
    corrected = correct(saved, ana_plan.patient.user, pain_before=2, pain=9)
    assert corrected.alert is not None and corrected.alert.kind == "severe_pain"
    assert Alert.objects.get(session_log=saved).acknowledged_at is None


def test_a_correction_that_adds_a_warning_sign_pauses_the_plan_as_a_log_would(ana_plan):
    saved = log(ana_plan, patients_today())
    corrected = correct(saved, ana_plan.patient.user, red_flags=["numbness"])
    assert corrected.alert is not None and corrected.alert.kind == "warning_sign"
    ana_plan.refresh_from_db()
    assert ana_plan.status == "paused"


def test_a_deleted_session_leaves_the_week_and_stays_in_the_record(ana_plan, cho):
    saved = log(ana_plan, patients_today(), minutes=20, notes="Did not happen.")
    week = saved.week
    before = {s.week: s.sessions_logged for s in week_summaries(ana_plan)}[week]
    services.session_delete(user=ana_plan.patient.user, log_id=saved.pk)
    after = {s.week: s.sessions_logged for s in week_summaries(ana_plan)}[week]
    assert after == before - 1
    assert not SessionLog.objects.filter(pk=saved.pk).exists()
    assert SessionLog.with_deleted.get(pk=saved.pk).deleted_at is not None
    assert SessionLogRevision.objects.get(session_log=saved).kind == RevisionKind.DELETED
    page = cho.get(reverse("clinic:patient", args=[ana_plan.patient.pk])).content.decode()
    entry = page[page.index(f'data-log="{saved.pk}"') :][:3000]
    assert "Deleted by the patient" in entry and "Did not happen." in entry


def test_the_record_shows_an_edited_session_and_what_it_first_said(ana_plan, cho):
    saved = log(ana_plan, patients_today(), notes="First words.")
    correct(saved, ana_plan.patient.user, minutes=30, notes="Second words.")
    page = cho.get(reverse("clinic:patient", args=[ana_plan.patient.pk])).content.decode()
    entry = page[page.index(f'data-log="{saved.pk}"') :][:4000]
    assert "Edited" in entry and "As first saved" in entry
    assert "Second words." in entry and "First words." in entry


def test_deleting_a_session_of_a_closed_week_decides_the_week_after_again(ana):
    """Week 1 done in full (its three sessions logged on Sunday evening) moves week 2 up;
    deleting two of them the next morning (within 24 hours of logging) leaves 1 of 3, and week 2
    holds instead."""
    start = patients_today() - timedelta(days=7)
    plan = approve(ana, start=start, today=start)
    tz = ana.tz
    sunday_evening = datetime.combine(start + timedelta(days=6), time(18), tzinfo=tz)
    logs = []
    for offset in (0, 2, 6):
        day = start + timedelta(days=offset)
        logs.append(
            services.session_log_create(patient=ana, day=day, now=sunday_evening, **ANSWERS).log
        )
    monday = datetime.combine(start + timedelta(days=7), time(8), tzinfo=tz)
    services.plan_close_weeks(plan=plan, today=monday.date())
    week2 = PlanWeek.objects.get(plan=plan, week=2)
    assert week2.decision == "progress"
    for deleted in logs[1:]:
        services.session_delete(user=ana.user, log_id=deleted.pk, now=monday)
    week2.refresh_from_db()
    assert (
        week2.decision == "hold"
        and week2.minutes == PlanWeek.objects.get(plan=plan, week=1).minutes
    )
    assert AuditEvent.objects.filter(action="plan_week_redecided").exists()


# --- Back, then Save -------------------------------------------------------------------------


def test_the_same_answers_again_after_back_are_recognised_as_a_repeat(ana_plan):
    def form(**extra):  # each form shown carries a new token
        return services.session_log_create(
            patient=ana_plan.patient,
            day=patients_today(),
            notes="Park loop.",
            submission_token=uuid.uuid4(),
            **ANSWERS,
            **extra,
        )

    first, again = form(), form()
    assert first.created and not again.created and again.log.pk == first.log.pk
    assert SessionLog.objects.filter(plan=ana_plan).count() == 1
    later = form(now=timezone.now() + timedelta(minutes=11))
    assert later.created  # a second walk later the same day is a session of its own


def test_the_page_says_a_repeat_was_not_saved_twice(ana_client, ana_plan):
    def post():
        return ana_client.post(
            reverse("me:session_new"),
            {
                "date": patients_today().isoformat(),
                **{k: str(v) for k, v in ANSWERS.items()},
                "no_red_flags": "on",
                "submission_token": str(uuid.uuid4()),
            },
        )

    first, second = post(), post()
    assert "repeat" not in first["Location"]
    assert second["Location"].endswith("?repeat=1")
    page = ana_client.get(second["Location"]).content.decode()
    assert "You already saved this session" in page
    assert SessionLog.objects.count() == 1


# --- the pages ---------------------------------------------------------------------------------


def test_the_patient_corrects_from_the_saved_page(ana_client, ana_plan):
    saved = log(ana_plan, patients_today())
    page = ana_client.get(reverse("me:session_saved", args=[saved.pk])).content.decode()
    assert reverse("me:session_edit", args=[saved.pk]) in page
    edit = ana_client.get(reverse("me:session_edit", args=[saved.pk])).content.decode()
    assert 'value="15"' in edit and "The day stays" in edit
    response = ana_client.post(
        reverse("me:session_edit", args=[saved.pk]),
        {
            **{k: str(v) for k, v in ANSWERS.items()},
            "minutes": "22",
            "no_red_flags": "on",
            "submission_token": "3f2b1c9e-8d7a-4b6c-9e5f-1a2b3c4d5e6f",
        },
    )
    assert response["Location"] == reverse("me:session_saved", args=[saved.pk])
    assert SessionLog.objects.get(pk=saved.pk).minutes == 22


def test_the_patient_deletes_after_confirming(ana_client, ana_plan):
    saved = log(ana_plan, patients_today())
    assert (
        "Delete this session?"
        in ana_client.get(reverse("me:session_delete", args=[saved.pk])).content.decode()
    )
    assert SessionLog.objects.filter(pk=saved.pk).exists()  # a GET deletes nothing
    response = ana_client.post(reverse("me:session_delete", args=[saved.pk]))
    assert response["Location"] == reverse("me:history")
    assert not SessionLog.objects.filter(pk=saved.pk).exists()
    assert ana_client.get(reverse("me:session_saved", args=[saved.pk])).status_code == 404


def test_after_24_hours_the_links_are_gone_and_the_pages_say_why(ana_client, ana_plan):
    saved = log(ana_plan, patients_today())
    SessionLog.objects.filter(pk=saved.pk).update(created_at=timezone.now() - timedelta(hours=25))
    page = ana_client.get(reverse("me:session_saved", args=[saved.pk])).content.decode()
    assert reverse("me:session_edit", args=[saved.pk]) not in page
    response = ana_client.get(reverse("me:session_edit", args=[saved.pk]), follow=True)
    assert "can no longer be changed" in response.content.decode()
    before = clinical_snapshot()
    ana_client.post(reverse("me:session_delete", args=[saved.pk]))
    assert clinical_snapshot() == before


def test_someone_elses_session_is_404_on_every_method(client, ben, ana_plan):
    saved = log(ana_plan, patients_today())
    client.force_login(ben.user)
    for name in ("me:session_edit", "me:session_delete"):
        url = reverse(name, args=[saved.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"minutes": "1"}).status_code == 404
    assert SessionLog.objects.get(pk=saved.pk).minutes == 15


def test_long_notes_are_refused_with_their_length_not_cut(ana_client, ana_plan):
    response = ana_client.post(
        reverse("me:session_new"),
        {
            "date": patients_today().isoformat(),
            **{k: str(v) for k, v in ANSWERS.items()},
            "no_red_flags": "on",
            "notes": "x" * 10_000,
            "submission_token": "5f2b1c9e-8d7a-4b6c-9e5f-1a2b3c4d5e6f",
        },
    )
    assert response.status_code in (200, 400) and "Location" not in response
    assert "Notes can be at most 2000 characters; yours have 10000." in response.content.decode()
    assert SessionLog.objects.count() == 0
    form = ana_client.get(reverse("me:session_new")).content.decode()
    textarea = form[form.index('name="notes"') - 200 : form.index('name="notes"') + 200]
    assert "maxlength" not in textarea and 'data-limit="2000"' in textarea
    assert "Up to 2,000 characters." in form


def test_the_saved_page_shows_the_notes(ana_client, ana_plan):
    saved = log(ana_plan, patients_today(), notes="Legs tired on the stairs.")
    page = ana_client.get(reverse("me:session_saved", args=[saved.pk])).content.decode()
    assert 'id="saved-notes">Legs tired on the stairs.<' in page
