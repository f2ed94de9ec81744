"""Device tokens for a phone app (DESIGN section 11): made on the settings page and shown once,
stored as a SHA-256 digest only, refused once expired, disconnected or its account disabled,
and every step written to the audit log. Token requests need no CSRF token; requests signed in
by the browser session keep needing one."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import DeviceToken
from api.tokens import REFUSALS_AUDITED_PER_HOUR, TOKENS_MAX, device_token_create
from plans import services as plan_services
from plans.models import SessionLog
from recovery.models import AuditEvent
from tests.support import signed_in, text

pytestmark = pytest.mark.django_db

WEEK = "/api/v1/me/week/"
SESSIONS = "/api/v1/me/sessions/"


def bearer(raw: str, **kwargs) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs)


def _made(response) -> str:
    found = re.search(r'<code id="device-token"[^>]*>([^<]+)</code>', response.content.decode())
    assert found, "the page shows the new token"
    return found[1]


def test_a_patient_connects_a_phone_and_sees_its_token_once(ben_plan):
    browser = signed_in(ben_plan.patient)
    response = browser.post(reverse("devices:new"), {"name": "  Ben's   phone "})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    raw = _made(response)
    assert raw.startswith("sw_") and len(raw) == 46

    token = DeviceToken.objects.get()
    assert token.name == "Ben's phone"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert token.expires_at - token.created_at == timedelta(days=90)
    # The token itself is stored nowhere: not in the row, not in the audit log.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_devicetoken")
        assert raw not in repr(cursor.fetchall())
    assert raw not in repr(list(AuditEvent.objects.values_list()))
    event = AuditEvent.objects.get(action="api_token_create")
    assert (event.actor, event.patient, event.object_id) == (
        ben_plan.patient.user,
        ben_plan.patient,
        str(token.pk),
    )

    # The settings page lists the device by name, never its token.
    page = browser.get(reverse("me:settings"))
    assert "Ben's phone" in text(page) and raw not in page.content.decode()
    assert "Disconnect Ben's phone" in text(page)

    # The token works, with no session and no CSRF token, and records when it was used.
    phone = bearer(raw, enforce_csrf_checks=True)
    assert phone.get(WEEK).json()["plan"]["id"] == ben_plan.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_device_needs_a_name_and_nothing_is_stored_without_one(ben_plan):
    browser = signed_in(ben_plan.patient)
    for name, message in [
        ("", "Give the device a name, for example “My phone”."),
        ("   ", "Give the device a name, for example “My phone”."),
        ("x" * 61, "Keep the device's name to 60 characters (it has 61)."),
    ]:
        response = browser.post(reverse("devices:new"), {"name": name})
        assert response.status_code == 400
        assert message in text(response)
    assert not DeviceToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token_create").exists()


def test_at_most_ten_devices_at_once(ben_plan):
    user = ben_plan.patient.user
    for n in range(TOKENS_MAX):
        device_token_create(user=user, name=f"Phone {n}")
    response = signed_in(ben_plan.patient).post(reverse("devices:new"), {"name": "One more"})
    assert response.status_code == 400
    assert "You have 10 devices connected already" in text(response)
    assert DeviceToken.objects.count() == TOKENS_MAX


def test_disconnecting_a_device_stops_its_token_at_once(ben_plan, ana_plan):
    token, raw = device_token_create(user=ben_plan.patient.user, name="Old phone")
    assert bearer(raw).get(WEEK).status_code == 200

    # Ana cannot disconnect Ben's phone: it is not hers (404), and it keeps working.
    response = signed_in(ana_plan.patient, raise_request_exception=False).post(
        reverse("devices:revoke", args=[token.pk])
    )
    assert response.status_code == 404
    assert bearer(raw).get(WEEK).status_code == 200

    response = signed_in(ben_plan.patient).post(reverse("devices:revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"] == "/me/settings/#devices"
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = bearer(raw).get(WEEK)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    revoked = AuditEvent.objects.filter(action="api_token_revoke", object_id=str(token.pk))
    assert revoked.count() == 1
    event = AuditEvent.objects.get(action="api_token_refused")
    assert (event.outcome, event.detail, event.actor) == (
        "refused",
        {"reason": "revoked"},
        ben_plan.patient.user,
    )
    # The settings page no longer lists it.
    assert "Old phone" not in text(signed_in(ben_plan.patient).get(reverse("me:settings")))


@pytest.mark.parametrize(
    "spoil, reason",
    [
        ("expired", "expired"),
        ("disabled", "account"),
        ("unknown", "unknown"),
    ],
)
def test_a_token_is_refused_and_audited_when(spoil, reason, ben_plan):
    token, raw = device_token_create(user=ben_plan.patient.user, name="Phone")
    if spoil == "expired":
        past = timezone.now() - timedelta(days=91)
        DeviceToken.objects.filter(pk=token.pk).update(
            created_at=past, expires_at=past + timedelta(days=90)
        )
    elif spoil == "disabled":
        ben_plan.patient.user.is_active = False
        ben_plan.patient.user.save(update_fields=["is_active"])
    else:
        raw = "sw_" + raw[3:][::-1]
    response = bearer(raw).get(WEEK)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "This device token is not valid: it may have expired or been disconnected."
    }
    event = AuditEvent.objects.get(action="api_token_refused")
    assert event.detail == {"reason": reason}
    assert raw not in repr(event.detail)


def test_refused_tokens_from_one_address_fill_no_audit_log(ben_plan):
    """Every unknown token is refused; only the first REFUSALS_AUDITED_PER_HOUR from one address
    in an hour are audited, so an anonymous caller cannot grow the audit log without end."""
    client = bearer("sw_" + "x" * 43)
    for _ in range(REFUSALS_AUDITED_PER_HOUR + 5):
        assert client.get(WEEK).status_code == 401
    refused = AuditEvent.objects.filter(action="api_token_refused")
    assert refused.count() == REFUSALS_AUDITED_PER_HOUR
    assert {event.ip for event in refused} == {"127.0.0.1"}


def test_only_patients_connect_devices(dr_cho, ben_plan):
    response = signed_in(dr_cho, raise_request_exception=False).post(
        reverse("devices:new"), {"name": "Clinic phone"}
    )
    assert response.status_code == 403
    assert not DeviceToken.objects.exists()


def _log(plan) -> dict:
    return {
        "date": plan_services.patient_today(plan.patient).isoformat(),
        "activity": "walking",
        "minutes": 12,
        "pain_before": 1,
        "pain": 2,
        "pain_duration": "within_2h",
        "no_red_flags": True,
        "submission_token": str(uuid.uuid4()),
    }


def test_a_session_signed_write_needs_its_csrf_token_and_a_token_write_does_not(ben_plan):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ben_plan.patient.user, backend="recovery.backends.ModelBackend")
    body = json.dumps(_log(ben_plan))
    refused = browser.post(SESSIONS, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not SessionLog.objects.filter(plan=ben_plan).exists()

    # With the cookie's token in the header, as a page's script sends it: saved.
    browser.get(reverse("me:settings"))  # sets the CSRF cookie
    cookie = next(c for name, c in browser.cookies.items() if "csrftoken" in name)
    saved = browser.post(
        SESSIONS, body, content_type="application/json", HTTP_X_CSRFTOKEN=cookie.value
    )
    assert saved.status_code == 201

    # A device token carries no cookie: no CSRF token is asked for.
    _, raw = device_token_create(user=ben_plan.patient.user, name="Phone")
    phone = bearer(raw, enforce_csrf_checks=True)
    again = phone.post(
        SESSIONS, json.dumps({**_log(ben_plan), "minutes": 14}), content_type="application/json"
    )
    assert again.status_code == 201
    assert SessionLog.objects.filter(plan=ben_plan).count() == 2


def test_the_settings_form_for_devices_keeps_csrf(ben_plan):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ben_plan.patient.user, backend="recovery.backends.ModelBackend")
    response = browser.post(reverse("devices:new"), {"name": "Phone"})
    assert response.status_code == 403
    assert not DeviceToken.objects.exists()


def test_making_tokens_is_rate_limited(ben_plan):
    cache.clear()
    browser = signed_in(ben_plan.patient)
    answers = [browser.post(reverse("devices:new"), {"name": ""}).status_code for _ in range(11)]
    assert answers == [400] * 10 + [429]
