"""Staff and superusers need a TOTP code on top of their password to reach /admin/."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.outbox import outbox_send_due
from tests.support import sign_in


def code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def test_password_alone_does_not_open_the_admin(client, dee):
    sign_in(client, "dee")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/")
    assert b"Set up your authenticator app" in response.content


@pytest.mark.parametrize("who", ["dee", "root"])
def test_enrol_then_code_opens_the_admin(client, dee, root, who):
    sign_in(client, who)
    page = client.get("/accounts/two-factor/?next=/admin/")
    assert b"Set up your authenticator app" in page.content
    device = TOTPDevice.objects.get(user__username=who, confirmed=False)
    response = client.post("/accounts/two-factor/", {"token": code(device), "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_a_code_works_once(client, dee):
    device = TOTPDevice.objects.create(user=dee, name="phone", confirmed=True)
    sign_in(client, "dee")
    first = code(device)
    assert client.post("/accounts/two-factor/", {"token": first}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, "dee")
    replay = client.post("/accounts/two-factor/", {"token": first})
    assert replay.status_code == 200
    assert b"That code did not work" in replay.content
    assert client.get("/admin/").status_code == 302


def test_wrong_code_is_refused_and_audited(client, dee):
    from recovery.models import AuditEvent

    TOTPDevice.objects.create(user=dee, name="phone", confirmed=True)
    sign_in(client, "dee")
    response = client.post("/accounts/two-factor/", {"token": "000000"})
    assert b"That code did not work" in response.content
    assert AuditEvent.objects.filter(action="two_factor_failed", actor=dee).exists()


def test_patients_and_clinicians_have_no_second_factor_page(client, ana):
    sign_in(client, "ana")
    assert client.get("/accounts/two-factor/").status_code == 403


def test_password_reset_does_not_skip_the_second_factor(client, dee, mailoutbox):
    TOTPDevice.objects.create(user=dee, name="phone", confirmed=True)
    client.post("/accounts/password_reset/", {"email": dee.email})
    outbox_send_due()  # the reset e-mail waits in the outbox until a worker or the pass sends it
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line).strip()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    new = "an-entirely-new-passphrase-42"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    sign_in(client, "dee", new)
    assert client.get("/admin/").status_code == 302
