"""Weeks: the patient's clock, plan_close_weeks, and the clinician's controls of a running plan.

Session rows are written straight to the table here (around the service) where a test needs a
week's history that the service itself would refuse or react to, such as a warning sign left in
a week that is still active.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from plans import engine, services
from plans.models import PauseCause, Plan, PlanStatus, PlanWeek, SessionLog
from plans.services import (
    clearance_revoke,
    patient_today,
    plan_close_weeks,
    plan_pause,
    plan_resume,
    plan_set_stage,
    plan_update_rules,
    session_log_create,
)
from recovery.errors import DomainError
from recovery.models import AuditEvent
from tests.conftest import approve, make_patient
from tests.support import refused

START = date.today() - timedelta(days=60)


def day(plan: Plan, offset: int) -> date:
    return plan.start_date + timedelta(days=offset)


def rows(plan: Plan) -> list[tuple]:
    return list(
        plan.weeks.order_by("week").values_list("week", "minutes", "sessions_per_week", "decision")
    )


def add(plan: Plan, week: int, *sessions: dict) -> None:
    """Sessions on the first day of `week`, written around the service."""
    for values in sessions:
        SessionLog.objects.create(
            plan=plan,
            date=day(plan, 7 * (week - 1)),
            week=week,
            activity="walking",
            **values,
        )


@pytest.fixture
def plan(ana) -> Plan:
    """Ana's plan from START: rules 15 / 5–10 / target 40 / 3 a week, walking and cycling."""
    return approve(ana, start=START)


# --- the patient's clock --------------------------------------------------------------------------


@pytest.fixture
def lia(dr_cho):
    return make_patient(
        "lia",
        "Lia",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=START - timedelta(days=10),
        timezone_name="America/Los_Angeles",
    )


@pytest.fixture
def kai(dr_cho):
    return make_patient(
        "kai",
        "Kai",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=START - timedelta(days=10),
        timezone_name="Asia/Tokyo",
    )


def test_a_late_evening_session_belongs_to_the_local_week(lia):
    plan = approve(lia, start=START)
    last_day = day(plan, 6)
    local = datetime.combine(last_day, time(23, 30), tzinfo=ZoneInfo("America/Los_Angeles"))
    now = local.astimezone(UTC)
    assert now.date() == day(plan, 7)  # UTC is already in week 2

    assert patient_today(lia, now) == last_day
    result = session_log_create(patient=lia, day=last_day, activity="walking", minutes=15, now=now)
    assert result.log.date == last_day
    assert result.log.week == 1
    assert rows(plan) == [(1, 15, 3, "start")]  # week 1 has not closed on Lia's clock

    with pytest.raises(DomainError, match=r"The date cannot be in the future\."):
        session_log_create(patient=lia, day=day(plan, 7), activity="walking", minutes=15, now=now)

    after_midnight = now + timedelta(minutes=31)
    result = session_log_create(
        patient=lia, day=day(plan, 7), activity="walking", minutes=15, now=after_midnight
    )
    assert result.log.week == 2
    assert [week for week, *_ in rows(plan)] == [1, 2]


def test_a_patient_ahead_of_utc_is_already_in_the_next_week(kai):
    plan = approve(kai, start=START)
    local = datetime.combine(day(plan, 7), time(0, 30), tzinfo=ZoneInfo("Asia/Tokyo"))
    now = local.astimezone(UTC)
    assert now.date() == day(plan, 6)

    assert patient_today(kai, now) == day(plan, 7)
    result = session_log_create(
        patient=kai, day=day(plan, 7), activity="walking", minutes=15, now=now
    )
    assert result.log.week == 2
    assert [week for week, *_ in rows(plan)] == [1, 2]


def test_patient_today_defaults_to_the_current_moment(lia):
    expected = timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert patient_today(lia) == expected


# --- plan_close_weeks -----------------------------------------------------------------------------


