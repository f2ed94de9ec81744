"""Settings read from the environment: strict parsers, embedded default, production refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from infra.env import env_bool, env_int, parse_database_url
from tests.support import manage

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "x7Gq9zR2pL5mW8vB1nC4dF6hJ0sT3yU" * 2
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "stepwise.example.org",
    "DATABASE_URL": "postgres://stepwise@127.0.0.1:5432/stepwise",
}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://db/stepwise"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://host:notaport/db"}, "DATABASE_URL"),
        ({"CONN_MAX_AGE": "sixty"}, "CONN_MAX_AGE"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.org"}, "SECRET_KEY"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.org", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS"),
        ({"CLINIC_TIME_ZONE": "Mars/Olympus_Mons"}, "CLINIC_TIME_ZONE"),
        ({"ALERT_ESCALATE_HOURS": "0"}, "ALERT_ESCALATE_HOURS"),
        ({"ALERT_ESCALATE_HOURS": "four"}, "ALERT_ESCALATE_HOURS"),
    ],
)
def test_bad_configuration_names_the_variable_without_a_traceback(env, named):
    result = manage("check", **env)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_remote_services_without_tls():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "DATABASE_URL": "postgres://u@db.example.org/stepwise"},
        CELERY_BROKER_URL="redis://redis.example.org:6379/0",
        EMAIL_HOST="smtp.example.org",
        EMAIL_USE_TLS="false",
    )
    assert result.returncode != 0
    for code in ("stepwise.W001", "stepwise.W002", "stepwise.W003"):
        assert code in result.stderr + result.stdout


def test_embedded_default_uses_sqlite_in_process_tasks_and_console_mail():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.EMAIL_BACKEND, s.DEBUG)"
    )
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]
    assert "development SECRET_KEY" in result.stderr


def test_production_cookies_and_headers_settings():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-6:] == [
        "__Host-sessionid",
        "True",
        "True",
        "31536000",
        "True",
        "Argon2PasswordHasher",
    ]


def test_parsers_are_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be at least 0"):
        env_int("X_NUM", 5, minimum=0)


def test_database_url_parsing():
    pg = parse_database_url(
        "DATABASE_URL", "postgres://u%40x:p%2Fw@db:6543/step?sslmode=verify-full", conn_max_age=60
    )
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "u@x",
        "p/w",
        "db",
        "6543",
        "step",
    )
    assert pg["OPTIONS"] == {"sslmode": "verify-full"}
    assert pg["CONN_MAX_AGE"] == 60 and pg["CONN_HEALTH_CHECKS"] is True
    assert parse_database_url("D", "sqlite:///db.sqlite3", conn_max_age=0)["NAME"] == "db.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="must name a database"):
        parse_database_url("DATABASE_URL", "postgres://db/", conn_max_age=0)


def test_cached_template_loader_is_used(settings):
    loaders = settings.TEMPLATES[0]["OPTIONS"]["loaders"]
    assert loaders[0][0] == "django.template.loaders.cached.Loader"


# --- first start: the key, the database, the logs (issue 20) -----------------------------------


def one_line_naming(result: subprocess.CompletedProcess, variable: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and "development SECRET_KEY" not in line  # DEBUG on: said once, first
    ]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    return lines[0]


def test_the_example_key_is_refused_with_one_sentence():
    example = (ROOT / ".env.example").read_text()
    (key,) = [line.split("=", 1)[1] for line in example.splitlines() if line.startswith("SECRET_")]
    assert len(key) >= 50  # long enough for the weak-key rule: refused because it is published
    line = one_line_naming(manage("check", **{**PRODUCTION, "SECRET_KEY": key}), "SECRET_KEY")
    assert ".env.example" in line and "secrets.token_urlsafe" in line


def test_a_key_written_anywhere_in_the_repository_is_found(tmp_path):
    from infra.env import published_in

    key = "pasted-" + "Zq8vN3kR5tW1yB6mC9xL2jH4gF7dS0aP" * 2
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "deploy.md").write_text(f"Run with SECRET_KEY={key} and go.\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "notes.txt").write_text(key)  # installed packages are not the repo's
    assert published_in(key, tmp_path) == tmp_path / "docs" / "deploy.md"
    (tmp_path / "docs" / "deploy.md").write_text("SECRET_KEY=(your own)\n")
    assert published_in(key, tmp_path) is None
    assert published_in(STRONG_KEY, ROOT) is None  # the tests build theirs: not a literal
    # The operator's own .env (git- and docker-ignored) holds the real key: never read.
    (tmp_path / ".env").write_text(f"SECRET_KEY={key}\n")
    assert published_in(key, tmp_path) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgres://no_such_role_sw@127.0.0.1:5432/postgres", 'role "no_such_role_sw"'),
        ("postgres://{user}@127.0.0.1:5432/no_such_database_sw", 'database "no_such_database_sw"'),
        ("postgres://{user}@127.0.0.1:1/stepwise", "refused"),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_sentence_naming_database_url(url, reason):
    needs_server = "127.0.0.1:5432" in url
    user = "root"
    if needs_server:
        import psycopg2

        for user in ("root", "postgres"):
            try:
                psycopg2.connect(host="127.0.0.1", port=5432, user=user, dbname="postgres").close()
                break
            except psycopg2.OperationalError:
                continue
        else:
            from tests.conftest import unavailable

            unavailable("this test needs a PostgreSQL server on 127.0.0.1:5432")
    result = manage("migrate", DATABASE_URL=url.format(user=user))
    line = one_line_naming(result, "DATABASE_URL")
    assert reason in line


def test_the_development_key_warning_is_printed_once_per_process_and_not_by_the_reloader():
    result = manage("check")
    assert result.stderr.count("development SECRET_KEY") == 1
    reloaded = manage("check", RUN_MAIN="true")  # the process runserver reloads the code in
    assert "development SECRET_KEY" not in reloaded.stderr


def test_each_log_line_is_printed_once_and_a_refusal_has_no_traceback(tmp_path):
    """A 404 and a 403 are one line each in the log, in the production format (JSON lines)."""
    code = (
        "import logging;"
        "from django.core.exceptions import PermissionDenied;"
        "from django.core.handlers.exception import response_for_exception;"
        "from django.test import Client, RequestFactory;"
        "Client().get('/no-such-page/', secure=True, HTTP_HOST='stepwise.example.org');"
        "r = RequestFactory().get('/clinic/patients/999/');"
        "response_for_exception(r, PermissionDenied('not yours'));"
        "logging.getLogger('django.request').error('boom', exc_info=ValueError('x'))"
    )
    result = manage(
        "shell",
        "-c",
        code,
        **{**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        STATIC_MANIFEST="false",  # no collectstatic in a test: the 404 page needs no manifest
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert messages.count("Not Found: /no-such-page/") == 1
    assert messages.count("Forbidden (Permission denied): /clinic/patients/999/") == 1
    refusals = [line for line in lines if line.get("status") in (403, 404)]
    assert len(refusals) == 2 and not any("exception" in line for line in refusals)
    assert "Traceback" not in result.stderr  # not printed beside the JSON lines either
    # A real error keeps its traceback, inside its one line.
    (error,) = [line for line in lines if line["message"] == "boom"]
    assert "ValueError" in error["exception"]
    assert len(messages) == len(set(messages))  # one line each, nothing doubled


def test_in_development_each_line_is_printed_once_too(tmp_path):
    """Django's own console handler (DEBUG on) and the root's printed every line twice."""
    code = (
        "import logging;"
        "from django.core.exceptions import PermissionDenied;"
        "from django.core.handlers.exception import response_for_exception;"
        "from django.test import Client, RequestFactory;"
        "Client().get('/no-such-page/', HTTP_HOST='localhost');"
        "r = RequestFactory().get('/clinic/patients/999/');"
        "response_for_exception(r, PermissionDenied('not yours'));"
        "logging.getLogger('django.request').error('boom', exc_info=ValueError('x'))"
    )
    result = manage("shell", "-c", code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /no-such-page/") == 1, result.stderr
    assert result.stderr.count("Forbidden (Permission denied): /clinic/patients/999/") == 1
    assert result.stderr.count("boom") == 1
    assert "Traceback" not in result.stderr  # the refusals' exceptions are not printed
    assert result.stderr.count("ValueError: x") == 1  # a real error's is


def test_gunicorn_prints_json_lines_only_as_compose_starts_it(tmp_path):
    """The web container's whole output (gunicorn's lines, the access log, Django's, a library's
    warning) is one JSON object per line: what a log collector reads."""
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "EMAIL_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    env.update(
        {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_MANIFEST="false",
        WEB_CONCURRENCY="1",
    )
    web = ["gunicorn", "stepwise.wsgi", "--config", "gunicorn.conf.py", "--access-logfile", "-"]
    server = subprocess.Popen(
        [sys.executable, "-m", *web, "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            # Not up yet, or its first request (loading Django) slow on a busy machine: this
            # test reads the log's format, not the server's speed.
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=10)
        assert missing.value.code == 404
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers
    assert sum(record["message"] == "Not Found: /no-such-page/" for record in records) == 1


def test_pictures_are_stored_on_the_file_system_by_default_and_in_s3_when_a_bucket_is_set(
    tmp_path,
):
    """make run needs no bucket; S3_BUCKET switches django-storages' S3 backend on, configured
    from its variables but not contacted (the endpoint below does not exist)."""
    code = (
        "from django.core.files.storage import storages; d = storages['default'];"
        "print(type(d).__module__ + '.' + type(d).__name__, d.location)"
    )
    result = manage("shell", "-c", code, MEDIA_ROOT=str(tmp_path / "pictures"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [
        "django.core.files.storage.filesystem.FileSystemStorage",
        str(tmp_path / "pictures"),
    ]
    code = (
        "from django.core.files.storage import storages; d = storages['default'];"
        "print(type(d).__name__, d.bucket_name, d.endpoint_url, d.region_name, d.access_key,"
        " d.file_overwrite, d.exists.__qualname__)"
    )
    result = manage(
        "shell",
        "-c",
        code,
        S3_BUCKET="clinic-pictures",
        S3_ENDPOINT_URL="https://s3.invalid.example",
        S3_REGION="eu-west-1",
        S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        S3_SECRET_ACCESS_KEY="not-a-real-secret",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-7:] == [
        "S3Storage",
        "clinic-pictures",
        "https://s3.invalid.example",
        "eu-west-1",
        "AKIAEXAMPLE",
        "False",
        "S3Storage.exists",
    ]
