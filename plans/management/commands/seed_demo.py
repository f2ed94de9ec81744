from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plans.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Create the demo clinic (accounts patient, clinician, staff). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with a published password).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password; it refuses to run with "
                "DEBUG off. Use --force if you really mean it."
            )
        for note in seed():
            self.stdout.write(f"  {note}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Sign in as patient, clinician or staff with password {DEMO_PASSWORD}."
            )
        )
