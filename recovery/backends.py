"""The sign-in backend: Django's ModelBackend with an account-wide throttle on top of
django-axes' per-username-and-address lockout.

Account-wide throttle (SECURITY.md, "Sign-in throttling"): django-axes locks one username from
one address after 5 failures, so an attacker with many addresses could go on guessing one
patient's password. Here every failure for a username, from any address, is also counted; after
`ACCOUNT_THROTTLE_FAILURES` within `ACCOUNT_THROTTLE_WINDOW` that username is paused: every
attempt from a new address is refused before its password is checked ("try again in N minutes"),
the right password included. The pause ends by itself (15 minutes, doubling for each further
pause within a day, at most `ACCOUNT_THROTTLE_PAUSE_MAX`), and attempts refused during a pause
are not counted, so no one can lock a patient out for good. An address the account has signed in
from before (django-axes' access log, last 90 days) is not paused: the patient at home keeps
signing in while someone elsewhere guesses; that address still has axes' own lockout.

Unknown usernames are counted and paused exactly like real ones, so the pause tells nobody
whether an account exists. Counters live in the shared cache (Redis); when it is unavailable the
same decision is taken from axes' failure records in the database.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.utils import timezone

from infra.addresses import client_ip
from infra.ratelimit import count_up

log = logging.getLogger(__name__)

KNOWN_ADDRESS_DAYS = 90
PAUSE_HISTORY = 24 * 60 * 60  # pauses within this many seconds make the next one longer

THROTTLED_PAGE = """{% extends "base.html" %}
{% block title %}Too many attempts{% endblock %}
{% block content %}
<h1 class="h3">Too many sign-in attempts for this account</h1>
<p>Too many attempts for this account, try again in {{ minutes }} minute{{ minutes|pluralize }}.
Sign-in for it is paused for a while because of many wrong passwords from several places.</p>
<p>If you have forgotten your password, you can <a href="{% url 'password_reset' %}">reset
your password</a>.</p>
{% endblock %}
"""


def _seconds(value) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


def _config() -> tuple[int, int, int, int]:
    return (
        settings.ACCOUNT_THROTTLE_FAILURES,
        _seconds(settings.ACCOUNT_THROTTLE_WINDOW),
        _seconds(settings.ACCOUNT_THROTTLE_PAUSE),
        _seconds(settings.ACCOUNT_THROTTLE_PAUSE_MAX),
    )


def _key(kind: str, username: str) -> str:
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    return f"account-throttle:{kind}:{digest}"


def _paused_in_database(username: str) -> int:
    """Seconds left of a pause, judged from django-axes' failure records (the cache is down).

    Axes keeps one row per username, address and browser with the failures since its first;
    rows whose last failure is older than its cool-off are removed by axes itself.
    """
    from axes.models import AccessAttempt

    limit, window, pause, _ = _config()
    now = timezone.now()
    recent = AccessAttempt.objects.filter(
        username__iexact=username, attempt_time__gte=now - timedelta(seconds=window)
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (recent["failures"] or 0) < limit:
        return 0
    return max(0, math.ceil((recent["last"] + timedelta(seconds=pause) - now).total_seconds()))


def seconds_paused(username: str) -> int:
    """Seconds until `username` may try again from an unknown address (0: not paused)."""
    try:
        until = cache.get(_key("pause", username))
    except Exception:
        log.warning("account throttle read from the database: the cache is unavailable")
        return _paused_in_database(username)
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def record_failure(username: str) -> None:
    """Count one failed sign-in for `username`; pause it once the failures reach the limit."""
    limit, window, pause, pause_max = _config()
    try:
        if count_up(_key("failures", username), window) < limit:
            return
        pauses = count_up(_key("pauses", username), PAUSE_HISTORY)
        length = min(pause * 2 ** min(pauses - 1, 16), pause_max)
        cache.set(_key("pause", username), time.time() + length, timeout=length)
        cache.delete(_key("failures", username))
    except Exception:
        # axes' records in the database still count this failure (see _paused_in_database).
        log.warning("account throttle not counted: the cache is unavailable")


def unlock(username: str) -> None:
    """Lift every sign-in lock on `username`: django-axes' lockouts and the account-wide
    failures and pause (seed_demo --reset gives the demo accounts back this way)."""
    from axes.utils import reset

    reset(username=username)
    cache.delete_many([_key(kind, username) for kind in ("failures", "pauses", "pause")])


def known_address(username: str, ip: str | None) -> bool:
    """Whether this account signed in from this address recently (django-axes' access log)."""
    if not ip:
        return False
    from axes.models import AccessLog

    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=ip, attempt_time__gte=since
    ).exists()


class ModelBackend(backends.ModelBackend):
    """Django's, with the account-wide throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or not username or password is None:
            return super().authenticate(request, username, password, **kwargs)
        wait = seconds_paused(username)
        if wait and not known_address(username, _address(request)):
            # django-axes' middleware turns this flag into the lockout page (lockout_response
            # below), and does not count the refused attempt: a pause cannot extend itself.
            request.axes_locked_out = True
            request.account_throttle_seconds = wait
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            record_failure(username)
        return user


def _address(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), or the account-wide pause page."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    wait = getattr(request, "account_throttle_seconds", None)
    if not wait:
        return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=status)
    minutes = max(1, math.ceil(wait / 60))
    body = engines["django"].from_string(THROTTLED_PAGE).render({"minutes": minutes}, request)
    response = HttpResponse(body, status=status)
    response["Retry-After"] = str(wait)
    return response
