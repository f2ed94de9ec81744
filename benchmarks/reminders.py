"""Weekly reminders at scale: a full due pass on 2 worker processes against the SMTP ceiling.

    python -m benchmarks.reminders --plans 100000          (or --plans 10000,100000)

For each size, in one run, on this machine:

1. Recreates the PostgreSQL database `stepwise_bench`, migrates it and seeds N patients with an
   active plan whose weekly reminder is due now (bulk_create in chunks; six time zones).
2. Starts a local SMTP sink (aiosmtpd) in its own process: it counts messages and keeps none.
3. Ceiling: 2 processes hand N pre-rendered reminder messages to the sink over one persistent
   SMTP connection each (rendered before the clock starts).
4. Due pass: a real Celery worker (prefork, 2 processes) on Redis database 13 runs
   `plans.tasks.send_due_reminders`, exactly as beat queues it; that task fans out one
   `send_reminder_batch` task per REMINDER_BATCH_SIZE plans. Timed from queuing the task until
   every Reminder row is marked sent. The worker counts its own SQL statements (a Django execute
   wrapper) and peak RSS per process, and reports them through Redis after every task.
5. Writes benchmarks/results/reminders.md.

Exit status 1 when a target is missed: ratio to the ceiling < 0.5, 20 or more queries per 1,000
reminders, a message lost or duplicated, or peak worker memory growing with the number of plans
(more than 25 % between the smallest and the largest size of the run).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import resource
import secrets
import smtplib
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from celery.signals import task_postrun, worker_process_init

from stepwise.celery import app  # `celery -A benchmarks.reminders` runs the app with the hooks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "reminders.md"
DATABASE = "stepwise_bench"
PG = "postgres://root@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/13"
QUEUE = "bench-reminders"
WORKERS = 2
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
]
TARGET_RATIO = 0.5
TARGET_QUERIES = 20.0
SEED_CHUNK = 5000
SAMPLES = 2000  # distinct pre-rendered messages each ceiling sender cycles through

__all__ = ["app"]


# --- hooks inside the worker processes (active only when BENCH_REDIS_URL is set) -----------------

_queries = [0]
_redis = []


def _count(execute, sql, params, many, context):
    _queries[0] += 1
    return execute(sql, params, many, context)


@worker_process_init.connect
def _install_counter(**_kwargs) -> None:
    if not os.environ.get("BENCH_REDIS_URL"):
        return
    from django.db import connections

    connections["default"].execute_wrappers.append(_count)


@task_postrun.connect
def _report(task=None, **_kwargs) -> None:
    url = os.environ.get("BENCH_REDIS_URL")
    if not url:
        return
    if not _redis:
        import redis

        _redis.append(redis.Redis.from_url(url))
    server = _redis[0]
    count, _queries[0] = _queries[0], 0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    pipe = server.pipeline()
    pipe.incrby("bench:queries", count)
    pipe.incrby(f"bench:queries:{task.name}", count)
    pipe.incr(f"bench:tasks:{task.name}")
    pipe.hset("bench:rss", str(os.getpid()), peak_kb)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    pipe.hset("bench:cpu", str(os.getpid()), usage.ru_utime + usage.ru_stime)
    pipe.execute()


# --- the SMTP sink and the ceiling (separate processes) ------------------------------------------


def _sink_main(port: int, counter, ready) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()  # until the parent terminates this process


def _ceiling_main(kind: str, port: int, count: int, ready, start, done) -> None:
    """One ceiling sender: renders its sample messages, waits for the start, hands over `count`.

    kind "backend": pre-rendered EmailMultiAlternatives objects through Django's SMTP backend on
    one open connection (what the mail backend itself can do: it still builds MIME per send).
    kind "wire": the same messages serialised to bytes beforehand, through smtplib (the wire).
    """
    os.environ.update(
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_USE_TLS="false", EMAIL_TIMEOUT="30"
    )
    import django

    django.setup()
    from django.core.mail import get_connection

    messages = sample_messages(min(count, SAMPLES))
    if kind == "wire":
        wire = [(m.to[0], m.message().as_bytes(linesep="\r\n")) for m in messages]
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
        smtp.ehlo()
        ready.put(kind)
        start.wait()
        for n in range(count):
            to, data = wire[n % len(wire)]
            smtp.sendmail("no-reply@stepwise.invalid", [to], data)
        smtp.quit()
    else:
        connection = get_connection()
        connection.open()
        ready.put(kind)
        start.wait()
        for n in range(count):
            connection.send_messages([messages[n % len(messages)]])
        connection.close()
    done.put(count)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Ceiling:
    seconds: float
    sink_cpu: float
    load: float


def measure_ceiling(context, kind: str, port: int, counter, sink_pid: int, plans: int) -> Ceiling:
    """WORKERS processes hand `plans` pre-rendered messages to the sink, one connection each."""
    ready, start, done = context.Queue(), context.Event(), context.Queue()
    shares = [plans // WORKERS + (1 if n < plans % WORKERS else 0) for n in range(WORKERS)]
    senders = [
        context.Process(target=_ceiling_main, args=(kind, port, share, ready, start, done))
        for share in shares
    ]
    for sender in senders:
        sender.start()
    for _ in senders:
        ready.get(timeout=300)  # rendered and connected
    counter.value = 0
    load = os.getloadavg()[0]
    sink_cpu = cpu_seconds(sink_pid)
    began = time.perf_counter()
    start.set()
    for _ in senders:
        done.get(timeout=3600)
    seconds = time.perf_counter() - began
    sink_cpu = cpu_seconds(sink_pid) - sink_cpu
    for sender in senders:
        sender.join(10)
    if counter.value != plans:
        raise RuntimeError(f"The sink received {counter.value} of {plans} ceiling messages.")
    return Ceiling(seconds, sink_cpu, max(load, os.getloadavg()[0]))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- seeding -------------------------------------------------------------------------------------


def recreate_database(env: dict[str, str]) -> None:
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def seed(plans: int) -> dict[str, float]:
    """N patients, each with an approved clearance and an active plan in week 1 whose reminder
    (the day after the plan started, 09:00 on the patient's clock) is due: every plan is due."""
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE_PASSWORD
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from plans.models import Plan, PlanWeek
    from recovery.models import (
        Clearance,
        ClearanceStatus,
        ClinicianProfile,
        PatientProfile,
        Role,
        Treatment,
        TreatmentType,
        User,
    )

    started = time.perf_counter()
    now = timezone.now()
    clinician = User.objects.create(
        username="bench-clinician",
        role=Role.CLINICIAN,
        email="clinic@bench.invalid",
        password=UNUSABLE_PASSWORD,
    )
    ClinicianProfile.objects.create(user=clinician)
    injection = TreatmentType.objects.get(name="Epidural steroid injection")
    rules = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 45,
        "sessions_per_week": 3,
    }
    for first in range(1, plans + 1, SEED_CHUNK):
        ids = range(first, min(first + SEED_CHUNK, plans + 1))
        users, profiles, treatments, clearances, plan_rows, weeks = [], [], [], [], [], []
        for i in ids:
            uid = i + 1  # the clinician is user 1
            zone = ZONES[i % len(ZONES)]
            start = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=2)
            users.append(
                User(
                    id=uid,
                    username=f"p{i}",
                    email=f"p{i}@bench.invalid",
                    first_name=f"Pat{i}",
                    role=Role.PATIENT,
                    password=UNUSABLE_PASSWORD,
                )
            )
            profiles.append(
                PatientProfile(
                    id=i,
                    user_id=uid,
                    clinician=clinician,
                    timezone=zone,
                    reminder_weekday=(start + timedelta(days=1)).weekday(),
                    reminder_hour=9,
                )
            )
            treatments.append(
                Treatment(
                    id=i,
                    patient_id=i,
                    treatment_type=injection,
                    procedure_date=start - timedelta(days=20),
                )
            )
            clearances.append(
                Clearance(
                    id=i,
                    patient_id=i,
                    treatment_id=i,
                    status=ClearanceStatus.APPROVED,
                    decided_by=clinician,
                    decided_at=now,
                    allowed_activities=["walking"],
                    max_stage=1,
                    start_date=start,
                    **rules,
                )
            )
            plan_rows.append(
                Plan(
                    id=i,
                    patient_id=i,
                    clearance_id=i,
                    start_date=start,
                    stage=1,
                    allowed_activities=["walking"],
                    **rules,
                )
            )
            weeks.append(
                PlanWeek(
                    plan_id=i,
                    week=1,
                    minutes=15,
                    sessions_per_week=3,
                    decision="start",
                    reason="Your first week starts gently at 15 minutes per session.",
                    cause="start",
                    cause_numbers={"minutes": 15},
                )
            )
        for model, rows in (
            (User, users),
            (PatientProfile, profiles),
            (Treatment, treatments),
            (Clearance, clearances),
            (Plan, plan_rows),
            (PlanWeek, weeks),
        ):
            model.objects.bulk_create(rows, batch_size=SEED_CHUNK)
    models = [User, PatientProfile, Treatment, Clearance, Plan, PlanWeek]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    connection.close()
    import psycopg2  # VACUUM must run outside a transaction

    vacuum = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname=DATABASE)
    vacuum.autocommit = True
    with vacuum.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum.close()
    return {"seed_seconds": time.perf_counter() - started}


