"""Create a clinician's (or, with --staff, a staff member's) account from the command line and
e-mail them the link to choose their password: the deployment's way to add the care team."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recovery.errors import DomainError
from recovery.models import Role
from recovery.services import care_team_account_create


class Command(BaseCommand):
    help = (
        "Create a clinician's account and e-mail them a link to choose their password "
        "(--staff: a staff member, who keeps the exercise library with a second factor)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", default="")
        parser.add_argument("--staff", action="store_true", help="a staff account instead")

    def handle(self, *args, email, first_name, last_name, staff, **options):
        role = Role.STAFF if staff else Role.CLINICIAN
        try:
            user = care_team_account_create(
                email=email, first_name=first_name, last_name=last_name, role=role
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Created {Role(role).label.lower()} {user.username} <{user.email}>. The link to "
            f"choose a password is on its way (it works once, for three days); they then sign "
            f"in at {settings.SITE_URL}."
        )
