from django.core.management.base import BaseCommand, CommandError

from plans import reminders


class Command(BaseCommand):
    help = (
        "Run one due-reminder pass now, in this process: the code the beat job runs every 15 "
        "minutes (close finished weeks, claim due plan-weeks, send, retry unsent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Run as if it were this moment, ISO 8601 with a UTC offset, e.g. "
            "2026-12-01T09:00:00+00:00 (default: now).",
        )

    def handle(self, *args, now: str | None = None, **options):
        try:
            moment = reminders.parse_moment(now)
        except ValueError as error:
            raise CommandError(f"--now: {error}") from None
        result = reminders.reminders_due_pass(now=moment)
        self.stdout.write(
            f"Claimed {result.claimed} reminders, sent {result.sent} "
            f"(batches {result.batches}, closed {result.closed}, deferred {result.deferred}, "
            f"failed {result.failed}, withdrawn {result.withdrawn})."
        )