def sample_messages(count: int) -> list:
    """Real reminder e-mails, rendered (templates and all) before any clock starts."""
    from django.conf import settings
    from django.urls import reverse

    from plans.emails import reminder_email
    from plans.reminders import opt_out_url

    log_link = settings.SITE_URL + reverse("me:session_new")
    return [
        reminder_email(
            first_name=f"Pat{i}",
            email=f"p{i}@bench.invalid",
            week=1,
            minutes=15,
            sessions_per_week=3,
            log_link=log_link,
            opt_out_link=opt_out_url(i),
        )
        for i in range(1, count + 1)
    ]


# --- one size ------------------------------------------------------------------------------------


@dataclass
class Result:
    plans: int
    seed_seconds: float
    ceiling_seconds: float
    ceiling_runs: list[float]
    wire_seconds: float  # the stricter reference: pre-serialised bytes through smtplib
    pass_seconds: float
    worker_cpu_ms: float  # CPU of the worker processes per reminder
    sink_cpu_ms_pass: float  # CPU of the SMTP sink per message, due pass
    sink_cpu_ms_ceiling: float  # and ceiling
    load_pass: float  # 1-minute load average (highest seen), due pass
    load_ceiling: float
    scan_seconds: float
    batches: int
    queries: int
    queries_scan: int
    peak_rss_mb: float
    received: int
    sent_rows: int

    @property
    def ceiling_rate(self) -> float:
        return self.plans / self.ceiling_seconds

    @property
    def pass_rate(self) -> float:
        return self.plans / self.pass_seconds

    @property
    def ratio(self) -> float:
        return self.pass_rate / self.ceiling_rate

    @property
    def wire_rate(self) -> float:
        return self.plans / self.wire_seconds

    @property
    def wire_ratio(self) -> float:
        return self.pass_rate / self.wire_rate

    @property
    def queries_per_1000(self) -> float:
        return self.queries / (self.plans / 1000)


