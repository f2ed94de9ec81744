"""Log POSTs per second at the database alone: pgbench running the log POST's own statements.

    python -m benchmarks.pgbench_log [--database NAME] [--seconds 20] [--clients 16]
    (make bench-db-writes; needs a database seeded by `make bench`, e.g. --seed-only)

1. Signs a patient in and sends one real log POST through Django's test client, capturing every
   SQL statement it issues (django.test.utils.CaptureQueriesContext): the session and user, the
   open plan, BEGIN, the plan locked with its last week, the check for an earlier submission,
   the INSERT, COMMIT.
2. Writes them to benchmarks/log_post.pgbench with the patient's session key, user and plan as
   pgbench variables and a fresh submission token per transaction (gen_random_uuid()).
3. Gives pgbench 2,000 signed-in patients to pick from at random (a table of session key, user
   and plan, read by one extra primary-key SELECT per transaction, the only statement that is not
   the app's) and runs it: CLIENTS connections for SECONDS seconds, then removes the rows it
   wrote. Prints the transactions (= log POSTs) per second.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "log_post.pgbench"
LOGGERS = 2000
MARK = "pgbench log POST"  # the notes of every session pgbench writes (removed afterwards)


def capture(seeded) -> tuple[list[str], dict]:
    """The statements of one real log POST, and the literals that belong to its patient."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.run import log_fields, signed_in
    from benchmarks.seed import local_today
    from plans.models import Plan
    from recovery.models import User

    user = User.objects.get(pk=seeded.logging_users[-1])
    plan = Plan.objects.get(patient__user=user, status="active")
    key = signed_in(user)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    client.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32
    token = str(uuid.uuid4())
    data = {**log_fields(local_today()), "notes": MARK, "submission_token": token}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/me/sessions/new/", data)
    if response.status_code != 302 or "saved" not in response["Location"]:
        raise RuntimeError(f"the log POST was refused: {response.status_code}")
    return [q["sql"] for q in queries.captured_queries], {
        "key": key,
        "user": user.pk,
        "plan": plan.pk,
        "token": token,
    }


def script(statements: list[str], values: dict) -> str:
    lines = [
        "-- The statements of one log POST (POST /me/sessions/new/), captured from the app by",
        "-- benchmarks/pgbench_log.py; the patient's session, user and plan are variables, the",
        "-- submission token fresh per transaction. Regenerated on every run.",
        "\\set n random(1, " + str(LOGGERS) + ")",
        # pgbench pastes a variable's text as it is: the key comes quoted as an SQL literal.
        "SELECT quote_literal(session_key) AS session_key, user_id, plan_id "
        "FROM pgbench_logger WHERE n = :n \\gset",
    ]
    for sql in statements:
        sql = sql.replace(f"'{values['key']}'", ":session_key")
        sql = sql.replace(f"'{values['token']}'::uuid", "gen_random_uuid()")
        sql = re.sub(rf'("recovery_user"\."id" = ){values["user"]}\b', r"\1:user_id", sql)
        sql = re.sub(rf'(U0\."user_id" = ){values["user"]}\b', r"\1:user_id", sql)
        sql = re.sub(rf'("plan_id" = ){values["plan"]}\b', r"\1:plan_id", sql)
        sql = re.sub(rf"VALUES \({values['plan']},", "VALUES (:plan_id,", sql)
        lines.append(" ".join(sql.split()) + ";")
    return "\n".join(lines) + "\n"


def loggers(seeded) -> None:
    """pgbench_logger: LOGGERS signed-in patients with an open plan, numbered from 1."""
    from django.db import connection

    from benchmarks.run import signed_in
    from plans.models import Plan
    from recovery.models import User

    users = User.objects.in_bulk(seeded.logging_users[:LOGGERS])
    plans = dict(
        Plan.objects.filter(patient__user__in=users, status="active").values_list(
            "patient__user_id", "pk"
        )
    )
    rows = [(n, signed_in(users[pk]), pk, plans[pk]) for n, pk in enumerate(users, 1)]
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS pgbench_logger; CREATE TABLE pgbench_logger "
            "(n int PRIMARY KEY, session_key text, user_id bigint, plan_id bigint)"
        )
        cursor.executemany("INSERT INTO pgbench_logger VALUES (%s, %s, %s, %s)", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="stepwise_bench_pages")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)
    if shutil.which("pgbench") is None:
        print("pgbench is missing (as root: apt-get install -y postgresql-client)", file=sys.stderr)
        return 2
    from benchmarks import run

    os.environ.update(run.production_env(str(ROOT / "staticfiles")))
    os.environ["DATABASE_URL"] = f"postgres://root@127.0.0.1:5432/{args.database}"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from benchmarks import seed as bench_seed
    from benchmarks.seed_patterns import SIZES

    seeded = bench_seed.reuse(SIZES["large"])
    statements, values = capture(seeded)
    SCRIPT.write_text(script(statements, values))
    loggers(seeded)
    from django.db import connection

    connection.close()
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    done = subprocess.run(
        [
            *("pgbench", "-n", "-h", "127.0.0.1", "-U", "root"),
            *(f"-c{args.clients}", "-j2", f"-T{args.seconds}", "-f", str(SCRIPT)),
            args.database,
        ],
        capture_output=True,
        text=True,
    )
    from plans.models import SessionLog

    SessionLog.with_deleted.filter(notes=MARK).delete()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pgbench_logger")
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode or not tps:
        print(done.stdout, done.stderr, file=sys.stderr)
        return 1
    print(
        f"Run {started} UTC (load average before {load}): {float(tps.group(1)):,.0f} log POSTs/s "
        f"at the database alone ({len(statements)} statements of the app's + 1 lookup, "
        f"{args.clients} connections, {args.seconds} s, failed transactions "
        f"{failed.group(1) if failed else '?'}), PostgreSQL on this machine."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
