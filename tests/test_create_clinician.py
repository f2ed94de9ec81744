"""Adding the care team from the command line (`manage.py create_clinician`): an account with no
password and the same set-password e-mail as a patient's enrolment, sent through the outbox."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from recovery import outbox
from recovery.models import AuditEvent, OutboxEmail, OutboxEmailKind, Role, User

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_clinician", *args, stdout=out)
    return out.getvalue()


def test_a_clinician_gets_an_account_without_a_password_and_the_enrolment_link(client):
    said = create("Lee.Park@Clinic.example.org", "--first-name", "Lee", "--last-name", "Park")

    user = User.objects.get(email="Lee.Park@clinic.example.org")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.CLINICIAN, False, False)
    assert not user.has_usable_password()
    assert f"Created clinician {user.username} <{user.email}>" in said
    row = OutboxEmail.objects.get(user=user)
    assert row.kind == OutboxEmailKind.ENROLMENT
    assert AuditEvent.objects.filter(action="care_team_account_create", object_id=str(user.pk))

    assert outbox.outbox_send(row.pk) is True
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "as a clinician" in message.body and user.username in message.body
    link = re.search(r"https?://\S+/accounts/reset/(\S+)/(\S+)/", message.body)
    assert link is not None
    # The link is Django's one-use token: it opens the choose-a-password form.
    response = client.get(link.group(0), follow=True)
    assert response.status_code == 200
    assert b"password" in response.content.lower()
    assert default_token_generator.check_token(user, link.group(2))


def test_staff_accounts_are_staff_and_sign_in_to_the_admin_with_a_second_factor():
    create("kim@clinic.example.org", "--first-name", "Kim", "--staff")
    user = User.objects.get(email="kim@clinic.example.org")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.STAFF, True, False)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["not-an-address", "--first-name", "Lee"], "is not an e-mail address"),
        (["lee@clinic.example.org", "--first-name", "  "], "first name"),
    ],
)
def test_bad_input_is_one_sentence_and_stores_nothing(args, said):
    with pytest.raises(CommandError, match=said):
        create(*args)
    assert not User.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_an_address_in_use_is_refused_in_any_case():
    create("lee@clinic.example.org", "--first-name", "Lee")
    with pytest.raises(CommandError, match="exists already"):
        create("LEE@clinic.example.org", "--first-name", "Lee")
    assert User.objects.count() == 1
    assert OutboxEmail.objects.count() == 1
