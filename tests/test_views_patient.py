"""The patient's pages (/me/...): who may see them, what they say, store and cost."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from plans import services as plan_services
from plans.models import (
    Alert,
    Exercise,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
)
from plans.services import patient_today
from recovery.errors import DomainError
from recovery.models import AuditEvent, PatientProfile, TreatmentType
from tests.conftest import approve

ME_URLS = ["me:dashboard", "me:history", "me:session_new", "me:settings"]


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


def client_for(patient_or_user) -> Client:
    user = getattr(patient_or_user, "user", patient_or_user)
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page's visible words, whitespace collapsed, for reading assertions like a person."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body).replace("&#x27;", "'").replace("&amp;", "&")


def log_form(plan: Plan, today: date, **overrides) -> dict:
    data = {
        "date": today.isoformat(),
        "activity": "walking",
        "minutes": "20",
        "pain": "1",
        "pain_lasted_hours": "0",
        "exertion": "11",
        "notes": "",
        "submission_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_exercises(plan_treatment: str = "Epidural steroid injection") -> dict[str, Exercise]:
    """A small library: what Ana (stage 2, injection) should and should not see."""
    made = {
        "tilt": Exercise.objects.create(
            name="Pelvic tilt",
            category="core",
            stage=1,
            instructions="Lie on your back and gently flatten your lower back.",
            cautions="Stop if it causes sharp pain.",
        ),
        "hamstring": Exercise.objects.create(
            name="Hamstring stretch",
            category="flexibility",
            stage=1,
            instructions="Hold a gentle stretch for 30 seconds; never bounce.",
        ),
        "bird_dog": Exercise.objects.create(
            name="Bird dog", category="core", stage=2, instructions="On hands and knees..."
        ),
        "plank": Exercise.objects.create(
            name="Full plank", category="core", stage=3, instructions="Hold a plank."
        ),
        "old": Exercise.objects.create(
            name="Retired crunch", category="core", stage=1, instructions="x", active=False
        ),
        "treadmill": Exercise.objects.create(
            name="Treadmill walk", category="cardio", stage=1, instructions="Walk."
        ),
        "twist": Exercise.objects.create(
            name="Seated twist", category="flexibility", stage=1, instructions="Twist gently."
        ),
    }
    made["twist"].contraindicated_for.add(TreatmentType.objects.get(name=plan_treatment))
    return made


def seed_history(plan: Plan, weeks: int, *, per_week: int = 3, minutes: int = 30) -> None:
    """`weeks` closed weeks plus the current one, written directly (a fixture, not the product).

    The plan's start moves back so that today falls in week `weeks + 1`; every week is prescribed,
    so the page has nothing left to close and the steady-state cost is what gets measured.
    """
    today = patient_today(plan.patient)
    plan.start_date = today - timedelta(days=7 * weeks)
    plan.save(update_fields=["start_date"])
    PlanWeek.objects.filter(plan=plan).delete()
    PlanWeek.objects.bulk_create(
        PlanWeek(
            plan=plan,
            week=k,
            minutes=minutes,
            sessions_per_week=plan.sessions_per_week,
            decision="start" if k == 1 else "maintain",
            reason="You have reached your target, so next week stays there.",
        )
        for k in range(1, weeks + 2)
    )
    logs = []
    for k in range(1, weeks + 2):
        first = plan.start_date + timedelta(days=7 * (k - 1))
        for n in range(per_week):
            day = first + timedelta(days=2 * n)
            if day <= today:
                logs.append(
                    SessionLog(
                        plan=plan, date=day, week=k, activity="walking", minutes=minutes, pain=2
                    )
                )
    SessionLog.objects.bulk_create(logs)


# --- who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ME_URLS)
def test_anonymous_is_sent_to_sign_in(client, db, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ME_URLS)
def test_a_clinician_gets_403_on_patient_pages(dr_cho, name):
    assert client_for(dr_cho).get(url(name)).status_code == 403


def test_anonymous_and_clinician_cannot_see_a_saved_page(client, dr_cho, ana_plan):
    log = plan_services.session_log_create(
        patient=ana_plan.patient, day=ana_plan.start_date, activity="walking", minutes=15
    ).log
    target = url("me:session_saved", log_id=log.pk)
    assert client.get(target).status_code == 302
    assert client_for(dr_cho).get(target).status_code == 403


def test_another_patients_saved_page_is_404(ana_plan, ben_plan):
    log = plan_services.session_log_create(
        patient=ana_plan.patient, day=ana_plan.start_date, activity="walking", minutes=15
    ).log
    assert (
        client_for(ana_plan.patient).get(url("me:session_saved", log_id=log.pk)).status_code == 200
    )
    assert (
        client_for(ben_plan.patient).get(url("me:session_saved", log_id=log.pk)).status_code == 404
    )
    assert (
        client_for(ana_plan.patient).get(url("me:session_saved", log_id=99999)).status_code == 404
    )


def test_history_lists_only_the_patients_own_sessions(ana_plan, ben_plan):
    plan_services.session_log_create(
        patient=ben_plan.patient,
        day=ben_plan.start_date,
        activity="walking",
        minutes=10,
        notes="Ben's private note",
    )
    page = text(client_for(ana_plan.patient).get(url("me:history")))
    assert "Ben's private note" not in page


# --- /me/ ----------------------------------------------------------------------------------------


def test_before_clearance_the_dashboard_says_what_it_waits_for_and_prescribes_nothing(ana):
    response = client_for(ana).get(url("me:dashboard"))
    page = text(response)
    assert response.status_code == 200
    assert "Waiting for your exercise clearance" in page
    assert "Mei Cho" in page
    assert "discharge sheet" in page
    assert "minutes ×" not in page
    assert "Log a session" in page  # only the menu link, not a button on the page
    assert 'href="/me/sessions/new/" class="btn' not in response.content.decode()


def test_a_declined_clearance_says_exercise_is_on_hold(ana, dr_cho):
    from recovery.services import clearance_decline

    clearance_decline(
        clearance=ana.clearances.get(), actor=dr_cho, reason="Wound needs another review first."
    )
    page = text(client_for(ana).get(url("me:dashboard")))
    assert "on hold" in page
    assert "Wound needs another review" not in page  # the clinician's note stays in the clinic


def test_the_active_dashboard_shows_this_weeks_plan_and_closes_weeks_first(ana_plan):
    """Ana started 20 days ago: weeks 1 and 2 have closed, so opening /me/ prescribes week 3."""
    add_exercises()
    assert not PlanWeek.objects.filter(plan=ana_plan, week=3).exists()
    response = client_for(ana_plan.patient).get(url("me:dashboard"))
    page = text(response)
    week3 = PlanWeek.objects.get(plan=ana_plan, week=3)
    assert "Week 3 of your plan" in page
    assert f"{week3.minutes} minutes" in page
    assert "3 sessions" in page
    assert "0 of 3 sessions done so far" in page
    assert week3.reason in page
    assert "No lifting over 5 kg." in page  # the clearance's restrictions
    assert "Walking" in page and "Recumbent cycling" in page
    assert "Swimming" not in page


def test_exercises_are_the_active_core_and_stretches_of_the_stage_not_contraindicated(ana_plan):
    add_exercises()
    page = text(client_for(ana_plan.patient).get(url("me:dashboard")))
    assert "Pelvic tilt" in page and "gently flatten your lower back" in page
    assert "Take care: Stop if it causes sharp pain." in page
    assert "Hamstring stretch" in page
    assert "Bird dog" in page  # stage 2 = Ana's stage
    assert "Full plank" not in page  # stage 3
    assert "Retired crunch" not in page  # inactive
    assert "Treadmill walk" not in page  # cardio is the activity list, not an exercise card
    assert "Seated twist" not in page  # contraindicated after an epidural injection


def test_sessions_done_counts_only_completed_sessions(ana):
    today = patient_today(ana)
    plan = approve(ana, start=today, today=today)  # week 1: 15 minutes, 80 % = 12
    for minutes in (12, 11, 30):
        plan_services.session_log_create(
            patient=ana, day=today, activity="walking", minutes=minutes
        )
    page = text(client_for(ana).get(url("me:dashboard")))
    assert "2 of 3 sessions done so far" in page
    assert "counts as done at 12 minutes or more" in page
    assert plan.weeks.count() == 1


def test_a_plan_that_has_not_started_shows_its_first_week_without_a_log_button(ana):
    today = patient_today(ana)
    approve(ana, start=today + timedelta(days=3), today=today)
    response = client_for(ana).get(url("me:dashboard"))
    page = text(response)
    assert "Your plan starts on" in page
    assert "15 minutes" in page
    assert (
        'class="btn btn-primary btn-lg" href="/me/sessions/new/"' not in response.content.decode()
    )
    form = client_for(ana).get(url("me:session_new"))
    assert "Come back on that day" in text(form)


def _log_red_flag(patient: PatientProfile, flag: str):
    today = patient_today(patient)
    return plan_services.session_log_create(
        patient=patient, day=today, activity="walking", minutes=10, red_flags=[flag]
    )


def test_a_plan_paused_by_an_emergency_sign_says_call_911(ana_plan):
    _log_red_flag(ana_plan.patient, "saddle_numbness")
    page = text(client_for(ana_plan.patient).get(url("me:dashboard")))
    assert "Your plan is paused" in page
    assert "Call 911 or go to the nearest emergency department now" in page
    assert "Numbness in the groin, buttocks or inner thighs" in page
    assert "Log a session" not in page.replace("Log a session History", "")  # menu only


def test_a_plan_paused_by_a_same_day_sign_says_stop_and_call_today(ana_plan, settings):
    settings.CLINIC_PHONE = "(555) 777-1234"
    _log_red_flag(ana_plan.patient, "calf_pain")
    response = client_for(ana_plan.patient).get(url("me:dashboard"))
    page = text(response)
    assert "Stop exercising and call your care team today" in page
    assert "(555) 777-1234" in page
    assert 'href="tel:5557771234"' in response.content.decode()
    assert "Call 911 or go to the nearest emergency department now if you have" in page  # list
    assert "The signs you reported can mean" not in page


def test_after_the_care_team_has_seen_the_alert_the_page_calms_down(ana_plan, dr_cho):
    logged = _log_red_flag(ana_plan.patient, "fever")
    plan_services.alert_acknowledge(alert=logged.alert, actor=dr_cho)
    page = text(client_for(ana_plan.patient).get(url("me:dashboard")))
    assert "Your care team has seen your report" in page
    assert "If any of these signs come back or get worse" in page


def test_a_plan_paused_by_the_clinician_says_contact_the_care_team(ana_plan, dr_cho):
    plan_services.plan_pause(plan=ana_plan, actor=dr_cho, reason="Waiting for the MRI results.")
    page = text(client_for(ana_plan.patient).get(url("me:dashboard")))
    assert "Your plan is paused" in page
    assert "Please talk to your care team before exercising again" in page
    assert "Waiting for the MRI results." in page
    assert "Call 911 or go to the nearest emergency department now The" not in page


def test_the_dashboard_shows_the_progress_chart_and_its_table(ana_plan):
    response = client_for(ana_plan.patient).get(url("me:dashboard"))
    body = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body
    assert "Show the numbers as a table" in body
    assert re.search(r"<th scope=\"row\">3</th>", body)


def test_dashboard_query_budget_with_three_years_of_history(
    ana_plan, django_assert_max_num_queries
):
    add_exercises()
    seed_history(ana_plan, weeks=156)
    client = client_for(ana_plan.patient)
    client.get(url("me:dashboard"))  # the first request after sign-in stores the session's clock
    cache.clear()  # the drawing budget, not the page cache's
    with django_assert_max_num_queries(10):
        response = client.get(url("me:dashboard"))
    assert response.context is not None
    page = text(response)
    assert "Week 157 of your plan" in page
    assert "Bird dog" in page
    assert '<th scope="row">146</th>' in response.content.decode()  # the last 12 weeks
    assert '<th scope="row">145</th>' not in response.content.decode()


def test_dashboard_budget_does_not_grow_with_history(ana_plan, django_assert_num_queries):
    """No N+1: a one-week-old plan and a three-year-old one cost the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(ana_plan.patient)
    seed_history(ana_plan, weeks=2)
    client.get(url("me:dashboard"))
    cache.clear()  # measure drawing the page, not serving it from the page cache
    with CaptureQueriesContext(connection) as short:
        client.get(url("me:dashboard"))
    seed_history(ana_plan, weeks=156)
    client.get(url("me:dashboard"))  # closes the new weeks
    cache.clear()
    with CaptureQueriesContext(connection) as long:
        client.get(url("me:dashboard"))
    assert len(long) == len(short)


