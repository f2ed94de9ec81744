"""Docker does not run here: check the compose file parses and its commands point at real things."""

from __future__ import annotations

import importlib
import os
import re
import shlex
from pathlib import Path

import yaml

from tests.support import manage

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_words(service: dict) -> list[str]:
    command = service.get("command", [])
    return command if isinstance(command, list) else shlex.split(command)


APP_SERVICES = ("migrate", "web", "worker", "beat")
# What compose sets itself: the stack's own database, Redis and broker.
COMPOSE_OWNS = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}


def example_variables() -> dict[str, str]:
    """The uncommented NAME=value lines of .env.example, as compose's env_file reads them."""
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def test_the_topology_is_complete():
    assert set(COMPOSE["services"]) == {"db", "redis", "mail", "migrate", "web", "worker", "beat"}
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name]["environment"]
        assert set(environment) == COMPOSE_OWNS | {"SECRET_KEY"}
        assert environment["DATABASE_URL"].startswith("postgres://stepwise:${POSTGRES_PASSWORD")
        assert environment["DATABASE_URL"].endswith("@db:5432/stepwise")
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_every_variable_in_the_example_reaches_the_app_containers_as_written():
    """`cp .env.example .env`: every line reaches web, worker, beat and the migration through
    env_file, and compose overrides none of them (SECRET_KEY is only required, not changed)."""
    variables = example_variables()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CLINIC_NAME", "CLINIC_PHONE"} <= set(variables)
    assert {"CLINIC_TIME_ZONE", "DEFAULT_FROM_EMAIL", "CSRF_TRUSTED_ORIGINS"} <= set(variables)
    assert {"BEHIND_TLS_PROXY", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "EMAIL_USE_TLS"} <= set(
        variables
    )
    for name in APP_SERVICES:
        service = COMPOSE["services"][name]
        assert service["env_file"] == ".env"
        environment = service["environment"]
        for variable in variables:
            if variable in environment:
                assert variable == "SECRET_KEY"
                assert environment[variable].startswith("${SECRET_KEY:?")
    # The stack's own URLs are compose's; the example shows them commented, for other installs.
    assert not COMPOSE_OWNS & set(variables)
    example = (ROOT / ".env.example").read_text()
    for variable in COMPOSE_OWNS:
        assert f"# {variable}=" in example


def test_every_variable_in_the_example_is_one_stepwise_or_compose_reads():
    """A misspelt name in .env would be ignored in silence: each one is read somewhere."""
    settings_source = (ROOT / "stepwise" / "settings.py").read_text()
    compose_source = (ROOT / "docker-compose.yml").read_text()
    for variable in example_variables():
        assert f'"{variable}"' in settings_source or f"${{{variable}" in compose_source, variable


def test_the_example_starts_stepwise_once_its_key_is_replaced(tmp_path):
    """The example's values parse: DEBUG off, its hosts, its cookie and e-mail settings."""
    import secrets

    example = {**example_variables(), "SECRET_KEY": secrets.token_urlsafe(64)}
    result = manage("check", database=tmp_path / "db.sqlite3", **example)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_services_start_in_order():
    services = COMPOSE["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert command_words(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["redis"]["condition"] == "service_healthy"
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_every_image_is_pinned_to_a_release():
    for name, service in COMPOSE["services"].items():
        if "build" in service:
            continue
        image = service["image"]
        assert re.search(r":v?\d+\.\d+(\.\d+)?(-[a-z]+)?$", image), f"{name}: {image}"
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            assert re.search(r":\d+\.\d+\.\d+-", line), line


def test_exactly_one_beat():
    beat = COMPOSE["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    beats = [n for n, s in COMPOSE["services"].items() if "beat" in command_words(s)]
    assert beats == ["beat"]


def test_commands_refer_to_modules_that_exist():
    web = " ".join(command_words(COMPOSE["services"]["web"]))
    assert web.startswith("gunicorn stepwise.wsgi")
    importlib.import_module("stepwise.wsgi")
    for name in ("worker", "beat"):
        words = command_words(COMPOSE["services"][name])
        assert words[:3] == ["celery", "-A", "stepwise"]
        assert importlib.import_module("stepwise.celery").app.main == "stepwise"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "gunicorn" in dockerfile and "stepwise.wsgi" in dockerfile
    assert "collectstatic" in dockerfile
    assert (ROOT / "package-lock.json").exists()


def test_web_processes_use_the_gunicorn_config_with_its_worker_rule(monkeypatch):
    """Compose, the image and the benchmark start gunicorn with gunicorn.conf.py, which gives
    (2 × cores) + 1 workers unless WEB_CONCURRENCY says otherwise."""
    web = " ".join(command_words(COMPOSE["services"]["web"]))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--config gunicorn.conf.py" in web
    assert '"--config", "gunicorn.conf.py"' in dockerfile
    source = (ROOT / "gunicorn.conf.py").read_text()
    cpus = len(os.sched_getaffinity(0))
    for concurrency, expected in (("", min(2 * cpus + 1, 12)), ("3", 3)):
        monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
        namespace: dict = {}
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our file)
        assert namespace["workers"] == expected


def test_beat_schedule_points_at_registered_tasks():
    from django.conf import settings

    from stepwise.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_the_escalation_settings_are_explained():
    """The on-call inbox and the escalation delay (DESIGN section 1 rule 7) are read by the web
    (emergencies are stamped due at once) and by the worker and beat (which send)."""
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in ("CLINIC_ALERT_EMAIL", "ALERT_ESCALATE_HOURS"):
        assert f"\n{variable}=" in example
        assert f"`{variable}" in readme


def test_uploaded_pictures_are_kept_on_a_named_volume_where_the_app_writes_them():
    """Web writes the pictures staff upload and serves them; the worker builds programme PDFs
    with them: both mount the same named volume at MEDIA_ROOT (the example's value), which the
    image creates for its own user so a fresh volume is writable."""
    assert "media" in COMPOSE["volumes"]
    media_root = example_variables()["MEDIA_ROOT"]
    for name in ("web", "worker"):
        assert f"media:{media_root}" in COMPOSE["services"][name]["volumes"], name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"mkdir -p {media_root} && chown stepwise {media_root}" in dockerfile
    assert "\nmedia\n" in (ROOT / ".dockerignore").read_text()
    for variable in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        assert f"# {variable}=" in (ROOT / ".env.example").read_text()
        assert f'"{variable}"' in (ROOT / "stepwise" / "settings.py").read_text()
