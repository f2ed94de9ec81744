"""The weekly pass at scale: close every plan's finished week and claim its reminder, in one
process and with one and two real Celery worker processes.

    python -m benchmarks.weekly --plans 200000          (make bench-weekly PLANS=200000)

In one run, on this machine:

1. Seeds the PostgreSQL database `stepwise_weekly_bench_seed` once (ORM `bulk_create` in
   chunks): N patients in six time zones, each with an approved clearance and an active plan that
   started 8 days ago on the patient's clock, week 1 prescribed and its sessions logged (the
   week just finished: mostly green, some amber, short, overdone, red, a few warning signs, some
   none), and a reminder choice (the first day of week 2 at 00:00) that is due once week 2 exists.
   Every plan therefore has a week to close and a reminder to claim, in the same pass.
2. For each way of running, copies that database afresh (`CREATE DATABASE ... TEMPLATE`) and
   times one pass:
   - *one process*: `reminders_due_pass` here, each batch run in this process as the batch task
     runs it (`reminders_process_batch(send=False)`): scan, close, claim.
   - *1 worker* / *2 workers*: `plans.tasks.send_due_reminders` queued on Redis exactly as beat
     queues it, run by a real Celery worker with 1 or 2 prefork processes; it fans out one
     `send_reminder_batch` task per REMINDER_BATCH_SIZE plans. Timed from queuing until every
     batch task has finished.
   Sending is the outbox's work, with its own target and benchmark (`benchmarks.reminders`):
   here the `deliver_reminders` tasks that the batches queue are routed to a queue no worker
   reads, and counted.
3. Checks every run: each plan has exactly weeks 1 and 2, the plans with a warning sign are
   paused with an audit row, every other plan has exactly one claimed Reminder for week 2.
4. Writes benchmarks/results/weekly.md. Exit status 1 when a check fails or the one-process
   rate is under 3,000 plans/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from celery.signals import task_postrun

from benchmarks.weekly_seed import recreate, seed, vacuum
from stepwise.celery import app  # `celery -A benchmarks.weekly` runs the app with the hooks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "weekly.md"
SEED_NOTE = ROOT / "benchmarks" / "results" / "weekly-seed.tmp"  # plans and seconds of the seed
DATABASE = os.environ.get("BENCH_WEEKLY_DB", "stepwise_weekly_bench")  # each run's fresh copy
SEED_DATABASE = f"{DATABASE}_seed"
PG = "postgres://root@127.0.0.1:5432"
REDIS = os.environ.get("BENCH_WEEKLY_REDIS", "redis://127.0.0.1:6379/12")
QUEUE = "bench-weekly"
DELIVERY_QUEUE = "bench-weekly-delivery"  # read by no worker here: sending is not this figure
TARGET = 3000.0

__all__ = ["app"]

app.conf.task_routes = {"plans.tasks.deliver_reminders": {"queue": DELIVERY_QUEUE}}


# --- the hook inside the worker processes (active only when BENCH_REDIS_URL is set) --------------

_redis: list = []


@task_postrun.connect
def _report(task=None, retval=None, **_kwargs) -> None:
    url = os.environ.get("BENCH_REDIS_URL")
    if not url:
        return
    if not _redis:
        import redis

        _redis.append(redis.Redis.from_url(url))
    pipe = _redis[0].pipeline()
    pipe.incr(f"bench:done:{task.name}")
    if task.name == "plans.tasks.send_due_reminders" and isinstance(retval, dict):
        pipe.set("bench:batches", retval.get("batches", 0))
    pipe.execute()


# --- the runs ------------------------------------------------------------------------------------


@dataclass
class Run:
    how: str
    plans: int
    seconds: float
    scan_seconds: float | None
    batches: int
    deliveries: int  # delivery tasks queued (batches that claimed something)
    new_weeks: int
    paused: int
    claimed: int
    problems: list[str]
    cpu: tuple[float, float] | None = None  # CPU seconds of this process and its backend
    load: float = 0.0  # the highest 1-minute load average seen during the run

    @property
    def rate(self) -> float:
        return self.plans / self.seconds

    @property
    def cpu_rate(self) -> float | None:
        """Plans per CPU second (this process and its PostgreSQL backend, which take turns): the
        rate with a core to itself, whatever else the machine was doing."""
        return self.plans / sum(self.cpu) if self.cpu else None


def check(plans: int) -> tuple[int, int, int, list[str]]:
    """What a correct pass leaves: weeks 1 and 2 on every plan, the warning-sign plans paused
    (audited), one week-2 Reminder on every other plan."""
    from django.db.models import Count

    from plans.models import Plan, PlanStatus, PlanWeek, Reminder
    from recovery.models import AuditEvent

    problems = []
    new_weeks = PlanWeek.objects.filter(week=2).count()
    wrong = (
        PlanWeek.objects.values("plan_id")
        .annotate(n=Count("id"))
        .exclude(n=2)
        .values_list("plan_id", flat=True)[:5]
    )
    if new_weeks != plans or list(wrong):
        problems.append(f"{new_weeks:,} week-2 rows for {plans:,} plans (e.g. {list(wrong)})")
    warning = {i for i in range(1, plans + 1) if i % 100 == 0}
    paused = set(Plan.objects.filter(status=PlanStatus.PAUSED).values_list("pk", flat=True))
    if paused != warning:
        problems.append(f"{len(paused):,} plans paused, {len(warning):,} expected")
    audited = AuditEvent.objects.filter(action="plan_pause").count()
    if audited != len(warning):
        problems.append(f"{audited:,} pause audit rows, {len(warning):,} expected")
    claimed = Reminder.objects.filter(week=2).count()
    if claimed != plans - len(warning) or Reminder.objects.exclude(week=2).exists():
        problems.append(f"{claimed:,} reminders claimed, {plans - len(warning):,} expected")
    if Reminder.objects.filter(plan__status=PlanStatus.PAUSED).exists():
        problems.append("a paused plan has a reminder")
    return new_weeks, len(paused), claimed, problems


def fresh_copy() -> None:
    from django.db import connections

    connections.close_all()
    recreate(DATABASE, template=SEED_DATABASE)
    vacuum(DATABASE)


def run_here(plans: int, log) -> Run:
    from django.db import connection
    from django.utils import timezone

    from plans.reminders import Clock, PassResult, reminders_due_pass, reminders_process_batch

    fresh_copy()
    clock = Clock(timezone.now())
    totals = PassResult()
    deliveries = [0]
    loads: list[float] = []

    def batch(plan_ids: list[int]) -> None:
        result = reminders_process_batch(plan_ids, clock=clock, send=False)
        totals.add(result)
        deliveries[0] += bool(result.claimed)
        loads.append(os.getloadavg()[0])

    with connection.cursor() as cursor:  # the PostgreSQL backend serving this process
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu = (time.process_time(), cpu_seconds(backend))
    load = os.getloadavg()[0]
    began = time.perf_counter()
    result = reminders_due_pass(now=clock.start, dispatch=batch, dispatch_send=lambda ids: None)
    seconds = time.perf_counter() - began
    cpu = (time.process_time() - cpu[0], cpu_seconds(backend) - cpu[1])
    load = max(load, os.getloadavg()[0], *loads)
    new_weeks, paused, claimed, problems = check(plans)
    log(f"  one process: {plans / seconds:,.0f} plans/s ({seconds:.1f} s, CPU {cpu})")
    return Run("one process", plans, seconds, None, result.batches, deliveries[0], new_weeks,
               paused, claimed, problems, cpu, load)  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux; PostgreSQL on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "REDIS_", "REMINDER_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="stepwise.settings",
        DATABASE_URL=f"{PG}/{DATABASE}",
        CELERY_BROKER_URL=REDIS,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        # Production-like: DEBUG off (no query log kept in memory), a real secret.
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        BENCH_REDIS_URL=REDIS,
        LOG_LEVEL="INFO",
    )
    return env


def run_workers(plans: int, processes: int, log) -> Run:
    import redis

    from tests.support import celery_worker

    fresh_copy()
    server = redis.Redis.from_url(REDIS)
    server.flushdb()
    worker = celery_worker(
        worker_env(), app="benchmarks.weekly", queue=QUEUE, concurrency=processes, stop_seconds=30
    )
    with worker as (process, _queue, lines):
        from plans.tasks import send_due_reminders

        load = os.getloadavg()[0]
        began = time.perf_counter()
        send_due_reminders.apply_async(queue=QUEUE)
        while True:
            time.sleep(0.1)
            load = max(load, os.getloadavg()[0])
            batches = server.get("bench:batches")
            done = int(server.get("bench:done:plans.tasks.send_reminder_batch") or 0)
            if batches is not None and done >= int(batches):
                break
            if process.poll() is not None:
                raise RuntimeError("The worker died:\n" + "".join(lines[-30:]))
            if time.perf_counter() - began > 1800:
                raise RuntimeError("The pass did not finish in 30 minutes.")
        seconds = time.perf_counter() - began
        deliveries = server.llen(DELIVERY_QUEUE)
    scan = next(
        (float(m[1]) for line in lines if (m := _SCAN.search(line))),
        float("nan"),
    )
    failed = [line for line in lines if " raised " in line or "Traceback" in line]
    server.flushdb()
    new_weeks, paused, claimed, problems = check(plans)
    if failed:
        problems.append("a task failed: " + failed[0].strip()[:200])
    name = f"{processes} worker{'s' if processes > 1 else ''}"
    log(f"  {name}: {plans / seconds:,.0f} plans/s ({seconds:.1f} s, scan task {scan:.1f} s)")
    return Run(name, plans, seconds, scan, int(batches), deliveries, new_weeks, paused, claimed,
               problems, None, load)  # fmt: skip


_SCAN = re.compile(r"send_due_reminders\[[^\]]+\] succeeded in ([0-9.]+)s")


# --- report --------------------------------------------------------------------------------------


HEADER = (
    "| how | pass | plans/s (≥ {target} in one process) | scan task | batches | new weeks "
    "| paused | reminders claimed | delivery tasks | load (1 min, highest) | checks |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def report(plans: int, seed_seconds: float, runs: list[Run], failures: list[str], cmd: str) -> str:
    from plans.reminders import batch_size

    rows = "\n".join(
        f"| {r.how} | {r.seconds:.1f} s | **{r.rate:,.0f}** | "
        f"{'—' if r.scan_seconds is None else f'{r.scan_seconds:.1f} s'} | {r.batches} | "
        f"{r.new_weeks:,} | {r.paused:,} | {r.claimed:,} | {r.deliveries} | {r.load:.1f} | "
        f"{'ok' if not r.problems else '; '.join(r.problems)} |"
        for r in runs
    )
    when = f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}, "
    when += f"load {os.getloadavg()[0]:.1f} at the end), " + time.strftime("%Y-%m-%d %H:%M %Z")
    cpu = "\n".join(
        f"- {r.how}: {r.cpu[0]:.1f} s CPU in the Python process and {r.cpu[1]:.1f} s in its "
        f"PostgreSQL backend, which take turns: **{r.cpu_rate:,.0f} plans per CPU second**, the "
        f"rate of one process with a core to itself (the pass took {r.seconds:.1f} s of wall "
        "time on the shared machine)."
        for r in runs
        if r.cpu
    )
    verdict = "All targets met." if not failures else "Missed: " + "; ".join(failures) + "."
    return f"""# The weekly pass at scale

