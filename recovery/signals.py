"""Audit receivers for authentication events (login, failed login, logout)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from recovery.audit import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit("login", actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The username is recorded to spot attacks on one account; the password never is.
    audit(
        "login_failed",
        request=request,
        outcome="denied",
        username=credentials.get("username", "")[:150],
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit("logout", actor=user, request=request)


@receiver(user_locked_out)
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    audit("lockout", request=request, outcome="denied", username=(username or "")[:150])
