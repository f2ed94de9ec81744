"""Real moving parts for tests: an SMTP sink on 127.0.0.1 and a Celery worker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPSink:
    """aiosmtpd on a free local port, keeping every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self._lock:
            return list(self.messages)


def database_url_for_worker() -> str:
    """The URL of the database this test runs on (the test database), for a child process."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(*, broker_url: str, smtp_port: int | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "REDIS_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="stepwise.settings",
        DATABASE_URL=database_url_for_worker(),
        CELERY_BROKER_URL=broker_url,
        TESTING="true",
        CONN_MAX_AGE="0",
    )
    if smtp_port is not None:
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), EMAIL_USE_TLS="false")
    env.update(extra)
    return env


@contextmanager
def celery_worker(
    env: dict[str, str],
    *,
    queue: str | None = None,
    concurrency: int = 1,
    app: str = "stepwise",
    stop_seconds: float = 20,
):
    """Run `celery -A <app> worker` as a real child process; stop it (warm) on exit.

    Yields (process, queue, lines): `lines` fills with the worker's output as it runs. The
    benchmark of reminders (benchmarks/reminders.py) starts its worker here too.
    """
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel", "INFO"),
            *("--pool", "prefork", "--concurrency", str(concurrency)),
            *("--queues", queue, "--hostname", f"{queue}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("Celery worker did not start:\n" + "".join(lines[-40:]))
        yield process, queue, lines
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(stop_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        reader.join(5)


def clinical_snapshot() -> dict:
    """Everything a clinical service could write, to prove a refusal wrote nothing."""
    from plans.models import Alert, Plan, PlanWeek, SessionLog
    from recovery.models import AuditEvent, Clearance, ClearanceEvent

    return {
        "clearances": sorted(
            Clearance.objects.values_list(
                "pk", "status", "decided_by", "decided_at", "start_minutes", "start_date"
            )
        ),
        "plans": sorted(
            Plan.objects.values_list(
                "pk",
                "status",
                "pause_reason",
                "stage",
                "allowed_activities",
                "start_minutes",
                "min_increment",
                "max_increment",
                "target_minutes",
                "sessions_per_week",
            )
        ),
        "weeks": sorted(PlanWeek.objects.values_list("plan", "week", "minutes", "decision")),
        "logs": SessionLog.objects.count(),
        "alerts": sorted(Alert.objects.values_list("pk", "acknowledged_at")),
        "events": ClearanceEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def refused(call, message: str, field: str | None = None):
    """`call()` raises one DomainError with `message` (beside `field`) and writes nothing."""
    import pytest

    from recovery.errors import DomainError

    before = clinical_snapshot()
    with pytest.raises(DomainError) as info:
        call()
    assert message in info.value.message
    assert info.value.field == field
    assert clinical_snapshot() == before
    return info.value


def reset_broker_connections() -> None:
    """Drop pooled broker connections (Celery's and kombu's) so the next send uses the current
    broker_url."""
    from kombu import pools

    from stepwise.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def celery_publishing_to(url: str, *, queue: str | None = None):
    """This process's Celery app publishing to `url` on a queue of its own (the suite otherwise
    runs tasks in process); yields the queue's name.

    Afterwards the settings are as they were, not merely equal: a value read through Celery's
    properties and written back (broker_write_url resolves to broker_url) would pin the next
    test's publishes to this broker.
    """
    from stepwise.celery import app

    changes = app.conf.changes
    names = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {name: changes[name] for name in names if name in changes}
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    reset_broker_connections()
    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    try:
        yield queue
    finally:
        reset_broker_connections()
        for name in names:
            changes.pop(name, None)
        changes.update(saved)
