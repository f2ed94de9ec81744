"""StepWise benchmark: pages against a bare Django baseline, in the same run, on this machine.

    python -m benchmarks.run --size small|large        (make bench SIZE=small|large)

1. Recreates the PostgreSQL database `stepwise_bench_pages`, migrates it, seeds it
   (benchmarks.seed) and collects static files into a temporary directory.
2. Counts SQL queries per request in this process (Django's test Client + CaptureQueriesContext,
   same database, same settings, steady state: the second request of each kind).
3. Serves the app with gunicorn on 127.0.0.1 with the production settings (DEBUG off, persistent
   connections with health checks, cached template loader) and drives it with wrk from a second
   process: 16 connections, a fixed duration per page, signed-in sessions created directly (no
   login, no lockout counters), a fresh submission token per log POST. Each page alternates
   with the baseline view in slices, and its ratio is taken against the baseline of its slices.
4. Times the plan engine alone and `plan_close_weeks` closing one more week for every active plan.
5. Prints a Markdown report and writes it to benchmarks/results/latest-<size>.md.

Exit status 1 when a page misses its target (ratio to the baseline, or p99 >= 250 ms), or when
any response had an unexpected status; 2 when a tool is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# Both can be moved (--database, --redis-url) so two people measuring on one machine do not
# drop each other's database or empty each other's cache.
DATABASE = os.environ.get("BENCH_DATABASE", "stepwise_bench_pages")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "root", "dbname": "postgres"}
CONNECTIONS = 16
WRK_THREADS = 2
P99_LIMIT_MS = 250.0
WARM_UP_SECONDS = 2
# Each page is measured in slices alternating with the baseline (B P P B B P P B): the ratio is
# taken against the baseline measured in between, so a machine that speeds up or slows down over
# a run (a shared VM drifted by 11 % between the first and last baseline of one run) moves both.
ROUNDS = 4


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    method: str
    expected: int  # the one status a correct response has
    target: float | None  # minimum ratio to the baseline
    targets: list[tuple[str, str]] = field(default_factory=list)  # (path, cookie header)
    form: dict[str, str] = field(default_factory=dict)  # POST fields but the submission token


@dataclass
class Measured:
    page: Page
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    wrong_status: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)  # status → count
    socket_errors: int = 0
    queries: int | None = None
    baseline_rps: float | None = None  # the baseline in the slices alternating with this page

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.rps / self.baseline_rps if self.baseline_rps else None


def combined(slices: list[Measured]) -> Measured:
    """One row from a page's slices: their requests over their time; the median slice's p50
    and p90, and the worst slice's p99 and maximum (a percentile of the whole run is not
    recoverable from slices, and the worst slice's is never below it)."""
    middle = sorted(slices, key=lambda m: m.p50_ms)[len(slices) // 2]
    unexpected: dict[str, int] = {}
    for m in slices:
        for status, count in m.unexpected.items():
            unexpected[status] = unexpected.get(status, 0) + count
    return Measured(
        page=slices[0].page,
        requests=sum(m.requests for m in slices),
        seconds=sum(m.seconds for m in slices),
        p50_ms=middle.p50_ms,
        p90_ms=sorted(m.p90_ms for m in slices)[len(slices) // 2],
        p99_ms=max(m.p99_ms for m in slices),
        max_ms=max(m.max_ms for m in slices),
        wrong_status=sum(m.wrong_status for m in slices),
        unexpected=unexpected,
        socket_errors=sum(m.socket_errors for m in slices),
        queries=slices[0].queries,
    )


def paired(url: str, page: Page, baseline: Page, csrf: str, seconds: int, workdir: Path):
    """(the page, the baseline): `seconds` of each, in ROUNDS alternating slices."""
    slice_seconds = max(1, round(seconds / ROUNDS))
    slices: dict[bool, list[Measured]] = {True: [], False: []}
    for round_ in range(ROUNDS):
        for is_page in (False, True) if round_ % 2 == 0 else (True, False):
            measured = run_wrk(url, page if is_page else baseline, csrf, slice_seconds, workdir)
            slices[is_page].append(measured)
    row, base = combined(slices[True]), combined(slices[False])
    row.baseline_rps = base.rps
    return row, base


# --- environment -------------------------------------------------------------------------------


def production_env(static_root: str) -> dict[str, str]:
    """The environment of both processes: production settings, plain HTTP on 127.0.0.1."""
    return {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{DATABASE}",
        # The shared cache as in production (rate limits), in a database of its own.
        "REDIS_URL": REDIS_URL,
        "CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
        "BENCH_STATIC_ROOT": static_root,
    }


def require_tools() -> None:
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (as root: apt-get install -y wrk)")
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        missing.append("gunicorn (pip install -r requirements.txt)")
    if missing:
        print("The benchmark needs: " + "; ".join(missing), file=sys.stderr)
        sys.exit(2)


def recreate_database() -> None:
    import psycopg2

    admin = psycopg2.connect(**PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()


def flush_cache() -> None:
    """Start with an empty shared cache: pages of an earlier run's database must not be served."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    import django
    import gunicorn
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "code": f"{commit or 'unknown commit'}{' with uncommitted changes' if dirty else ''}",
        "cpu": f"{os.cpu_count()} × {model}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "postgresql": postgres,
        "wrk": (wrk.split("\n")[0].split(" Copyright")[0] or "wrk").strip(),
        "kernel": platform.release(),
    }


def verify_production_settings() -> str:
    """Refuse to measure anything but the production configuration the brief asks for."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    loaders = settings.TEMPLATES[0]["OPTIONS"].get("loaders", [])
    cached = any(
        isinstance(loader, tuple) and loader[0] == "django.template.loaders.cached.Loader"
        for loader in loaders
    )
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on")
    if database["ENGINE"] != "django.db.backends.postgresql":
        problems.append("the database is not PostgreSQL")
    if not database.get("CONN_MAX_AGE") or not database.get("CONN_HEALTH_CHECKS"):
        problems.append("persistent connections with health checks are off")
    if not cached:
        problems.append("the cached template loader is off")
    if problems:
        raise RuntimeError("Not the production configuration: " + "; ".join(problems))
    return (
        f"DEBUG off, CONN_MAX_AGE={database['CONN_MAX_AGE']} with CONN_HEALTH_CHECKS, "
        "cached template loader"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- sessions ----------------------------------------------------------------------------------


def signed_in(user) -> str:
    """A session for `user` as a login would leave it, without going through the login page."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from infra.middleware import LOGIN_KEY, SEEN_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "recovery.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SEEN_KEY] = store[LOGIN_KEY] = int(time.time())
    store.create()
    return store.session_key


def cookie_header(session_key: str, csrf: str = "") -> str:
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    if csrf:
        cookie += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie


def log_fields(day) -> dict[str, str]:
    """A valid, uneventful session: within the plan, comfortable pain, the warning-sign list
    answered "None of these" (so the plan stays open and no alert is raised). Each request adds
    its own submission token and note, so every POST stores a new session."""
    return {
        "date": day.isoformat(),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "1",
        "pain": "2",
        "pain_duration": "within_2h",
        "no_red_flags": "on",
        "exertion": "11",
    }


def build_pages(seeded, csrf: str) -> tuple[Page, list[Page]]:
    from benchmarks.seed import local_today
    from benchmarks.urls import BASELINE_PATH, FLOOR_PATH
    from recovery.models import User

    users = User.objects.in_bulk(
        [*seeded.dashboard_users, *seeded.logging_users, seeded.clinician_id]
    )
    clinician = cookie_header(signed_in(users[seeded.clinician_id]))
    baseline = Page("baseline", "baseline (anonymous, 1 query)", "GET", 200, None)
    baseline.targets.append((BASELINE_PATH, ""))
    panel = seeded.counts["measured clinician's patients"]
    me_cookies = [cookie_header(signed_in(users[pk])) for pk in seeded.dashboard_users]
    pages = [
        Page(
            "floor",
            "signed-in floor (the layout, no content)",
            "GET",
            200,
            None,  # no target: the best ratio any signed-in page can reach
            [(FLOOR_PATH, cookie) for cookie in me_cookies],
        ),
        Page(
            "me",
            "`/me/` (a year of history)"
            if seeded.size.name == "large"
            else f"`/me/` ({seeded.size.closed_weeks} weeks)",
            "GET",
            200,
            0.35,  # DESIGN §13
            [("/me/", cookie) for cookie in me_cookies],
        ),
        Page(
            "log",
            "`POST /me/sessions/new/`",
            "POST",
            302,
            0.30,
            [
                ("/me/sessions/new/", cookie_header(signed_in(users[pk]), csrf))
                for pk in seeded.logging_users
            ],
            form=log_fields(local_today()),
        ),
        Page(
            "clinic",
            f"`/clinic/` ({panel} patients)",
            "GET",
            200,
            0.15,
            [("/clinic/", clinician)],
        ),
        Page(
            "detail",
            "`/clinic/patients/<id>/` (a year of history)"
            if seeded.size.name == "large"
            else f"`/clinic/patients/<id>/` ({seeded.size.closed_weeks} weeks)",
            "GET",
            200,
            0.20,
            [(f"/clinic/patients/{pk}/", clinician) for pk in seeded.detail_patients],
        ),
    ]
    return baseline, pages


# --- queries per request (in process) ----------------------------------------------------------


def count_queries(page: Page, csrf: str) -> int:
    """SQL statements of one steady-state request (the second one: the first may close weeks)."""
    import uuid

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    path, cookies = page.targets[0]
    client = Client(HTTP_HOST="127.0.0.1")
    for part in filter(None, cookies.split("; ")):
        name, value = part.split("=", 1)
        client.cookies[name] = value

    def once():
        if page.method == "POST":
            data = {**page.form, "submission_token": str(uuid.uuid4())}
            return client.post(path, data, HTTP_X_CSRFTOKEN=csrf)
        return client.get(path)

    once()
    with CaptureQueriesContext(connection) as captured:
        response = once()
    if response.status_code != page.expected:
        raise RuntimeError(
            f"{page.method} {path} answered {response.status_code}, expected {page.expected}"
        )
    return len(captured.captured_queries)


# --- the load generator ------------------------------------------------------------------------

LUA = r"""
local targets = @TARGETS@
local method = @METHOD@
local expected = @EXPECTED@
local csrf = @CSRF@
local form = @BODY@
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(os.time() * 7919 + tid * 104729)
  counter = tid
  wrong = 0
  statuses = {}
end

-- A version-4 UUID: the log form refuses a submission token it has already stored.
local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  counter = counter + 1
  local target = targets[counter % #targets + 1]
  local headers = {}
  if target[2] ~= "" then headers["Cookie"] = target[2] end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-CSRFToken"] = csrf
    -- A note of its own too: the same answers again within minutes would be taken for the
    -- form sent twice, and the first session returned without storing anything.
    return wrk.format("POST", target[1], headers,
      form .. "&submission_token=" .. uuid4() .. "&notes=" .. uuid4())
  end
  return wrk.format("GET", target[1], headers)
end

function response(status, headers, body)
  if status ~= expected then
    wrong = wrong + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local seen = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("wrong")
    for status, count in pairs(thread:get("statuses")) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    table.insert(parts, string.format("\"%d\": %d", status, count))
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p90_us\": %d, " ..
    "\"p99_us\": %d, \"max_us\": %d, \"wrong_status\": %d, \"socket_errors\": %d, " ..
    "\"unexpected\": {%s}}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


def lua_script(page: Page, csrf: str) -> str:
    targets = ", ".join(
        "{" + _lua_string(path) + ", " + _lua_string(cookie) + "}" for path, cookie in page.targets
    )
    return (
        LUA.replace("@TARGETS@", "{" + targets + "}")
        .replace("@METHOD@", _lua_string(page.method))
        .replace("@EXPECTED@", str(page.expected))
        .replace("@CSRF@", _lua_string(csrf))
        .replace("@BODY@", _lua_string(urlencode(page.form)))
    )


def run_wrk(base_url: str, page: Page, csrf: str, seconds: int, workdir: Path) -> Measured:
    script = workdir / f"{page.key}.lua"
    script.write_text(lua_script(page, csrf))
    completed = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            base_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"^BENCH_JSON (\{.*\})$", completed.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(match.group(1))
    return Measured(
        page=page,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        wrong_status=data["wrong_status"],
        unexpected=data["unexpected"],
        socket_errors=data["socket_errors"],
    )


# --- the server --------------------------------------------------------------------------------


def production_workers() -> int:
    """The worker count gunicorn.conf.py gives on this machine."""
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (our own file)
    return namespace["workers"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the production settings on 127.0.0.1 only.

    `instances` > 1 starts that many independent gunicorn masters on the same port with
    SO_REUSEPORT (gunicorn's --reuse-port): the kernel spreads connections over them, as a load
    balancer spreads them over machines. Each has its own workers and nothing is shared between
    them but PostgreSQL and Redis, so the pages answering the same as from one instance shows
    that nothing a page needs is held in a process.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        worker_class: str,
        workers: int | None,
        threads: int,
        instances: int = 1,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="stepwise-bench-gunicorn-", suffix=".log", delete=False
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "stepwise.wsgi:application",
            "--config",
            "gunicorn.conf.py",  # production's: (2 × cores) + 1 workers unless --workers
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            worker_class,
            "--no-control-socket",
        ]
        if workers is not None:
            command += ["--workers", str(workers)]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        if instances > 1:
            command += ["--reuse-port"]
        self.description = " ".join(command[3:]).replace(str(self.port), "<free port>")
        self.instances = instances
        per_instance = workers if workers is not None else production_workers()
        self.workers = per_instance * instances
        self.processes = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(instances)
        ]

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                break
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop(remove_log=False)
        raise RuntimeError(f"gunicorn did not start; see {self.log.name}")

    def stop(self, *, remove_log: bool = True) -> None:
        """Stop our own gunicorns (their pids only); keep the log when something went wrong."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()
        if remove_log:
            Path(self.log.name).unlink(missing_ok=True)


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


def measured_on(
    server: Server,
    pages: list[Page],
    baseline: Page,
    csrf: str,
    seconds: int,
    workdir: Path,
    queries: dict[str, int],
) -> tuple[list[Measured], list[Measured]]:
    """(the pages, the baseline of each page's slices) on a started `server`, which is stopped
    afterwards; its log is kept when something went wrong."""
    served = False
    try:
        server.wait_ready()
        for page in [baseline, *pages]:  # warm every worker's caches and connections
            run_wrk(server.url, page, csrf, WARM_UP_SECONDS, workdir)
        rows, baselines = [], []
        for page in pages:
            result, base = paired(server.url, page, baseline, csrf, seconds, workdir)
            result.queries, base.queries = queries.get(page.key), queries[baseline.key]
            rows.append(result)
            baselines.append(base)
            print(
                f"  {page.key:<9} {result.rps:8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p99 {result.p99_ms:6.1f} ms  baseline {base.rps:,.0f} req/s  "
                f"ratio {result.ratio:.2f}  unexpected {result.wrong_status + base.wrong_status} "
                f"{result.unexpected or ''}"
            )
        served = True
        return rows, baselines
    finally:
        server.stop(remove_log=served)
        if not served:
            print(f"gunicorn's log is kept in {server.log.name}", file=sys.stderr)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "large"], default="large")
    parser.add_argument("--seconds", type=int, default=None, help="per page (default 10/20)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument(
        "--workers", type=int, default=None, help="default: gunicorn.conf.py's, as in production"
    )
    parser.add_argument("--threads", type=int, default=4, help="per worker, gthread only")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="gunicorn instances behind one port (SO_REUSEPORT); the workers are per instance",
    )
    parser.add_argument("--only", help="comma-separated page keys (floor,me,log,clinic,detail)")
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the seeded database of the last run"
    )
    parser.add_argument("--database", default=DATABASE, help=f"default {DATABASE}")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"default {REDIS_URL}")
    args = parser.parse_args(argv)
    globals().update(DATABASE=args.database, REDIS_URL=args.redis_url)
    require_tools()
    seconds = args.seconds or (10 if args.size == "small" else 20)

    static_root = tempfile.mkdtemp(prefix="stepwise-bench-static-")
    env = production_env(static_root)
    os.environ.update(env)
    started_at = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"StepWise benchmark, size {args.size}; load average {load_average()}")
    if not args.reuse:
        recreate_database()
    flush_cache()

    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks import seed as bench_seed
    from benchmarks.seed_patterns import SIZES

    size = SIZES[args.size]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"  migrated and collected static files in {time.perf_counter() - started:.1f} s")
    if args.reuse:
        seeded = bench_seed.reuse(size)
    else:
        print(f"  seeding {size.patients:,} patients ...")
        seeded = bench_seed.seed(size)
    print(
        "  seeded: "
        + ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
        + " ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in seeded.timings.items())
        + ")"
    )
    if args.seed_only:
        shutil.rmtree(static_root, ignore_errors=True)
        return 0

    from django.middleware.csrf import _get_new_csrf_string

    csrf = _get_new_csrf_string()
    baseline, pages = build_pages(seeded, csrf)
    if args.only:
        keep = set(args.only.split(","))
        pages = [p for p in pages if p.key in keep]
    queries = {p.key: count_queries(p, csrf) for p in [baseline, *pages]}
    print("  SQL queries per request: " + ", ".join(f"{k} {v}" for k, v in queries.items()))
    info = machine()
    info["settings"] = verify_production_settings()
    info["triage"] = triage_shape(seeded.clinician_id)

    from django.db import connections

    connections.close_all()
    server = Server(
        env,
        worker_class=args.worker_class,
        workers=args.workers,
        threads=args.threads,
        instances=args.instances,
    )
    workdir = Path(tempfile.mkdtemp(prefix="stepwise-bench-wrk-"))
    load_before = load_average()
    rows, baselines = measured_on(server, pages, baseline, csrf, seconds, workdir, queries)
    load_after = load_average()
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(static_root, ignore_errors=True)

    engine_result = engine_rate()
    print(f"  engine: {engine_result[0]:,.0f} decisions/s")
    closing = None
    if not args.only and not args.reuse:  # a reused database has closed that week already
        closing = close_weeks_for_all(seeded.today)
        print(f"  plan_close_weeks: {closing[0]:,} plans in {closing[1]:.1f} s")

    text, ok = report(
        size=size,
        seeded=seeded,
        info=info,
        server=server.description,
        workers=server.workers,
        instances=server.instances,
        seconds=seconds,
        baselines=baselines,
        rows=rows,
        engine_result=engine_result,
        closing=closing,
        load_before=load_before,
        load_after=load_after,
        started_at=started_at,
    )
    print()
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.only:
        instances = f"-{args.instances}-instances" if args.instances > 1 else ""
        name = f"latest-{size.name}{instances}"
        (RESULTS / f"{name}.md").write_text(text)
        print(f"Written to {(RESULTS / f'{name}.md').relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