def worker_env(smtp_port: int) -> dict[str, str]:
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
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
        # Production-like: DEBUG off (no query log kept in memory), a real secret.
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        BENCH_REDIS_URL=REDIS,
        LOG_LEVEL="INFO",
    )
    return env


def run_size(plans: int, log, worker_log: str | None = None) -> Result:
    import redis
    from django.db import connection

    log(f"[{plans:,}] recreating {DATABASE} and migrating")
    connection.close()
    recreate_database(dict(os.environ))

    from plans.models import Reminder, ReminderStatus

    connection.close()
    log(f"[{plans:,}] seeding")
    seeded = seed(plans)
    log(f"[{plans:,}] seeded in {seeded['seed_seconds']:.1f} s")

    context = multiprocessing.get_context("spawn")
    counter = context.Value("l", 0)
    sink_ready = context.Event()
    port = free_port()
    sink = context.Process(target=_sink_main, args=(port, counter, sink_ready), daemon=True)
    sink.start()
    if not sink_ready.wait(30):
        raise RuntimeError("The SMTP sink did not start.")
    try:
        ceilings: dict[str, list[Ceiling]] = {"backend": [], "wire": []}

        def ceiling_round() -> None:
            for kind, runs in ceilings.items():
                runs.append(measure_ceiling(context, kind, port, counter, sink.pid, plans))
                log(f"[{plans:,}] ceiling ({kind}): {plans / runs[-1].seconds:,.0f} messages/s")

        ceiling_round()

        # The due pass, through a real worker. (tests.support loads models: Django is set up now;
        # `celery -A benchmarks.reminders` imports this module before it is.)
        from tests.support import celery_worker

        server = redis.Redis.from_url(REDIS)
        server.flushdb()
        counter.value = 0
        worker = celery_worker(
            worker_env(port),
            app="benchmarks.reminders",
            queue=QUEUE,
            concurrency=WORKERS,
            stop_seconds=30,
        )
        with worker as (process, _queue, lines):
            from plans.tasks import send_due_reminders

            load = os.getloadavg()[0]
            sink_cpu = cpu_seconds(sink.pid)
            began = time.perf_counter()
            send_due_reminders.apply_async(queue=QUEUE)
            while True:
                time.sleep(0.25)
                # Watch the sink (free) and ask PostgreSQL only once everything has arrived.
                if counter.value < plans:
                    sent = 0
                else:
                    sent = Reminder.objects.filter(status=ReminderStatus.SENT).count()
                if sent >= plans:
                    break
                if process.poll() is not None:
                    raise RuntimeError("The worker died:\n" + "".join(lines[-30:]))
                if time.perf_counter() - began > 3600:
                    raise RuntimeError(f"Only {sent} of {plans} sent after an hour.")
            pass_seconds = time.perf_counter() - began
            sink_cpu = cpu_seconds(sink.pid) - sink_cpu
            load = max(load, os.getloadavg()[0])
            time.sleep(1.0)  # the last task's report
            received = counter.value
        if worker_log:
            Path(worker_log).write_text("".join(lines))
        log(f"[{plans:,}] due pass: {plans / pass_seconds:,.0f} messages/s")
        # The ceilings again: the machine is shared, so the better of two runs counts.
        ceiling_round()
        ceiling = min(ceilings["backend"], key=lambda c: c.seconds)
        wire = min(ceilings["wire"], key=lambda c: c.seconds)
        scan = next(
            (float(m[1]) for line in lines if (m := _SCAN.search(line))),
            float("nan"),
        )
        rss = server.hgetall("bench:rss")
        result = Result(
            plans=plans,
            seed_seconds=seeded["seed_seconds"],
            ceiling_seconds=ceiling.seconds,
            ceiling_runs=[plans / c.seconds for c in ceilings["backend"]],
            wire_seconds=wire.seconds,
            pass_seconds=pass_seconds,
            worker_cpu_ms=1000
            * sum(float(v) for v in server.hgetall("bench:cpu").values())
            / plans,
            sink_cpu_ms_pass=1000 * sink_cpu / plans,
            sink_cpu_ms_ceiling=1000 * ceiling.sink_cpu / plans,
            load_pass=load,
            load_ceiling=ceiling.load,
            scan_seconds=scan,
            batches=int(server.get("bench:tasks:plans.tasks.send_reminder_batch") or 0),
            queries=int(server.get("bench:queries") or 0),
            queries_scan=int(server.get("bench:queries:plans.tasks.send_due_reminders") or 0),
            peak_rss_mb=max(int(v) for v in rss.values()) / 1024 if rss else float("nan"),
            received=received,
            sent_rows=Reminder.objects.filter(status=ReminderStatus.SENT).count(),
        )
        server.flushdb()
        log(
            f"[{plans:,}] due pass: {result.pass_rate:,.0f} messages/s, ratio {result.ratio:.2f}, "
            f"{result.queries_per_1000:.1f} queries per 1,000, peak RSS {result.peak_rss_mb:.0f} MB"
        )
        return result
    finally:
        sink.terminate()
        sink.join(10)
        connection.close()


