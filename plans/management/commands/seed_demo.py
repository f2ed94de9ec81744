import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from plans.demo import DEMO_PASSWORD, seed
from recovery.backends import unlock

IN_MEMORY = "django.core.mail.backends.locmem.EmailBackend"


class Command(BaseCommand):
    help = (
        "Create the demo clinic and print its sign-ins. Safe to run again: what exists is left "
        "as it is. --reset empties the database first, so the demo is as new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with a published password).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Delete every row in the database (not only the demo's), seed the demo again "
                "and lift the demo accounts' sign-in lockouts. DEBUG only."
            ),
        )

    def handle(self, *args, force: bool = False, reset: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password; it refuses to run with "
                "DEBUG off. Use --force if you really mean it."
            )
        if reset and not settings.DEBUG:
            raise CommandError("seed_demo --reset empties the whole database; DEBUG only.")
        # The demo's alerts are e-mailed as they are logged; the console backend would print each
        # message in the middle of `make run`. They go to memory instead, and are marked sent.
        # The INFO lines (each demo patient's enrolment e-mail skipped, as the demo sets their
        # password) are the demo's own doing, not news.
        logging.disable(logging.INFO)
        try:
            with override_settings(EMAIL_BACKEND=IN_MEMORY), transaction.atomic():
                if reset:
                    # Deleting just the demo's rows is not possible: the clearance trail is
                    # append-only (PostgreSQL refuses). So every table is emptied.
                    call_command("flush", interactive=False, verbosity=0)
                accounts = seed()
        finally:
            logging.disable(logging.NOTSET)
        if reset:
            # In the shared cache (Redis); without one, a pause lives in the server's memory and
            # ends when `make run` starts it again.
            for account in accounts:
                unlock(account.username)
        if options["verbosity"] == 0:
            return
        width = max(len(account.username) for account in accounts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Open {settings.SITE_URL}/ and sign in with password "
                f"{DEMO_PASSWORD} as:"
            )
        )
        for account in accounts:
            self.stdout.write(f"  {account.username:<{width}}  {account.name}, {account.shows}")