def test_paused_dashboard_budget(ana_plan, django_assert_max_num_queries):
    seed_history(ana_plan, weeks=156)
    _log_red_flag(ana_plan.patient, "fever")
    client = client_for(ana_plan.patient)
    client.get(url("me:dashboard"))
    cache.clear()  # the drawing budget, not the page cache's
    with django_assert_max_num_queries(10):
        response = client.get(url("me:dashboard"))
    assert "Your plan is paused" in text(response)


def test_the_waiting_dashboard_budget(ana, django_assert_max_num_queries):
    client = client_for(ana)
    client.get(url("me:dashboard"))
    cache.clear()  # the drawing budget, not the page cache's
    with django_assert_max_num_queries(5):
        client.get(url("me:dashboard"))


# --- /me/sessions/new/ ---------------------------------------------------------------------------


def test_the_log_form_is_prefilled_and_offers_only_allowed_activities(ben_plan):
    today = patient_today(ben_plan.patient)
    response = client_for(ben_plan.patient).get(url("me:session_new"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{today.isoformat()}"' in body
    assert f'max="{today.isoformat()}"' in body
    assert f'min="{ben_plan.start_date.isoformat()}"' in body
    assert re.search(r'name="minutes" value="10"', body)  # Ben's week 1: 10 minutes
    assert 'value="walking"' in body
    assert 'value="recumbent_bike"' not in body and 'value="water"' not in body
    assert re.search(r'type="hidden" name="submission_token" value="[0-9a-f-]{36}"', body)
    for label in (
        "Date of the session",
        "What did you do?",
        "How many minutes did you exercise?",
        "Pain after exercise, from 0 to 10 (optional)",
        "How many hours did that pain last? (optional)",
        "The pain was sharp, not just a dull ache or soreness",
        "Since your last session, have you had any of these?",
        "Loss of control of your bladder or bowels",
        "A fall",
        "How hard did it feel? (optional)",
    ):
        assert label in text(response), label
    # Help text is tied to its field for screen readers.
    assert 'aria-describedby="id_pain_helptext"' in body


def test_logging_a_session_stores_it_and_redirects_to_the_saved_page(ana_plan):
    patient = ana_plan.patient
    today = patient_today(patient)
    data = log_form(ana_plan, today, pain="3", pain_lasted_hours="1.5", notes=" stiff at first ")
    response = client_for(patient).post(url("me:session_new"), data)
    log = SessionLog.objects.get(plan=ana_plan)
    assert response.status_code == 302
    assert response.url == url("me:session_saved", log_id=log.pk)
    assert (log.date, log.activity, log.minutes, log.pain) == (today, "walking", 20, 3)
    assert str(log.pain_lasted_hours) == "1.5"
    assert log.exertion == 11
    assert log.notes == "stiff at first"
    assert str(log.submission_token) == data["submission_token"]
    assert log.red_flags == []


def test_bad_input_comes_back_with_what_was_typed_and_stores_nothing(ana_plan):
    patient = ana_plan.patient
    tomorrow = patient_today(patient) + timedelta(days=1)
    data = log_form(
        ana_plan,
        tomorrow,
        minutes="0",
        pain="12",
        notes="Knee felt odd",
        sharp_pain="on",
        red_flags_same_day=["tingling"],
    )
    response = client_for(patient).post(url("me:session_new"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert not SessionLog.objects.exists()
    assert "Please check your answers. Nothing was saved yet." in text(response)
    # Each error beside its field (crispy marks the input invalid and puts the message after it).
    assert re.search(r'name="date" value="' + tomorrow.isoformat() + '"[^>]*is-invalid', body) or (
        'value="' + tomorrow.isoformat() + '"' in body
        and "The date cannot be in the future." in body
    )
    assert "The date cannot be in the future." in body
    assert "Enter at least 1 minute." in body
    assert "Enter a whole number from 0 to 10." in body
    assert 'id="error_1_id_minutes"' in body
    # What was typed is kept.
    assert "Knee felt odd" in body
    assert re.search(r'name="pain" value="12"', body)
    assert re.search(r'name="sharp_pain"[^>]*checked', body)
    assert re.search(r'value="tingling"[^>]*checked', body)
    assert data["submission_token"] in body
    # The summary links to each field.
    assert 'href="#id_date"' in body and 'href="#id_minutes"' in body


def test_a_resubmitted_form_stores_the_session_once(ana_plan):
    patient = ana_plan.patient
    data = log_form(ana_plan, patient_today(patient))
    client = client_for(patient)
    first = client.post(url("me:session_new"), data)
    second = client.post(url("me:session_new"), data)
    assert SessionLog.objects.filter(plan=ana_plan).count() == 1
    assert first.url == second.url == url("me:session_saved", log_id=SessionLog.objects.get().pk)


def test_a_form_without_a_valid_token_is_refused_with_a_fresh_token(ana_plan):
    patient = ana_plan.patient
    data = log_form(ana_plan, patient_today(patient), submission_token="not-a-token")
    response = client_for(patient).post(url("me:session_new"), data)
    body = response.content.decode()
    assert not SessionLog.objects.exists()
    assert "This form could not be checked" in body
    token = re.search(r'name="submission_token" value="([^"]+)"', body).group(1)
    assert uuid.UUID(token)
    data["submission_token"] = token
    assert client_for(patient).post(url("me:session_new"), data).status_code == 302


def test_a_service_refusal_is_shown_beside_the_field_it_names(ana_plan, monkeypatch):
    """The form and the service check the same rules, so a refusal the form let through cannot be
    produced by a request: the service is replaced here to see where its message lands."""

    def refuse(**kwargs):
        raise DomainError("That activity is not part of your plan yet.", field="activity")

    monkeypatch.setattr("plans.views_patient.session_log_create", refuse)
    patient = ana_plan.patient
    response = client_for(patient).post(
        url("me:session_new"), log_form(ana_plan, patient_today(patient))
    )
    body = response.content.decode()
    assert "That activity is not part of your plan yet." in body
    assert 'id="error_1_id_activity"' in body


def test_a_red_flag_leads_to_the_urgent_page_and_pauses_the_plan(ana_plan, settings):
    settings.CLINIC_PHONE = "(555) 010-2030"
    patient = ana_plan.patient
    client = client_for(patient)
    data = log_form(ana_plan, patient_today(patient), red_flags_same_day=["weakness"])
    response = client.post(url("me:session_new"), data, follow=True)
    page = text(response)
    assert "Stop exercising and call your care team today" in page
    assert "(555) 010-2030" in page
    assert "New weakness in an arm or a leg" in page
    assert Alert.objects.get(plan=ana_plan).tier == "same_day"
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    assert "Your plan is paused" in text(client.get(url("me:dashboard")))
    # And no further session can be logged while paused.
    again = client.post(url("me:session_new"), log_form(ana_plan, patient_today(patient)))
    assert again.status_code == 409
    assert SessionLog.objects.filter(plan=ana_plan).count() == 1


def test_an_emergency_flag_leads_to_call_911(ana_plan):
    patient = ana_plan.patient
    data = log_form(ana_plan, patient_today(patient), red_flags_emergency=["both_legs"])
    page = text(client_for(patient).post(url("me:session_new"), data, follow=True))
    assert "Call 911 or go to the nearest emergency department now" in page
    assert Alert.objects.get(plan=ana_plan).tier == "emergency"


def test_the_log_form_is_unavailable_without_a_plan(ana):
    response = client_for(ana).get(url("me:session_new"))
    assert "You can log sessions once your plan has started" in text(response)
    post = client_for(ana).post(url("me:session_new"), {"minutes": "10"})
    assert post.status_code == 409


# --- the saved page ------------------------------------------------------------------------------


def _saved_page(patient, **overrides) -> str:
    data = log_form(None, patient_today(patient), **overrides)
    return text(client_for(patient).post(url("me:session_new"), data, follow=True))


def test_saved_page_encourages_when_too_few_sessions_are_done_so_far(ana):
    today = patient_today(ana)
    approve(ana, start=today, today=today)  # 15 minutes × 3, two completed sessions needed
    page = _saved_page(ana, minutes="15", pain="1")
    assert "Keep going" in page
    assert "You have completed 1 of the 2 sessions this week needs." in page
    assert "1 more session of at least 12 minutes" in page
    assert "are saved; sessions count" not in page


def test_saved_page_says_a_short_session_is_saved_but_does_not_count(ana):
    today = patient_today(ana)
    approve(ana, start=today, today=today)  # 15 minutes × 3: sessions count from 12 minutes
    page = _saved_page(ana, minutes="10", pain="1")
    assert "This session's 10 minutes are saved; sessions count towards moving up from 12 " in page
    assert "You have completed 0 of the 2 sessions this week needs." in page


def test_saved_page_says_on_track_when_the_week_is_going_well(ana):
    today = patient_today(ana)
    approve(ana, start=today, today=today)
    for _ in range(2):
        plan_services.session_log_create(patient=ana, day=today, activity="walking", minutes=15)
    page = _saved_page(ana, minutes="15", pain="1")
    assert "You're on track" in page
    assert "next week adds 10 minutes, to 25 minutes per session" in page


@pytest.mark.parametrize(
    "overrides",
    [{"sharp_pain": "on"}, {"pain": "7"}, {"pain": "3", "pain_lasted_hours": "2.5"}],
    ids=["sharp", "pain-7", "lasted-over-2h"],
)
def test_saved_page_says_next_week_will_be_lowered(ana, overrides):
    today = patient_today(ana)
    plan = approve(ana, start=today - timedelta(days=7), today=today - timedelta(days=7))
    plan_services.plan_close_weeks(plan=plan, today=today)  # nothing logged: week 2 holds at 15
    page = _saved_page(ana, minutes="15", **overrides)
    assert "We'll lower next week" in page
    assert "next week eases back to 10 minutes" in page


def test_saved_page_for_a_session_in_a_week_already_closed(ana_plan):
    patient = ana_plan.patient
    page = _saved_page(patient, date=ana_plan.start_date.isoformat())
    assert "Saved in your history" in page
    assert "week 1, which has already ended" in page


def test_saved_page_query_budget(ana_plan, django_assert_max_num_queries):
    seed_history(ana_plan, weeks=156)
    log = SessionLog.objects.filter(plan=ana_plan).first()
    client = client_for(ana_plan.patient)
    client.get(url("me:dashboard"))
    with django_assert_max_num_queries(6):
        assert client.get(url("me:session_saved", log_id=log.pk)).status_code == 200


# --- /me/sessions/ -------------------------------------------------------------------------------


def test_history_is_newest_first_with_each_weeks_prescription_and_decision(ana_plan):
    patient = ana_plan.patient
    plan_services.session_log_create(
        patient=patient, day=ana_plan.start_date, activity="walking", minutes=15, pain=2
    )
    client = client_for(patient)
    client.get(url("me:dashboard"))  # closes weeks 1 and 2
    page = text(client.get(url("me:history")))
    assert page.index("Week 3") < page.index("Week 2") < page.index("Week 1")
    assert "15 minutes × 3 sessions" in page
    assert "Start" in page and "Hold" in page
    assert "Your first week starts gently" in page
    assert "Walking" in page and "2/10" in page


def test_history_is_paginated_with_bounded_queries(ana_plan, django_assert_max_num_queries):
    seed_history(ana_plan, weeks=156)
    client = client_for(ana_plan.patient)
    client.get(url("me:dashboard"))
    with django_assert_max_num_queries(6):
        first = client.get(url("me:history"))
    with django_assert_max_num_queries(6):
        last = client.get(url("me:history") + "?page=14")
    assert "Week 157" in text(first) and "Week 146" in text(first)
    assert "Week 145" not in text(first)
    assert "Page 1 of 14" in text(first) and "Older weeks" in text(first)
    assert "Week 1 " in text(last) and "Newer weeks" in text(last)
    assert client.get(url("me:history") + "?page=nonsense").status_code == 200


# --- /me/settings/ -------------------------------------------------------------------------------


def test_settings_show_the_current_choice_and_save_through_the_service(ana):
    client = client_for(ana)
    body = client.get(url("me:settings")).content.decode()
    assert 'data-browser-default="true"' in body  # never saved: the browser may suggest a zone
    assert re.search(r'<option value="America/New_York"[^>]*selected', body)
    response = client.post(
        url("me:settings"),
        {"weekday": "4", "hour": "18", "timezone": "Europe/Berlin"},  # box unticked: opt out
    )
    assert response.status_code == 302
    ana.refresh_from_db()
    assert (ana.reminder_weekday, ana.reminder_hour, ana.timezone) == (4, 18, "Europe/Berlin")
    assert ana.reminders_enabled is False
    event = AuditEvent.objects.get(action="patient_update_reminders")
    assert event.actor == ana.user and event.patient == ana
    after = client.get(url("me:settings"))
    assert "Your reminder settings are saved." in text(after)
    assert 'data-browser-default="true"' not in after.content.decode()


def test_settings_refuse_an_unknown_time_zone_and_keep_the_rest(ana):
    response = client_for(ana).post(
        url("me:settings"),
        {"weekday": "2", "hour": "7", "timezone": "Mars/Olympus", "reminders_enabled": "on"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Pick a time zone from the list." in body
    assert re.search(r'<option value="2"[^>]*selected', body)
    ana.refresh_from_db()
    assert ana.timezone == "America/New_York"
    assert not AuditEvent.objects.filter(action="patient_update_reminders").exists()


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["me:session_new", "me:settings"])
def test_every_post_needs_the_csrf_token(ana_plan, name):
    patient = ana_plan.patient
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient.user)
    data = (
        log_form(ana_plan, patient_today(patient))
        if name == "me:session_new"
        else {"weekday": "1", "hour": "9", "timezone": "UTC"}
    )
    assert client.post(url(name), data).status_code == 403
    assert not SessionLog.objects.exists()
    client.get(url(name))  # sets the CSRF cookie, as a browser would
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post(url(name), data).status_code == 302


def test_logging_is_rate_limited_per_patient(client, ana_plan, ben_plan):
    from recovery.ratelimit import hit

    client.force_login(ana_plan.patient.user)
    for _ in range(30):
        assert hit("session_log", f"user:{ana_plan.patient.user.pk}", limit=30, window=600)
    response = client.post("/me/sessions/new/", {})
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    # Another patient is not affected.
    client.force_login(ben_plan.patient.user)
    assert client.post("/me/sessions/new/", {}).status_code == 200
