"""Docker does not run here: check the compose file parses and its commands point at real things."""

from __future__ import annotations

import importlib
import os
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_words(service: dict) -> list[str]:
    command = service.get("command", [])
    return command if isinstance(command, list) else shlex.split(command)


def test_the_topology_is_complete():
    assert set(COMPOSE["services"]) == {"db", "redis", "web", "worker", "beat", "mail"}
    for name in ("web", "worker", "beat"):
        environment = COMPOSE["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert environment["EMAIL_HOST"] == "mail"


def test_exactly_one_beat():
    beat = COMPOSE["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    beats = [n for n, s in COMPOSE["services"].items() if "beat" in command_words(s)]
    assert beats == ["beat"]


def test_commands_refer_to_modules_that_exist():
    web = " ".join(command_words(COMPOSE["services"]["web"]))
    assert "manage.py migrate" in web and "gunicorn stepwise.wsgi" in web
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


def test_the_escalation_settings_reach_every_app_process():
    """The on-call inbox and the escalation delay (DESIGN section 1 rule 7) are read by the web
    (emergencies are stamped due at once) and by the worker and beat (which send)."""
    for name in ("web", "worker", "beat"):
        environment = COMPOSE["services"][name]["environment"]
        assert environment["CLINIC_ALERT_EMAIL"].startswith("${CLINIC_ALERT_EMAIL")
        assert environment["ALERT_ESCALATE_HOURS"].startswith("${ALERT_ESCALATE_HOURS")
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in ("CLINIC_ALERT_EMAIL", "ALERT_ESCALATE_HOURS"):
        assert f"\n{variable}=" in example
        assert f"`{variable}" in readme