def test_close_weeks_is_idempotent(plan):
    created = plan_close_weeks(plan=plan, today=day(plan, 20))
    assert [week.week for week in created] == [2, 3]
    assert plan_close_weeks(plan=plan, today=day(plan, 20)) == []
    assert plan_close_weeks(plan=plan.pk, today=day(plan, 20)) == []
    assert [week for week, *_ in rows(plan)] == [1, 2, 3]


@pytest.mark.parametrize(("offset", "weeks"), [(0, [1]), (6, [1]), (7, [1, 2]), (13, [1, 2])])
def test_a_week_closes_once_its_last_day_has_passed(plan, offset, weeks):
    plan_close_weeks(plan=plan, today=day(plan, offset))
    assert [week for week, *_ in rows(plan)] == weeks


def _history_plan(plan: Plan) -> None:
    """Seven weeks that walk through every decision but STOP (rules 15 / 5–10 / 40 / 3)."""
    add(plan, 1, *[{"minutes": 15, "pain": 1}] * 3)  # all done, little pain
    add(plan, 2, {"minutes": 25, "pain": 1})  # 1 of 3 done
    add(plan, 3, {"minutes": 25, "pain": 2}, {"minutes": 25, "pain": 7}, {"minutes": 25})
    add(plan, 4, *[{"minutes": 20, "pain": 3}] * 2)  # 2 of 3 done
    add(plan, 5, *[{"minutes": 25, "pain": 0}] * 3)
    add(plan, 6, *[{"minutes": 35, "pain": 0}] * 3)
    add(plan, 7, *[{"minutes": 40}] * 3)


EXPECTED = [
    (1, 15, 3, "start"),
    (2, 25, 3, "progress"),  # +10: every session done, little pain
    (3, 25, 3, "hold"),  # 1 of 3 done
    (4, 20, 3, "reduce"),  # pain 7
    (5, 25, 3, "progress"),  # +5: 2 of 3 done
    (6, 35, 3, "progress"),  # +10
    (7, 40, 3, "progress"),  # capped at the target
    (8, 40, 3, "maintain"),
]


@pytest.mark.parametrize("mode", ["late", "daily"])
def test_close_weeks_materialises_the_engines_decisions(plan, mode):
    _history_plan(plan)
    if mode == "late":
        created = plan_close_weeks(plan=plan, today=day(plan, 49))
        assert [week.week for week in created] == [2, 3, 4, 5, 6, 7, 8]
    else:
        for offset in range(50):
            plan_close_weeks(plan=plan, today=day(plan, offset))
    assert rows(plan) == EXPECTED

    # Minutes and reasons are exactly the engine's, week by week.
    rules = plan.rules()
    sessions = {
        week: [log.summary() for log in plan.sessions.filter(week=week)] for week in range(1, 8)
    }
    history: list[engine.WeekLog] = []
    for week in plan.weeks.order_by("week"):
        expected = engine.next_week(rules, history)
        assert (week.week, week.minutes, week.decision, week.reason) == (
            expected.week,
            expected.minutes,
            expected.decision.value,
            expected.reason,
        )
        history.append(engine.WeekLog(week.minutes, tuple(sessions.get(week.week, ()))))
    assert plan.weeks.get(week=4).reason == (
        "Your pain reached 7 out of 10 after exercise, so next week eases back to 20 minutes."
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_close_weeks_writes_week_one_when_it_is_missing(plan):
    PlanWeek.objects.filter(plan=plan).delete()
    created = plan_close_weeks(plan=plan, today=day(plan, 8))
    assert [(week.week, week.decision) for week in created] == [(2, "hold")]
    assert rows(plan) == [(1, 15, 3, "start"), (2, 15, 3, "hold")]


def test_a_warning_sign_in_a_closed_week_stops_and_pauses(plan):
    add(plan, 1, *[{"minutes": 15, "pain_before": 1, "pain": 1}] * 3)  # comfortable: +10
    add(plan, 2, {"minutes": 25, "red_flags": ["saddle_numbness"]})
    created = plan_close_weeks(plan=plan, today=day(plan, 40))

    assert [(week.week, week.decision) for week in created] == [(2, "progress"), (3, "stop")]
    assert rows(plan) == [
        (1, 15, 3, "start"),
        (2, 25, 3, "progress"),
        (3, 0, 0, "stop"),
    ]  # nothing follows a STOP, however late the call
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    stop = plan.weeks.get(week=3)
    assert (plan.pause_cause, plan.pause_week, plan.pause_day, plan.pause_reason) == (
        PauseCause.WEEK_STOP,
        stop,
        None,
        "",
    )
    # Said from the STOP week's cause, naming the weeks, for each reader.
    assert plan.patient_pause_words == (
        "Week 3 has no exercise because in week 2 you reported an urgent warning sign: your "
        "plan is paused until your care team reviews it."
    )
    assert plan.clinician_pause_words == (
        "No exercise: an emergency warning sign reported in week 2; paused until reviewed."
    )
    audit = AuditEvent.objects.get(action="plan_pause")
    assert (audit.actor, audit.object_id) == (None, str(plan.pk))
    assert plan_close_weeks(plan=plan, today=day(plan, 60)) == []


def test_a_paused_plan_closes_nothing(plan, dr_cho):
    plan_pause(plan=plan, actor=dr_cho, reason="Waiting for the MRI results.")
    assert plan_close_weeks(plan=plan, today=day(plan, 30)) == []
    assert rows(plan) == [(1, 15, 3, "start")]


def test_a_completed_plan_closes_nothing(plan):
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)
    assert plan_close_weeks(plan=plan, today=day(plan, 30)) == []
    assert rows(plan) == [(1, 15, 3, "start")]


