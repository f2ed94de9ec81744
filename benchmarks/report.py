"""What the benchmark reports: the in-process figures (the plan engine alone, a week closed for
every active plan, the triage's shape) and the Markdown report with each page's verdict."""

from __future__ import annotations

import time
from datetime import timedelta

from benchmarks.load import CONNECTIONS, ROUNDS, WARM_UP_SECONDS, Measured, combined

P99_LIMIT_MS = 250.0


# --- in-process measurements -------------------------------------------------------------------


def triage_shape(clinician_id: int) -> str:
    from plans.triage import clinician_triage
    from recovery.models import User

    triage = clinician_triage(User.objects.get(pk=clinician_id))
    return (
        f"{len(triage.rows)} patients needing attention and {len(triage.others)} others "
        f"({', '.join(f'{tier.label.lower()} {count}' for tier, count in triage.counts)})"
    )


def engine_rate(seconds: float = 2.0) -> tuple[float, int]:
    """Decisions per second of `plans.engine.next_week` alone, over the seed's histories."""
    from benchmarks.seed_patterns import build_patterns
    from plans import engine

    cases = []
    for pattern in build_patterns(closed_weeks=12):
        if pattern.rules is None:
            continue
        logs = [
            engine.WeekLog(
                week.minutes,
                tuple(s.summary() for s in pattern.sessions if s.week == week.week),
            )
            for week in pattern.weeks[:-1]
        ]
        cases.extend((pattern.rules, logs[:k]) for k in range(len(logs) + 1))
    decisions = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for rules, history in cases:
            engine.next_week(rules, history)
        decisions += len(cases)
    return decisions / (time.perf_counter() - started), len(cases)


def close_weeks_for_all(today) -> tuple[int, float, int]:
    """`plan_close_weeks` for every active plan, one week later than the seed: one week each."""
    from plans.models import Plan, PlanStatus, PlanWeek
    from plans.services import plan_close_weeks

    plan_ids = list(
        Plan.objects.filter(status=PlanStatus.ACTIVE).order_by("pk").values_list("pk", flat=True)
    )
    before = PlanWeek.objects.count()
    later = today + timedelta(days=7)
    started = time.perf_counter()
    for plan_id in plan_ids:
        plan_close_weeks(plan=plan_id, today=later)
    elapsed = time.perf_counter() - started
    return len(plan_ids), elapsed, PlanWeek.objects.count() - before


# --- report ------------------------------------------------------------------------------------


def verdict(row: Measured, ratio: float | None) -> str:
    problems = []
    if row.page.target is not None and ratio is not None and ratio < row.page.target:
        problems.append(f"ratio < {row.page.target}")
    if row.p99_ms >= P99_LIMIT_MS:
        problems.append(f"p99 ≥ {P99_LIMIT_MS:.0f} ms")
    if row.wrong_status or row.socket_errors:
        problems.append("errors")
    return "misses: " + ", ".join(problems) if problems else "meets"


def report(
    *,
    size,
    seeded,
    info: dict[str, str],
    server: str,
    workers: int,
    instances: int = 1,
    seconds: int,
    baselines: list[Measured],
    rows: list[Measured],
    engine_result: tuple[float, int],
    closing: tuple[int, float, int] | None,
    load_before: str,
    load_after: str,
    started_at: str,
) -> tuple[str, bool]:
    baseline = combined(baselines)
    lines = [
        f"# StepWise benchmark — {size.name}",
        "",
        f"Run {started_at} UTC, code at {info['code']}, on {info['cpu']} "
        f"(load average before {load_before}, "
        f"after {load_after}); Python {info['python']}, Django {info['django']}, "
        f"gunicorn {info['gunicorn']}, PostgreSQL {info['postgresql']}, {info['wrk']}. "
        "Server, database and load generator share the machine.",
        "",
        f"Server: `gunicorn {server}`"
        + (f" × {instances} instances on one port (SO_REUSEPORT)" if instances > 1 else "")
        + f", {workers} workers in all, production settings checked before "
        f"the run ({info['settings']}). Load: wrk, "
        f"{CONNECTIONS} connections, {seconds} s per page and {seconds} s of the baseline, in "
        f"{ROUNDS} alternating slices each, after a {WARM_UP_SECONDS} s warm-up; signed-in "
        "sessions created directly; every log POST carries a fresh submission token.",
        "",
        "| page | requests/s | p50 ms | p99 ms | SQL queries / request "
        "| baseline req/s, same slices | ratio to baseline | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        f"| {baseline.page.label}, all slices | {baseline.rps:,.0f} | {baseline.p50_ms:.1f} | "
        f"{baseline.p99_ms:.1f} | {baseline.queries if baseline.queries is not None else '—'} | "
        f"— | 1.00 | — | "
        f"{'errors' if baseline.wrong_status or baseline.socket_errors else '—'} |",
    ]
    ok = not (baseline.wrong_status or baseline.socket_errors)
    for row in rows:
        ratio = row.ratio
        result = verdict(row, ratio)
        ok = ok and result == "meets"
        target = f"≥ {row.page.target}, p99 < 250 ms" if row.page.target else "p99 < 250 ms"
        lines.append(
            f"| {row.page.label} | {row.rps:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{row.queries} | {row.baseline_rps:,.0f} | {ratio:.2f} | {target} | {result} |"
        )
    lines += [
        "",
        "Every page is drawn on every request (there is no page cache).",
        "",
        "The signed-in floor is a view of the benchmark's own that draws the site's layout around "
        "one heading for a signed-in patient: the session and user queries, the middleware and "
        "the menu that every signed-in page pays before its own work. No signed-in page can "
        "reach a higher ratio than the floor's.",
        "",
        "Each ratio is the page's requests/s over the baseline's in the slices alternating with "
        "it; p50 is the median slice's, p99 the worst slice's. Responses with another status "
        "than expected (200; 302 for the POST) or socket errors: "
        + ", ".join(
            f"{r.page.key} {r.wrong_status + r.socket_errors}"
            + (f" (statuses {r.unexpected})" if r.unexpected else "")
            for r in [baseline, *rows]
        )
        + ".",
        "",
        f"Plan engine alone: {engine_result[0]:,.0f} decisions/s (`next_week` over "
        f"{engine_result[1]:,} recorded histories, one process).",
    ]
    if closing is not None:
        plans, elapsed, created = closing
        lines.append(
            f"`plan_close_weeks` for every active plan, one week later: {plans:,} plans in "
            f"{elapsed:.1f} s ({plans / elapsed:,.0f} plans/s, one process, {created:,} weeks "
            "created)."
        )
    lines += [
        "",
        f"The measured clinician's triage lists {info['triage']}.",
        "",
        "Data: "
        + ", ".join(f"{value:,} {name}" for name, value in seeded.counts.items())
        + ". Seed: "
        + ", ".join(f"{name} {value:.1f} s" for name, value in seeded.timings.items())
        + ".",
        "",
    ]
    return "\n".join(lines), ok
