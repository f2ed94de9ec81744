from django.core.management.base import BaseCommand

from plans.services import pictures_sweep


class Command(BaseCommand):
    help = (
        "Delete exercise picture files that no picture names (left by a rolled-back upload) "
        "and that are more than an hour old. Safe to run at any time, and again."
    )

    def handle(self, *args, **options):
        deleted = pictures_sweep()
        self.stdout.write(f"{len(deleted)} unreferenced picture file(s) deleted.")