def test_a_plan_starting_in_the_future_has_only_week_one(ana):
    today = date.today()
    plan = approve(ana, start=today + timedelta(days=5), today=today)
    assert plan_close_weeks(plan=plan, today=today) == []
    assert plan_close_weeks(plan=plan, today=day(plan, 6)) == []
    assert rows(plan) == [(1, 15, 3, "start")]
    assert [week.week for week in plan_close_weeks(plan=plan, today=day(plan, 7))] == [2]


# --- plan_pause -----------------------------------------------------------------------------------


def test_pause_records_the_reason_and_is_audited(plan, dr_cho):
    paused = plan_pause(plan=plan, actor=dr_cho, reason="  Waiting for the MRI results.  ")
    plan.refresh_from_db()
    assert paused.status == plan.status == PlanStatus.PAUSED
    assert (plan.pause_cause, plan.pause_reason) == (
        PauseCause.CLINICIAN,
        "Waiting for the MRI results.",
    )
    assert plan.clinician_pause_words == plan.patient_pause_words == plan.pause_reason
    assert plan.paused_at is not None
    audit = AuditEvent.objects.get(action="plan_pause")
    assert (audit.actor, audit.object_id, audit.patient) == (dr_cho, str(plan.pk), plan.patient)


@pytest.mark.parametrize("reason", ["", "   ", "MRI soon"])
def test_pause_needs_a_reason(plan, dr_cho, reason):
    refused(
        lambda: plan_pause(plan=plan, actor=dr_cho, reason=reason),
        "Please write a reason of at least 10 characters.",
        field="reason",
    )


def test_pause_refuses_another_clinician(plan, dr_dev):
    refused(
        lambda: plan_pause(plan=plan, actor=dr_dev, reason="Waiting for the MRI results."),
        "Only the patient's assigned clinician can change this plan.",
    )


def test_pause_refuses_a_paused_plan(plan, dr_cho):
    plan_pause(plan=plan, actor=dr_cho, reason="Waiting for the MRI results.")
    refused(
        lambda: plan_pause(plan=plan, actor=dr_cho, reason="Waiting for the MRI results."),
        "Only an active plan can be paused.",
    )


# --- plan_resume ----------------------------------------------------------------------------------


@pytest.fixture
def paused(plan, dr_cho) -> Plan:
    plan_close_weeks(plan=plan, today=day(plan, 20))
    plan_pause(plan=plan, actor=dr_cho, reason="Waiting for the MRI results.")
    return plan


