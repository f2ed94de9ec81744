"""Fixed-window rate limits kept in the shared cache (Redis in production), so every web process
counts together. Limits are documented in SECURITY.md.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from infra.addresses import client_ip

log = logging.getLogger(__name__)


def by_ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def by_user(request: HttpRequest) -> str:
    return f"user:{request.user.pk}" if request.user.is_authenticated else f"ip:{by_ip(request)}"


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request; True while the caller is within `limit` per `window` seconds."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    name = f"rl:{scope}:{digest}:{bucket}"
    try:
        count = count_up(name, window + 5)
    except Exception:
        # Open, not closed: with Redis down a patient can still log a session; the limits
        # guard against abuse, not against a single request.
        log.warning("rate limit %s not counted: the cache is unavailable", scope, exc_info=True)
        return True
    return count <= limit


def count_up(key: str, timeout: int) -> int:
    """Add one to a counter that lives `timeout` seconds from its first count; the new value.
    Counting is the common case, so it goes first; the first count of a window creates the key
    (`add`, so that of two first counts at once one counts again)."""
    try:
        return cache.incr(key)
    except ValueError:  # no such key yet
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)


def rate_limit(
    scope: str,
    *,
    limit: int,
    window: int,
    key: Callable[[HttpRequest], str] = by_ip,
    methods=("POST",),
):
    """Answer 429 (with a calm page) once a key exceeds `limit` requests per `window` seconds."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method in methods and not hit(
                scope, key(request), limit=limit, window=window
            ):
                body = render_to_string(
                    "429.html", {"window_minutes": max(1, window // 60)}, request
                )
                response = HttpResponse(body, status=429)
                response["Retry-After"] = str(window)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RateLimitedExportMixin:
    """Admin exports (import-export): 10 per user per hour; bulk copies of data are rare work."""

    export_limit = 10
    export_window = 60 * 60

    def export_action(self, request):
        if request.method == "POST" and not hit(
            "export", by_user(request), limit=self.export_limit, window=self.export_window
        ):
            body = render_to_string(
                "429.html", {"window_minutes": self.export_window // 60}, request
            )
            response = HttpResponse(body, status=429)
            response["Retry-After"] = str(self.export_window)
            return response
        return super().export_action(request)
