"""Settings read from the environment: strict parsers, embedded default, production refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from infra.env import env_bool, env_int, parse_database_url

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "x7Gq9zR2pL5mW8vB1nC4dF6hJ0sT3yU" * 2
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "stepwise.example.org",
    "DATABASE_URL": "postgres://stepwise@127.0.0.1:5432/stepwise",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DEBUG",
            "SECRET_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests' event loop only
        }
        and not k.startswith(("EMAIL_", "PYTEST"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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