@pytest.mark.parametrize("minutes", [10, 12, 15])
def test_resume_starts_a_new_history_at_the_chosen_minutes(paused, dr_cho, minutes):
    today = day(paused, 24)
    new = plan_resume(plan=paused, actor=dr_cho, start_minutes=minutes, today=today)

    paused.refresh_from_db()
    assert paused.status == PlanStatus.COMPLETED
    assert paused.ended_at is not None
    assert new.status == PlanStatus.ACTIVE
    assert new.pk != paused.pk
    assert new.restarted_from == paused
    assert new.clearance == paused.clearance
    assert new.start_date == today
    assert (new.stage, new.allowed_activities) == (paused.stage, paused.allowed_activities)
    assert new.rules() == engine.Rules(minutes, 5, 10, 40, 3)
    assert rows(new) == [(1, minutes, 3, "start")]
    assert [week for week, *_ in rows(paused)] == [1, 2, 3]  # the old history stays as it was
    audit = AuditEvent.objects.get(action="plan_resume")
    assert (audit.actor, audit.object_id, audit.detail) == (
        dr_cho,
        str(new.pk),
        {"start_minutes": minutes, "last_prescription": 15},
    )


def test_resume_after_a_warning_sign(ana_plan, dr_cho):
    today = date.today()
    moment = datetime.combine(today, time(12), tzinfo=ana_plan.patient.tz)
    session_log_create(
        patient=ana_plan.patient,
        day=today,
        activity="walking",
        minutes=15,
        red_flags=["fall"],
        now=moment,
    )
    new = plan_resume(plan=ana_plan, actor=dr_cho, start_minutes=10, today=today)
    result = session_log_create(
        patient=ana_plan.patient, day=today, activity="walking", minutes=10, now=moment
    )
    assert result.log.plan == new
    assert result.log.week == 1
    assert Plan.objects.filter(patient=ana_plan.patient, status="active").get() == new


@pytest.mark.parametrize("minutes", [9, 16, 0])
def test_resume_refuses_minutes_below_10_or_above_the_last_prescription(paused, dr_cho, minutes):
    """The paused plan never went past 15 minutes: 15 is as high as it may restart."""
    refused(
        lambda: plan_resume(
            plan=paused, actor=dr_cho, start_minutes=minutes, today=day(paused, 24)
        ),
        "Restart between 10 and 15 minutes (the last prescription).",
        field="start_minutes",
    )


def test_resume_refuses_when_clearance_was_revoked(plan, dr_cho):
    clearance_revoke(clearance=plan.clearance, actor=dr_cho, reason="New disc herniation on MRI.")
    refused(
        lambda: plan_resume(plan=plan, actor=dr_cho, start_minutes=10, today=day(plan, 24)),
        "Clearance was withdrawn; approve a new clearance to restart exercise.",
    )


def test_resume_refuses_an_active_plan(plan, dr_cho):
    refused(
        lambda: plan_resume(plan=plan, actor=dr_cho, start_minutes=10, today=day(plan, 24)),
        "Only a paused plan can be resumed.",
    )


def test_resume_refuses_another_clinician(paused, dr_dev):
    refused(
        lambda: plan_resume(plan=paused, actor=dr_dev, start_minutes=10, today=day(paused, 24)),
        "Only the patient's assigned clinician can change this plan.",
    )


# --- plan_update_rules ----------------------------------------------------------------------------


NEW_RULES = {
    "start_minutes": 15,
    "min_increment": 5,
    "max_increment": 5,
    "target_minutes": 25,
    "sessions_per_week": 2,
}


def test_update_rules_changes_the_coming_weeks_and_is_audited(plan, dr_cho):
    plan_close_weeks(plan=plan, today=day(plan, 7))
    before = rows(plan)
    plan_update_rules(plan=plan, actor=dr_cho, rules=NEW_RULES)
    plan.refresh_from_db()
    assert plan.rules().__dict__ == NEW_RULES
    assert rows(plan) == before  # weeks already prescribed keep their numbers

    audit = AuditEvent.objects.get(action="plan_update_rules")
    assert audit.actor == dr_cho
    assert audit.detail["after"] == NEW_RULES
    assert audit.detail["before"]["target_minutes"] == 40

    add(plan, 2, *[{"minutes": 15}] * 2)
    plan_close_weeks(plan=plan, today=day(plan, 14))
    assert rows(plan)[-1] == (3, 20, 2, "progress")  # new step 5, 2 sessions a week


