"""Request middleware: hostile input refused, automatic log-off, no caching of pages with
health data, and a signed-in person's own language."""

from __future__ import annotations

import time
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, resolve_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers

SEEN_KEY = "stepwise_seen"
LOGIN_KEY = "stepwise_login"
# Refresh "last seen" at most once a minute so an ordinary page view does not write the session.
SEEN_RESOLUTION = 60


# Every page and form of the site speaks UTF-8; a body declared in another charset is not ours.
CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _refusal(raw: str | bytes, *, nul: bool = True) -> str:
    """Why URL-encoded `raw` is refused ("" if not): not UTF-8 once decoded, or (`nul`) a NUL
    in it."""
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")  # WSGI hands the raw bytes over as latin-1
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    if nul and b"\x00" in data:
        return "a NUL byte"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes that are not UTF-8"
    return ""


class HostileInputMiddleware:
    """Answer 400, before anything reads the request, when its text cannot be what a browser on
    this site sends: a body in a charset other than UTF-8, invalid UTF-8 in the path, the query
    string or a form body, a NUL byte in the path or query string, or a malformed multipart body.

    Django decodes a declared charset it does not know (or UTF-16, which a urlencoded body never
    is) only when a view first reads request.POST, and raises there: a 500. PostgreSQL refuses a
    NUL in any text value: an admin list filter or search with one was a 500 too. A NUL in a form
    field is left to the form, whose fields refuse it with a message beside the field (text pasted
    into a notes box keeps the rest of what the patient typed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reason = self.refusal(request)
        if reason:
            raise BadRequest(f"Refused: {reason}.")
        return self.get_response(request)

    @staticmethod
    def refusal(request) -> str:
        if "\x00" in request.path_info:
            return "a NUL byte in the path"
        reason = _refusal(request.META.get("QUERY_STRING", ""))
        if reason:
            return f"{reason} in the query string"
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return ""
        charset = request.content_params.get("charset")
        if charset is not None and charset.strip().lower() not in CHARSETS:
            return "a body that is not UTF-8"
        if request.content_type == FORM:
            reason = _refusal(request.body, nul=False)
            return f"{reason} in the form" if reason else ""
        if request.content_type == MULTIPART:
            try:
                request.POST  # noqa: B018 (parsed here, where a failure can still be a 400)
            except MultiPartParserError:
                return "a malformed multipart body"
        return ""


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


class AccountLanguageMiddleware:
    """Speak a signed-in person's own language (DESIGN section 10): the one stored on their
    account, whatever the browser asks for. Signed-out pages keep what Django's LocaleMiddleware
    chose (the language cookie set by the visible switch, else the browser's Accept-Language).

    After AuthenticationMiddleware; reads the user the view loads anyway (no query of its own for
    a signed-in request, none at all for a signed-out one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and user.is_authenticated and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