_SCAN = re.compile(r"send_due_reminders\[[^\]]+\] succeeded in ([0-9.]+)s")


# --- report --------------------------------------------------------------------------------------


def report(results: list[Result], failures: list[str]) -> str:
    rows = "\n".join(
        f"| {r.plans:,} | {r.pass_seconds:.1f} s | {r.pass_rate:,.0f}/s | {r.ceiling_rate:,.0f}/s "
        f"| **{r.ratio:.2f}** | {r.wire_rate:,.0f}/s | {r.wire_ratio:.2f} "
        f"| {r.queries_per_1000:.1f} | {r.peak_rss_mb:.0f} MB | {r.batches} "
        f"| {r.scan_seconds:.1f} s | {r.received:,} / {r.sent_rows:,} |"
        for r in results
    )
    detail = "\n".join(
        f"- {r.plans:,} plans: {r.queries:,} SQL statements in the worker "
        f"({r.queries_scan:,} in the scanning task, the rest in {r.batches} batch tasks). "
        f"CPU per reminder: worker processes {r.worker_cpu_ms:.2f} ms, SMTP sink "
        f"{r.sink_cpu_ms_pass:.2f} ms (in the counted backend ceiling run, sink "
        f"{r.sink_cpu_ms_ceiling:.2f} ms). Backend ceiling runs, before and after the pass: "
        f"{' and '.join(f'{rate:,.0f}/s' for rate in r.ceiling_runs)} (the better one counts). "
        f"Highest 1-minute load average: {r.load_pass:.1f} during the due pass, "
        f"{r.load_ceiling:.1f} during the counted ceiling run. Seeding took {r.seed_seconds:.0f} s."
        for r in results
    )
    when = f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}), "
    when += time.strftime("%Y-%m-%d %H:%M %Z")
    header = (
        "| plans | due pass | due pass rate | ceiling (backend) | ratio (≥ 0.5) "
        "| wire | ratio to wire | queries / 1,000 (< 20) | peak worker RSS | batch tasks "
        "| scan task | received / rows sent |"
    )
    verdict = "All targets met." if not failures else "Missed: " + "; ".join(failures) + "."
    return f"""# Reminders at scale

`python -m benchmarks.reminders --plans {",".join(str(r.plans) for r in results)}` on
{when}.

Every seeded plan is due in the same pass.

- *Due pass*: one `send_due_reminders` task queued on Redis, exactly as beat queues it, run by a
  Celery worker with 2 prefork processes against PostgreSQL. It scans the active plans and fans
  out one `send_reminder_batch` task per 1,000 plans (re-read, claim with one INSERT, send over
  one SMTP connection per 250 messages, mark with one UPDATE). Timed from queuing the task until
  every row is marked sent.
- *Ceiling (backend)*: 2 processes each hand their half of the same number of reminder e-mails,
  rendered before the clock starts, to Django's SMTP backend on one open connection (a bare
  `send_messages` loop): what the mail backend itself sustains against this sink.
- *Wire*: the same, with the messages also serialised to bytes beforehand and handed to
  `smtplib` directly: no Django at all. A stricter reference, reported, not the target.
- Sink: aiosmtpd in its own process, counting messages. Both ceilings run before and after the
  pass; the better run counts. Queries, CPU and peak RSS are measured inside the worker processes
  (a Django execute wrapper, `getrusage`) and reported after every task. The 2 cores are shared by
  the worker, the sink, PostgreSQL and Redis, and on this shared machine by whatever else runs
  (see the load average).

{header}
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}

{detail}

{verdict}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--plans", default="100000", help="number of plans, or several: 10000,100000"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    parser.add_argument("--worker-log", help="write the Celery worker's log to this file")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.plans.split(",")]
    # This process seeds, queues the beat task on Redis and watches the rows.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="stepwise.settings",
        DATABASE_URL=f"{PG}/{DATABASE}",
        CELERY_BROKER_URL=REDIS,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
    )
    for name in ("REDIS_URL", "EMAIL_HOST"):
        os.environ.pop(name, None)
    import django

    django.setup()

    def log(text: str) -> None:
        print(text, flush=True)

    results = []
    for size in sizes:
        results.append(run_size(size, log, args.worker_log))
    failures = []
    for r in results:
        if r.ratio < TARGET_RATIO:
            failures.append(f"{r.plans:,} plans: ratio {r.ratio:.2f} < {TARGET_RATIO}")
        if r.queries_per_1000 >= TARGET_QUERIES:
            failures.append(f"{r.plans:,} plans: {r.queries_per_1000:.1f} queries per 1,000")
        if r.received != r.plans or r.sent_rows != r.plans:
            failures.append(f"{r.plans:,} plans: {r.received:,} received, {r.sent_rows:,} rows")
    if len(results) > 1:
        smallest, largest = min(results, key=lambda r: r.plans), max(results, key=lambda r: r.plans)
        if largest.peak_rss_mb > smallest.peak_rss_mb * 1.25:
            failures.append(
                f"peak RSS grew from {smallest.peak_rss_mb:.0f} MB to {largest.peak_rss_mb:.0f} MB"
            )
    text = report(results, failures)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
