from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff account (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code only works with DEBUG on.")
        device = TOTPDevice.objects.filter(user__username="staff", confirmed=True).first()
        if device is None:
            raise CommandError("No demo staff device: run `python manage.py seed_demo` first.")
        value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{value:0{device.digits}d}")
