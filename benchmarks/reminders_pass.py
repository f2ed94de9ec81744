"""One size of the reminders benchmark: the ceilings before and after, and the due pass through a
real Celery worker (`celery -A benchmarks.reminders`, whose hooks count the worker's queries,
CPU and memory), into one Result.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.reminders_env import DATABASE, PG, QUEUE, REDIS, WORKERS
from benchmarks.reminders_seed import recreate_database, seed
from benchmarks.reminders_smtp import Ceiling, cpu_seconds, free_port, measure_ceiling, sink_main

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
    sink = context.Process(target=sink_main, args=(port, counter, sink_ready), daemon=True)
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
