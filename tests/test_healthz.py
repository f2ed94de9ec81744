from unittest import mock

import pytest

from stepwise.celery import app


def test_healthz_ok_with_database(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker configured, whatever the environment says
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not configured"}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_503_when_database_is_down(client, db):
    with mock.patch("recovery.views.connection.cursor", side_effect=OSError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_reports_a_dead_broker(client, db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.mark.redis
def test_healthz_reports_a_live_broker(client, db, settings, monkeypatch, redis_url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "broker_url", redis_url)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"
