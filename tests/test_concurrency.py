"""Two callers at once, each on its own PostgreSQL connection, started together by a barrier.

The dashboard and the reminder job both close weeks; a double click submits a session twice.
Row locks (and the unique constraints behind them) must leave exactly one row each time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection

from plans.models import Alert, Plan, PlanStatus, PlanWeek, SessionLog
from plans.services import plan_close_weeks, session_log_create
from tests.conftest import approve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30


def together(*calls: Callable[[], object]) -> list[object]:
    """Run each call in its own thread (own connection), released at the same moment.

    Returns each call's result, or the exception it raised.
    """
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = call()
        except Exception as error:  # reported to the test, not swallowed
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive(), "a caller is stuck (deadlock?)"
    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == [], errors
    return results


@pytest.fixture
def plan(postgres, transactional_db, ana) -> Plan:
    return approve(ana, start=date.today() - timedelta(days=60))


def test_two_callers_closing_weeks_make_one_week_each(plan):
    for weeks_later in range(1, 6):
        today = plan.start_date + timedelta(days=7 * weeks_later)
        results = together(
            lambda today=today: plan_close_weeks(plan=plan.pk, today=today),
            lambda today=today: plan_close_weeks(plan=plan.pk, today=today),
        )
        created = sorted(len(result) for result in results)
        assert created == [0, 1]  # one caller closed the week, the other found it closed
    weeks = list(PlanWeek.objects.filter(plan=plan).order_by("week").values_list("week", flat=True))
    assert weeks == [1, 2, 3, 4, 5, 6]


def test_two_callers_closing_many_late_weeks(plan):
    today = plan.start_date + timedelta(days=50)
    results = together(
        lambda: plan_close_weeks(plan=plan.pk, today=today),
        lambda: plan_close_weeks(plan=plan, today=today),
        lambda: plan_close_weeks(plan=plan.pk, today=today),
    )
    assert sorted(len(result) for result in results) == [0, 0, 7]
    weeks = list(PlanWeek.objects.filter(plan=plan).order_by("week").values_list("week", flat=True))
    assert weeks == list(range(1, 9))


def _log_twice(plan: Plan, **fields) -> list:
    patient = plan.patient
    day = plan.start_date + timedelta(days=20)
    now = datetime.combine(day, time(12), tzinfo=patient.tz)
    token = uuid.uuid4()

    def submit():
        return session_log_create(
            patient=patient,
            day=day,
            activity="walking",
            minutes=15,
            submission_token=token,
            now=now,
            **fields,
        )

    return together(submit, submit)


def test_a_double_submission_stores_one_session(plan):
    results = _log_twice(plan)
    assert sorted(result.created for result in results) == [False, True]
    assert results[0].log.pk == results[1].log.pk
    assert SessionLog.objects.count() == 1


def test_a_double_submitted_warning_sign_alerts_once(plan):
    results = _log_twice(plan, red_flags=["bladder_bowel"])
    assert sorted(result.created for result in results) == [False, True]
    assert SessionLog.objects.count() == 1
    assert Alert.objects.count() == 1
    assert Alert.objects.get().tier == "emergency"
    assert PlanWeek.objects.filter(plan=plan, decision="stop").count() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
