"""Rough edges of issue 17 in the shared pages: sign-in, setting a password, the footer, the
navigation and the alert e-mail's subject. Each test failed before its fix."""

from __future__ import annotations

import re

from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from recovery.models import AuditEvent, User
from tests.conftest import PASSWORD

PATIENT_FOOTER = "Questions about your recovery?"


def test_the_sign_in_label_says_e_mail_and_takes_it_in_any_case(client, ana):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r"<label[^>]*>\s*E-mail or username", page)
    response = client.post(
        "/accounts/login/", {"username": "ANA@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").url == "/me/"
    assert AuditEvent.objects.get(action="login").actor == ana.user


def test_a_wrong_password_with_the_e_mail_is_refused_with_the_one_message(client, ana):
    response = client.post("/accounts/login/", {"username": "ana@example.org", "password": "x"})
    assert response.status_code == 200
    assert "That e-mail or username and password did not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_choosing_a_password_signs_the_patient_in(ana):
    user = User.objects.get(pk=ana.user.pk)
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    form_url = client.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/")[
        "Location"
    ]
    new = "a-brand-new-passphrase-77"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == "/accounts/reset/done/"
    done = client.get("/accounts/reset/done/").content.decode()
    assert "You are signed in" in done
    assert client.get("/me/").status_code == 200
    # The link is spent (its token was made for the old password): it signs no one in again.
    stranger = Client()
    again = stranger.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/")
    assert "This link has expired or was already used" in again.content.decode()
    assert stranger.get("/me/").status_code == 302


def test_the_patients_footer_is_only_on_pages_a_patient_sees(client, ana, dr_cho, dee):
    assert PATIENT_FOOTER in client.get("/accounts/login/").content.decode()
    client.force_login(ana.user)
    assert PATIENT_FOOTER in client.get("/me/").content.decode()
    client.force_login(dr_cho)
    clinic = client.get("/clinic/").content.decode()
    assert clinic.count("<footer") == 1 and PATIENT_FOOTER not in clinic
    client.force_login(dee)
    two_factor = client.get("/accounts/two-factor/")
    assert two_factor.status_code == 200
    assert PATIENT_FOOTER not in two_factor.content.decode()


def test_the_navigation_marks_the_current_page(client, ana, dr_cho):
    client.force_login(ana.user)
    page = client.get("/me/sessions/").content.decode()
    current = re.findall(r'<a class="nav-link active" href="([^"]+)" aria-current="page">', page)
    assert current == ["/me/sessions/"]
    client.force_login(dr_cho)
    page = client.get("/clinic/").content.decode()
    assert re.findall(r'href="([^"]+)" aria-current="page"', page) == ["/clinic/"]


def test_the_alert_subject_starts_with_a_capital():
    for urgent in (False, True):
        subject = render_to_string("emails/alert.subject.txt", {"urgent": urgent}).strip()
        assert subject[0].isupper(), subject
        assert subject.split(": ")[-1][0].isupper() or urgent
