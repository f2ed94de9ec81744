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
import os
import resource
import sys

from celery.signals import task_postrun, worker_process_init

from benchmarks.reminders_env import DATABASE, PG, QUEUE, REDIS, ROOT
from benchmarks.reminders_pass import run_size
from benchmarks.reminders_report import report
from stepwise.celery import app  # `celery -A benchmarks.reminders` runs the app with the hooks

RESULTS = ROOT / "benchmarks" / "results" / "reminders.md"
TARGET_RATIO = 0.5
TARGET_QUERIES = 20.0

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