`{cmd}` on {when}.

{plans:,} active plans, each with week 1 just finished (its sessions logged: 54 % all green,
10 % too few, 15 % amber, 10 % nothing, 5 % overdone, 5 % a red session, 1 % a warning sign)
and its week-2 reminder due: one pass closes week 1 of every plan (a PlanWeek for week 2, the
warning-sign plans paused and audited) and claims one reminder per plan still active. Seeded
once in {seed_seconds:.0f} s (ORM `bulk_create`), copied afresh for each run.

- *one process*: `reminders_due_pass` in one Python process, each batch run as the batch task
  runs it: the scan (schedules of 2,000 plans per query), then per batch of {batch_size():,}
  plans one schedule read, `plans_close_weeks` (plans locked skip-locked, their last two weeks,
  the finished weeks' sessions, the engine per plan, one INSERT; the STOPs paused with one
  UPDATE and one audit INSERT) and one claim INSERT.
- *1 worker*, *2 workers*: `plans.tasks.send_due_reminders` queued on Redis as beat queues it,
  run by a real Celery worker with that many prefork processes; the scan task fans out one
  `send_reminder_batch` task per {batch_size():,} plans, which the processes take in parallel.
  Timed from queuing until every batch task has finished.
- Sending is not in these figures: it is the outbox's work, measured against the SMTP ceiling
  by `benchmarks.reminders`. The `deliver_reminders` tasks the batches queue go to a queue that
  no worker reads here ("delivery tasks" counts them).
