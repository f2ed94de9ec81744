"""The reminders benchmark's SMTP side, each part in its own process: the sink that counts
messages, and the ceiling (pre-rendered reminder e-mails handed to the sink as fast as it takes
them).
"""

from __future__ import annotations

import os
import smtplib
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.reminders_env import WORKERS

SAMPLES = 2000  # distinct pre-rendered messages each ceiling sender cycles through


# --- the SMTP sink and the ceiling (separate processes) ------------------------------------------


def sink_main(port: int, counter, ready) -> None:
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
