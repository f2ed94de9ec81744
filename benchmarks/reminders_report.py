"""The reminders benchmark's Markdown report (benchmarks/results/reminders.md)."""

from __future__ import annotations

import os
import platform
import time

from benchmarks.reminders_pass import Result

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