- The 2 cores are shared by this process or the workers, PostgreSQL and Redis, and on this
  machine by whatever else runs (other test suites): a load above 2 means the pass waited for
  a core. Plans per CPU second (below) is the figure that load does not move.

{HEADER.format(target=f"{TARGET:,.0f}")}
{rows}

{cpu}

{verdict}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="reuse the seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="stepwise.settings",
        DATABASE_URL=f"{PG}/{SEED_DATABASE}",
        CELERY_BROKER_URL=REDIS,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        DEBUG="false",
        ALLOWED_HOSTS="localhost",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    for name in ("REDIS_URL", "EMAIL_HOST"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    def log(text: str) -> None:
        print(text, flush=True)

    seed_seconds = float("nan")
    if args.reuse and SEED_NOTE.exists():  # the seed's own figure, if it was this size
        plans, seconds = SEED_NOTE.read_text().split()
        seed_seconds = float(seconds) if int(plans) == args.plans else seed_seconds
    if not args.reuse:
        log(f"Seeding {args.plans:,} plans into {SEED_DATABASE}")
        recreate(SEED_DATABASE)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=dict(os.environ),
            check=True,
        )
        seed_seconds = seed(args.plans, log)
        vacuum(SEED_DATABASE)
        log(f"  seeded in {seed_seconds:.0f} s")
        SEED_NOTE.write_text(f"{args.plans} {seed_seconds:.1f}\n")
        if args.seed_only:
            return 0
    connections.close_all()
    # Every run works on a fresh copy of the seed.
    settings.DATABASES["default"]["NAME"] = DATABASE
    connections["default"].settings_dict["NAME"] = DATABASE
    runs = [run_here(args.plans, log), run_workers(args.plans, 1, log)]
    runs.append(run_workers(args.plans, 2, log))
    failures = [f"{r.how}: {'; '.join(r.problems)}" for r in runs if r.problems]
    if runs[0].rate < TARGET:
        failures.append(f"one process: {runs[0].rate:,.0f} plans/s < {TARGET:,.0f}")
    cmd = f"python -m benchmarks.weekly --plans {args.plans}"
    text = report(args.plans, seed_seconds, runs, failures, cmd)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