def test_update_rules_accepts_an_engine_rules_value(plan, dr_cho):
    plan_update_rules(plan=plan, actor=dr_cho, rules=engine.Rules(**NEW_RULES))
    plan.refresh_from_db()
    assert plan.rules() == engine.Rules(**NEW_RULES)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_minutes": 9}, "start_minutes"),
        ({"start_minutes": 16}, "start_minutes"),
        ({"min_increment": 4}, "min_increment"),
        ({"max_increment": 11}, "max_increment"),
        ({"min_increment": 10, "max_increment": 5}, "max_increment"),
        ({"target_minutes": 121}, "target_minutes"),
        ({"target_minutes": 10}, "target_minutes"),
        ({"sessions_per_week": 0}, "sessions_per_week"),
        ({"sessions_per_week": 8}, "sessions_per_week"),
    ],
)
def test_update_rules_refuses_values_out_of_bounds(plan, dr_cho, change, field):
    refused(
        lambda: plan_update_rules(plan=plan, actor=dr_cho, rules={**NEW_RULES, **change}),
        field,
        field=field,
    )


def test_update_rules_refuses_another_clinician(plan, dr_dev):
    refused(
        lambda: plan_update_rules(plan=plan, actor=dr_dev, rules=NEW_RULES),
        "Only the patient's assigned clinician can change this plan.",
    )


def test_update_rules_refuses_a_completed_plan(paused, dr_cho):
    plan_resume(plan=paused, actor=dr_cho, start_minutes=10, today=day(paused, 24))
    refused(
        lambda: plan_update_rules(plan=paused, actor=dr_cho, rules=NEW_RULES),
        "This plan has ended; its rules can no longer change.",
    )


# --- plan_set_stage -------------------------------------------------------------------------------


def test_stage_four_needs_an_explicit_sign_off(plan, dr_cho):
    refused(
        lambda: plan_set_stage(plan=plan, actor=dr_cho, stage=4),
        "Stage 4 (running, heavy lifting, contact sport) needs your explicit sign-off.",
        field="signed_off",
    )
    plan_set_stage(plan=plan, actor=dr_cho, stage=4, signed_off=True)
    plan.refresh_from_db()
    assert plan.stage == 4
    assert plan.allowed_activities == ["walking", "recumbent_bike"]  # raising adds none itself


def test_lowering_the_stage_removes_activities_above_it(plan, dr_cho):
    """Walking and cycling are first activities (any stage); the elliptical is stage 3."""
    plan_set_stage(
        plan=plan,
        actor=dr_cho,
        stage=3,
        allowed_activities=["walking", "recumbent_bike", "elliptical"],
        override_reason="Reviewed in clinic: strong and fully healed now.",
    )
    plan_set_stage(plan=plan, actor=dr_cho, stage=2)
    plan.refresh_from_db()
    assert plan.stage == 2
    assert plan.allowed_activities == ["walking", "recumbent_bike"]
    audit = AuditEvent.objects.filter(action="plan_set_stage").latest("pk")
    assert (audit.actor, audit.detail) == (
        dr_cho,
        {
            "before": 3,
            "after": 2,
            "activities_before": ["walking", "recumbent_bike", "elliptical"],
            "activities_after": ["walking", "recumbent_bike"],
        },
    )
    with pytest.raises(DomainError, match=r"That activity is not part of your plan yet\."):
        session_log_create(
            patient=plan.patient,
            day=day(plan, 1),
            activity="elliptical",
            minutes=15,
            now=datetime.combine(day(plan, 1), time(12), tzinfo=plan.patient.tz),
        )


def test_lowering_below_every_activity_leaves_walking(ana, dr_cho):
    plan = approve(ana, start=START, stage=3, activities=("elliptical",))
    plan_set_stage(plan=plan, actor=dr_cho, stage=1)
    plan.refresh_from_db()
    assert plan.allowed_activities == ["walking"]


