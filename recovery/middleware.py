"""Request middleware: automatic log-off and no caching of pages with health data."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.cache import add_never_cache_headers

SEEN_KEY = "stepwise_seen"
LOGIN_KEY = "stepwise_login"
# Refresh "last seen" at most once a minute so an ordinary page view does not write the session.
SEEN_RESOLUTION = 60


def idle_limit(user) -> int:
    role = "staff" if user.is_staff or user.is_superuser else getattr(user, "role", "patient")
    return settings.SESSION_IDLE_SECONDS.get(role, min(settings.SESSION_IDLE_SECONDS.values()))


class SessionTimeoutMiddleware:
    """Log a user off after the idle limit of their role, and after the absolute cap.

    Clinicians and staff: 15 idle minutes; patients: 30; everyone: 12 hours after login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            seen = session.get(SEEN_KEY)
            logged_in = session.get(LOGIN_KEY)
            if seen is None or logged_in is None:
                session[SEEN_KEY] = session[LOGIN_KEY] = now
            elif (
                now - seen > idle_limit(user) or now - logged_in > settings.SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?timeout=1")
            elif now - seen >= SEEN_RESOLUTION:
                if hasattr(session, "touch"):  # recovery.sessions: Redis only, see there
                    session.touch(SEEN_KEY, now)
                else:
                    session[SEEN_KEY] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for a signed-in user may hold health data: browsers and proxies must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
        ):
            add_never_cache_headers(response)
        return response
