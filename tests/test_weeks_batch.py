"""The batched weekly close (`plans_close_weeks`) against the per-plan service the dashboard uses
(`plan_close_weeks`): over the same generated plans both must leave the same PlanWeek rows, the
same paused plans with the same reasons and the same audit trail.

The plans are generated from a fixed seed (reproducible): every treatment type's rules, targets
and sessions per week, start dates spread over ten weeks, histories already closed part-way,
sessions of every kind the engine tells apart (green, amber, red, severe, sharp, warning signs,
blank pain, overdoing, too few, none for two weeks, deleted), and plans that are paused.
"""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import PauseCause, Plan, PlanStatus, PlanWeek, RedFlag, SessionLog
from plans.services import plan_close_weeks, plans_close_weeks
from recovery.models import AuditEvent, TreatmentType
from tests.conftest import approve, make_patient, make_user

TODAY = date.today()


def _session(rng: random.Random, kind: str, prescribed: int) -> dict:
    pain_before = rng.choice([None, 0, 1, 2, 3, 4])
    values = {
        "minutes": max(1, prescribed + rng.randint(-4, 3)),
        "pain_before": pain_before,
        "pain": rng.randint(0, 2),
    }
    if kind == "amber":
        values.update(pain=rng.randint(4, 6), pain_before=None)
    elif kind == "red":
        values.update(pain=rng.choice([7, 8]), pain_lasted_hours=Decimal("1.0"))
    elif kind == "severe":
        values.update(pain=9)
    elif kind == "lasting":
        values.update(pain=7, pain_lasted_hours=Decimal("30.0"))
    elif kind == "sharp":
        values.update(sharp_pain=True)
    elif kind == "flag":
        values.update(red_flags=[rng.choice(RedFlag.values)])
    elif kind == "blank":
        values.update(pain=None, pain_before=None)
    elif kind == "overdo":
        values.update(minutes=min(300, prescribed * 3))
    elif kind == "short":
        values.update(minutes=max(1, prescribed // 2))
    return values


KINDS = ["green"] * 8 + ["amber", "red", "severe", "lasting", "sharp", "flag", "blank"]
KINDS += ["overdo", "short", "short"]


def _add_week(rng: random.Random, plan: Plan, week: int, prescribed: int) -> None:
    count = rng.choice([0, 0, 1, 2, 3, 3, 4, 5, 7])
    for _ in range(count):
        kind = rng.choice(KINDS)
        SessionLog.objects.create(
            plan=plan,
            date=plan.start_date + timedelta(days=7 * (week - 1) + rng.randint(0, 6)),
            week=week,
            activity="walking",
            deleted_at=None if rng.random() > 0.05 else timezone.now(),
            **_session(rng, kind, prescribed),
        )


def generate(count: int, seed: int) -> list[Plan]:
    rng = random.Random(seed)
    clinician = make_user("drgen", "clinician", "Gen", "Rator")
    types = list(TreatmentType.objects.values_list("name", flat=True))
    plans = []
    for n in range(count):
        patient = make_patient(
            f"gen{n:03d}",
            f"Gen{n}",
            clinician,
            treatment=rng.choice(types),
            procedure_date=TODAY - timedelta(days=200),
        )
        start = TODAY - timedelta(days=rng.randint(0, 70))
        plan = approve(
            patient,
            start=start,
            today=start,
            sessions_per_week=rng.randint(1, 7),
            target=rng.choice([20, 30, 40, 60, 120]),
        )
        current = plan.week_of(TODAY)
        # Part of the history closed already, on an earlier day, as a dashboard would have.
        closed_to = rng.randint(1, max(1, current))
        for week in range(1, closed_to):
            prescribed = plan.weeks.order_by("-week").values_list("minutes", flat=True).first()
            _add_week(rng, plan, week, prescribed or 15)
            plan_close_weeks(plan=plan.pk, today=plan.start_date + timedelta(days=7 * week))
            plan.refresh_from_db()
            if plan.status != PlanStatus.ACTIVE:
                break
        for week in range(closed_to, current + 1):
            _add_week(rng, plan, week, 15 + 5 * week)
        if rng.random() < 0.05:
            Plan.objects.filter(pk=plan.pk).update(
                status=PlanStatus.PAUSED,
                pause_cause=PauseCause.CLINICIAN,
                pause_day=None,
                pause_week=None,
                pause_reason="x",
            )
        plans.append(plan)
    return plans


def snapshot(plan_ids: list[int]) -> dict:
    weeks = PlanWeek.objects.filter(plan_id__in=plan_ids).order_by("plan_id", "week")
    return {
        "weeks": list(
            weeks.values_list(
                "plan_id",
                "week",
                "minutes",
                "sessions_per_week",
                "decision",
                "reason",
                "review",
                "cause",
                "cause_numbers",
            )
        ),
        "plans": list(
            Plan.objects.filter(pk__in=plan_ids)
            .order_by("pk")
            .values_list(
                "pk", "status", "pause_cause", "pause_day", "pause_week__week", "pause_reason"
            )
        ),
        "audit": sorted(
            AuditEvent.objects.filter(action="plan_pause", object_id__in=map(str, plan_ids))
            .values_list(
                "object_type", "object_id", "actor_id", "patient_id", "outcome", "ip", "detail"
            )
            .order_by()
        ),
    }


def one_by_one(plans: list[Plan]) -> dict:
    ids = [plan.pk for plan in plans]
    with transaction.atomic():
        for plan in plans:
            plan_close_weeks(plan=plan.pk, today=TODAY)
        found = snapshot(ids)
        transaction.set_rollback(True)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batch_closes_exactly_as_the_per_plan_service(seed):
    plans = generate(30, seed)
    ids = [plan.pk for plan in plans]
    before = snapshot(ids)
    expected = one_by_one(plans)
    assert snapshot(ids) == before  # the per-plan run was rolled back
    assert expected != before  # the generated plans had weeks to close
    result = plans_close_weeks(dict.fromkeys(ids, TODAY))
    assert snapshot(ids) == expected
    stops = {pk for pk, status, *_ in expected["plans"] if status == PlanStatus.PAUSED}
    assert set(result.paused) <= stops
    # Again: nothing more to close, nothing changes.
    again = plans_close_weeks(dict.fromkeys(ids, TODAY))
    assert (again.weeks, again.closed, again.paused) == (0, 0, [])
    assert snapshot(ids) == expected


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_5_or_25_plans():
    """Lock, last weeks, sessions, one INSERT, and for the STOPs one UPDATE and one audit
    INSERT (in a savepoint): no query per plan."""
    clinician = make_user("drq", "clinician", "Q", "Count")
    plans = []
    for n in range(30):
        patient = make_patient(
            f"q{n:02d}",
            f"Q{n}",
            clinician,
            treatment="Epidural steroid injection",
            procedure_date=TODAY - timedelta(days=100),
        )
        plan = approve(patient, start=TODAY - timedelta(days=14), today=TODAY - timedelta(days=14))
        flags = ["fever"] if n % 5 == 0 else []  # a STOP in every five: paused, audited
        SessionLog.objects.create(
            plan=plan,
            date=plan.start_date,
            week=1,
            activity="walking",
            minutes=15,
            pain=1,
            red_flags=flags,
        )
        plans.append(plan)
    with CaptureQueriesContext(connection) as five:
        result = plans_close_weeks({p.pk: TODAY for p in plans[:5]})
    assert (result.weeks, len(result.paused)) == (4 * 2 + 1, 1)
    with CaptureQueriesContext(connection) as twenty_five:
        result = plans_close_weeks({p.pk: TODAY for p in plans[5:]})
    assert (result.weeks, len(result.paused)) == (20 * 2 + 5, 5)
    assert len(five) == len(twenty_five) <= 8, [q["sql"][:80] for q in twenty_five]
    assert AuditEvent.objects.filter(action="plan_pause").count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_plan_held_by_another_closer_is_skipped_not_waited_for(postgres):
    clinician = make_user("drl", "clinician", "L", "Lock")
    plans = []
    for n in range(3):
        patient = make_patient(
            f"l{n}",
            f"L{n}",
            clinician,
            treatment="Epidural steroid injection",
            procedure_date=TODAY - timedelta(days=100),
        )
        plans.append(
            approve(patient, start=TODAY - timedelta(days=7), today=TODAY - timedelta(days=7))
        )
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Plan.objects.select_for_update().get(pk=plans[1].pk)
                held.set()
                released.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        result = plans_close_weeks({p.pk: TODAY for p in plans})
    finally:
        released.set()
        holder.join(20)
    assert (result.skipped, result.closed) == ([plans[1].pk], 2)
    assert [p.weeks.count() for p in plans] == [2, 1, 2]
    assert plans_close_weeks({p.pk: TODAY for p in plans}).closed == 1  # the next pass's
    assert [p.weeks.count() for p in plans] == [2, 2, 2]