@pytest.mark.parametrize("stage", [0, 5])
def test_stage_out_of_range_is_refused(plan, dr_cho, stage):
    refused(
        lambda: plan_set_stage(plan=plan, actor=dr_cho, stage=stage, signed_off=True),
        "The stage must be between 1 and 4.",
        field="stage",
    )


def test_set_stage_refuses_another_clinician(plan, dr_dev):
    refused(
        lambda: plan_set_stage(plan=plan, actor=dr_dev, stage=1),
        "Only the patient's assigned clinician can change this plan.",
    )


# --- review fixes: late logs, activities with the stage, stage 4 at approval -------------------


def test_a_session_logged_late_for_last_week_redecides_this_week(ana):
    """Sunday's sharp pain logged on Monday lowers this week instead of being ignored."""
    start = date(2026, 11, 2)  # a Monday; week 1 is 2–8 November
    plan = approve(ana, start=start, sessions_per_week=3, target=40)
    for day in (2, 4):
        session_log_create(
            patient=ana,
            day=date(2026, 11, day),
            activity="walking",
            minutes=15,
            now=datetime(2026, 11, day, 18, tzinfo=ana.tz),
        )
    monday = datetime(2026, 11, 9, 9, tzinfo=ana.tz)
    services.plan_close_weeks(plan=plan, today=monday.date())
    week2 = PlanWeek.objects.get(plan=plan, week=2)
    assert week2.decision == "progress"
    session_log_create(
        patient=ana,
        day=date(2026, 11, 8),
        activity="walking",
        minutes=15,
        pain=8,
        sharp_pain=True,
        now=monday,
    )
    week2.refresh_from_db()
    assert (week2.decision, week2.minutes) == ("reduce", 10)
    assert AuditEvent.objects.filter(action="plan_week_redecided").count() == 1


def test_a_late_log_that_changes_nothing_rewrites_nothing(ana):
    start = date(2026, 11, 2)
    plan = approve(ana, start=start, sessions_per_week=3, target=40)
    for day in (2, 4, 6):
        session_log_create(
            patient=ana,
            day=date(2026, 11, day),
            activity="walking",
            minutes=15,
            pain=1,
            now=datetime(2026, 11, day, 18, tzinfo=ana.tz),
        )
    monday = datetime(2026, 11, 9, 9, tzinfo=ana.tz)
    services.plan_close_weeks(plan=plan, today=monday.date())
    session_log_create(
        patient=ana, day=date(2026, 11, 8), activity="walking", minutes=15, pain=1, now=monday
    )
    assert PlanWeek.objects.get(plan=plan, week=2).decision == "progress"
    assert not AuditEvent.objects.filter(action="plan_week_redecided").exists()


def test_raising_the_stage_can_add_activities_of_that_stage(ana, dr_cho):
    plan = approve(ana, start=date.today(), stage=1, activities=("walking",))
    plan_set_stage(plan=plan, actor=dr_cho, stage=2, allowed_activities=["walking", "water"])
    plan.refresh_from_db()
    assert (plan.stage, plan.allowed_activities) == (2, ["walking", "water"])
    refused(
        lambda: plan_set_stage(plan=plan, actor=dr_cho, stage=2, allowed_activities=["running"]),
        "Stage 2 does not include: Running.",
        field="allowed_activities",
    )


def test_approval_at_stage_4_needs_the_sign_off(ana, dr_cho):
    clearance = ana.clearances.get(status="pending")
    rules = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 45,
        "sessions_per_week": 3,
    }
    kwargs = dict(  # noqa: C408 (keyword arguments, read as such)
        clearance=clearance,
        actor=dr_cho,
        rules=rules,
        max_stage=4,
        allowed_activities=["walking"],
        start_date=date.today(),
        today=date.today(),
    )
    refused(
        lambda: services.clearance_approve(**kwargs),
        "Stage 4 (running, heavy lifting, contact sport) needs your explicit sign-off.",
        field="max_stage",
    )
    plan = services.clearance_approve(**kwargs, signed_off=True)
    assert plan.stage == 4
