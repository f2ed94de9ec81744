"""Where one page's time goes: the benchmark's pages, called in this one process, no network.

    python -m benchmarks.profile_page me [--requests 200] [--profile] [--sql N] [--templates]

On the database `make bench` seeded (reused, never reseeded), with the production settings the
benchmark serves (DEBUG off, cached template loader, persistent connection), this calls the WSGI
application directly with a signed-in session, as gunicorn would, and prints milliseconds per
request and SQL statements per request; the baseline view is measured the same way beside it, so
the two figures give the ratio a page can reach at best. `--profile` adds cProfile's top
functions by own time and by cumulative time; `--sql N` prints each statement of one request
with its time; `--templates` prints each template's own time per request (its includes apart;
a child template's blocks count as the template it extends).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import uuid

PAGES = ("baseline", "floor", "me", "log", "clinic", "detail")


def main(argv: list[str] | None = None) -> int:
    from benchmarks import run as bench_run

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", choices=PAGES)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", type=int, default=0, help="print each statement, cut to N chars")
    parser.add_argument(
        "--templates", action="store_true", help="time each template, its includes apart"
    )
    parser.add_argument("--size", choices=["small", "large"], default="large")
    parser.add_argument("--database", default=bench_run.DATABASE)
    parser.add_argument("--redis-url", default=bench_run.REDIS_URL)
    args = parser.parse_args(argv)
    bench_run.DATABASE, bench_run.REDIS_URL = args.database, args.redis_url

    static_root = os.environ.get("BENCH_STATIC_ROOT") or tempfile.mkdtemp(prefix="stepwise-prof-")
    os.environ.update(bench_run.production_env(static_root))
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string

    from benchmarks import seed as bench_seed
    from benchmarks.seed_patterns import SIZES

    if not os.path.exists(os.path.join(static_root, "staticfiles.json")):
        call_command("collectstatic", interactive=False, verbosity=0)
    bench_run.verify_production_settings()
    seeded = bench_seed.reuse(SIZES[args.size])
    csrf = _get_new_csrf_string()
    baseline, pages = bench_run.build_pages(seeded, csrf)
    by_key = {p.key: p for p in [baseline, *pages]}
    app = WSGIHandler()

    def call(page, n: int) -> None:
        path, cookie = page.targets[n % len(page.targets)]
        body = b""
        if page.method == "POST":
            from urllib.parse import urlencode

            form = {
                **page.form,
                "csrfmiddlewaretoken": csrf,
                "submission_token": str(uuid.uuid4()),
                "notes": str(uuid.uuid4()),
            }
            body = urlencode(form).encode()
        environ = {
            "REQUEST_METHOD": page.method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "HTTP_REFERER": "http://127.0.0.1/me/sessions/new/",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        response = app(environ, lambda status, headers, *a: statuses.append(status))
        b"".join(response)
        response.close()
        if int(statuses[0].split()[0]) != page.expected:
            raise RuntimeError(f"{page.key} {path}: {statuses[0]}, expected {page.expected}")

    for key in args.pages:
        page = by_key[key]
        for n in range(5):  # warm: templates compiled, weeks closed, connection open
            call(page, n)
        statements = []

        def timed(run, sql, *rest, statements=statements):
            started = time.perf_counter()
            try:
                return run(sql, *rest)
            finally:
                statements.append((time.perf_counter() - started, sql))

        with connection.execute_wrapper(timed):
            call(page, 5)
        if args.sql:
            for seconds, sql in statements:
                print(f"  {seconds * 1000:6.2f} ms  {sql[: args.sql]}")
        if args.templates:
            _time_templates(call, page, args.requests)
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for n in range(args.requests):
            call(page, n)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        print(
            f"{key:<9} {elapsed / args.requests * 1000:7.2f} ms/request  "
            f"{len(statements)} queries" + ("  (under the profiler)" if profiler else "")
        )
        if profiler:
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    return 0


def _time_templates(call, page, requests: int) -> None:
    """Print each template's own time per request (its includes' time counted apart)."""
    from django.template.base import Template

    own: dict[str, float] = {}
    stack: list[list] = []
    render = Template._render

    def timed(template, context):
        name = template.origin.template_name or template.name or "?"
        frame = [name, time.perf_counter(), 0.0]  # name, start, children's time
        stack.append(frame)
        try:
            return render(template, context)
        finally:
            stack.pop()
            spent = time.perf_counter() - frame[1]
            own[name] = own.get(name, 0.0) + spent - frame[2]
            if stack:
                stack[-1][2] += spent

    Template._render = timed
    try:
        for n in range(requests):
            call(page, n)
    finally:
        Template._render = render
    for name, seconds in sorted(own.items(), key=lambda item: -item[1]):
        print(f"  {seconds / requests * 1000:6.2f} ms  {name}")


if __name__ == "__main__":
    sys.exit(main())
