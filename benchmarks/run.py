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

The pages' load (wrk, gunicorn) is in `benchmarks.load`, the in-process figures and the report in
`benchmarks.report`, the seed in `benchmarks.seed`; this module sets the run up and runs it.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import Page, Server, measured_on
from benchmarks.report import close_weeks_for_all, engine_rate, report, triage_shape

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# Both can be moved (--database, --redis-url) so two people measuring on one machine do not
# drop each other's database or empty each other's cache.
DATABASE = os.environ.get("BENCH_DATABASE", "stepwise_bench_pages")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "root", "dbname": "postgres"}


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
