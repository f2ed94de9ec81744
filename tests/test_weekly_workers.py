"""The weekly pass across workers: two real Celery worker processes on Redis take the batches of
one pass, and every batch queued a second time, at once; each plan-week is closed once, each
STOP pauses its plan once, each due week is claimed once.

Redis database 12 belongs to these tests (flushed before and after each one).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.db.models import Count

from plans.models import Plan, PlanStatus, PlanWeek, Reminder, SessionLog
from plans.tasks import send_due_reminders, send_reminder_batch
from recovery.models import AuditEvent
from stepwise.celery import app
from tests.conftest import make_user
from tests.support import (
    START,
    at,
    celery_worker,
    enrol,
    redis_database_for_this_process,
    reset_broker_connections,
    worker_env,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis]

REDIS_DB = redis_database_for_this_process(12)
PLANS = 16
BATCH = 2


@pytest.fixture
def broker(redis_url, monkeypatch):
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    server = redis.Redis.from_url(url)
    server.flushdb()
    queue = f"weekly-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "broker_url", url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    reset_broker_connections()
    yield url, queue
    monkeypatch.undo()
    reset_broker_connections()
    server.flushdb()


def finished(lines: list[str], task: str) -> int:
    return sum(f"{task}[" in line and "succeeded" in line for line in lines)


@pytest.mark.django_db(transaction=True)
def test_two_workers_close_each_plan_week_once(postgres, broker):
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    plans = [enrol(f"p{n:02d}", clinician, hour=9) for n in range(PLANS)]
    for n, plan in enumerate(plans):  # week 1 logged: green, red, a warning sign, or nothing
        pain, flags = [(1, []), (8, []), (1, ["fever"]), (None, None)][n % 4]
        if pain is not None:
            SessionLog.objects.create(
                plan=plan,
                date=plan.start_date,
                week=1,
                activity="walking",
                minutes=15,
                pain=pain,
                red_flags=flags,
            )
    warning = {plan.pk for n, plan in enumerate(plans) if n % 4 == 2}
    now = at(START + timedelta(days=7), 10).isoformat()  # week 2, its reminder due
    url, queue = broker
    env = worker_env(
        broker_url=url, CELERY_TASK_DEFAULT_QUEUE=queue, REMINDER_BATCH_SIZE=str(BATCH)
    )
    with (
        celery_worker(env, queue=queue) as (_first, _, first_lines),
        celery_worker(env, queue=queue) as (_second, _, second_lines),
    ):
        send_due_reminders.apply_async(args=[now], queue=queue)
        # The scan queues a batch for each due plan; a batch that ran before it had read would
        # leave its plans out of the scan (no longer due), so the second beat comes after it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(finished(lines, "send_due_reminders") for lines in (first_lines, second_lines)):
                break
            time.sleep(0.1)
        ids = [plan.pk for plan in plans]
        for start in range(0, PLANS, BATCH):  # every batch once more, as a second beat would
            send_reminder_batch.apply_async(args=[ids[start : start + BATCH], now], queue=queue)
        expected = 2 * PLANS // BATCH
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = [finished(lines, "send_reminder_batch") for lines in (first_lines, second_lines)]
            if sum(done) >= expected:
                break
            time.sleep(0.1)
        log = "".join(first_lines[-30:] + second_lines[-30:])
        assert sum(done) == expected, log
        assert all(count > 0 for count in done), (done, log)  # both workers took batches
        # (Before the workers stop: stopping may interrupt a delivery task, which is logged.)
        running = "".join(first_lines + second_lines)
    assert "Traceback" not in running, running[running.find("Traceback") - 2000 :]

    per_plan = dict(
        PlanWeek.objects.values("plan_id").annotate(n=Count("id")).values_list("plan_id", "n")
    )
    assert per_plan == dict.fromkeys(ids, 2)  # week 1 and, closed once, week 2
    assert set(
        PlanWeek.objects.filter(week=2, decision="stop").values_list("plan_id", flat=True)
    ) == (warning)
    paused = set(Plan.objects.filter(status=PlanStatus.PAUSED).values_list("pk", flat=True))
    assert paused == warning
    assert AuditEvent.objects.filter(action="plan_pause").count() == len(warning)
    claimed = list(Reminder.objects.values_list("plan_id", "week"))
    assert sorted(claimed) == sorted((pk, 2) for pk in ids if pk not in warning)
