"""Whole pages kept per viewer, served again until what they show changes.

A page is stored under the viewer, the revision of the data it shows and the code that drew it:

- `User.page_revision` rises in the database, in the same transaction as any change to what a
  user's pages show (plans migrations 0003 and 0004): a patient's records raise the
  patient's. A page about several people passes its own `revision`: the clinician's triage, the
  clinician's own number and the sum of their patients' (`plans.triage.panel_revision`).
  A request reads it before anything else (the auth middleware loads the user), so a page drawn
  afterwards is never older than the number it is stored under.
- Every clock reading on the way is bounded: `PatientProfile.local_date` and the `ago` filter
  report when their answer changes (`until`), and the page expires then (next local midnight,
  "5 minutes ago" becoming "6 minutes ago").
- The CSRF token is per session, so pages are drawn with a placeholder that each response
  replaces with this request's token. A request with flash messages waiting is never cached or
  served from the cache (the messages would be kept, or lost).

Only GET pages of signed-in users, without a query string, that answer 200 are stored. The cache
is the shared cache (Redis in production); if it fails, pages are drawn as if nothing were
cached.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

log = logging.getLogger(__name__)

# An upper bound whatever the data: a restored database or a missed clock reading heals by then.
MAX_AGE_SECONDS = 10 * 60

_RENDERING = "_stepwise_page_cache_render"
_expiry: ContextVar[list[float] | None] = ContextVar("stepwise_page_expiry", default=None)


def _code_version() -> str:
    """A digest of what draws pages besides the data: templates, Python code, the settings pages
    show, and the static files' manifest (pages link hashed file names). A deploy starts afresh."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    manifest = Path(settings.STATIC_ROOT or root / "staticfiles") / "staticfiles.json"
    sources = [manifest] if manifest.is_file() else []
    for folder in ("templates", "plans", "recovery"):
        sources += [p for p in sorted((root / folder).rglob("*")) if p.suffix in (".html", ".py")]
    for path in sources:
        if path.is_file():
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    for name in ("CLINIC_NAME", "CLINIC_PHONE", "CLINIC_TIME_ZONE", "STATIC_URL", "TIME_ZONE"):
        digest.update(f"{name}={getattr(settings, name, '')}".encode())
    return digest.hexdigest()[:12]


CODE_VERSION = _code_version()
# Not guessable, so text a user typed can never be turned into someone's CSRF token.
CSRF_PLACEHOLDER = hmac.new(
    settings.SECRET_KEY.encode(), b"stepwise-page-cache-csrf", hashlib.sha256
).hexdigest()


def until(moment: datetime | float) -> None:
    """What is being drawn stays true only until `moment` (no-op outside a cached page)."""
    bound = _expiry.get()
    if bound is not None:
        bound[0] = min(bound[0], moment if isinstance(moment, float) else moment.timestamp())


def until_next_day(moment: datetime) -> None:
    """A calendar date was read at `moment` (aware, in the zone whose date it is)."""
    if _expiry.get() is not None:
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time())
        until(midnight.replace(tzinfo=moment.tzinfo))


def csrf_placeholder(request: HttpRequest) -> dict:
    """Context processor: while a page is drawn for the cache, its forms get the placeholder."""
    if getattr(request, _RENDERING, False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def _viewer(user) -> str:
    """Who the page is for, including what the navigation shows of them."""
    shown = f"{user.first_name}\x1f{user.username}\x1f{user.role}".encode()
    return f"{user.pk}.{hashlib.sha256(shown).hexdigest()[:8]}"


def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    return response


def serve(
    request: HttpRequest,
    name: str,
    draw: Callable[[], HttpResponse],
    *,
    revision: int | str | None = None,
    subject: object = "",
) -> HttpResponse:
    """Answer from the cache when this viewer's page for this revision is still current.

    `revision` defaults to the viewer's own `page_revision`; a page about someone else (a
    clinician's view of one patient) passes that person's, with `subject` naming them.
    """
    user = request.user
    if (
        not settings.PAGE_CACHE
        or request.method != "GET"
        or request.GET  # any query string would be a new key: Redis must not fill with them
        or not user.is_authenticated
        or _has_messages(request)
    ):
        return draw()
    if revision is None:
        revision = user.page_revision
    where = hashlib.sha256(request.path.encode()).hexdigest()[:16]
    key = f"page:{CODE_VERSION}:{name}:{_viewer(user)}:{subject}:{where}:{revision}"
    now = time.time()
    try:
        entry = cache.get(key)
    except Exception:  # the cache is an optimisation: a broken one must not break the page
        log.warning("page cache unavailable (get)", exc_info=True)
        return _finish(request, draw())
    if entry is not None and entry[0] > now:
        return _finish(request, HttpResponse(entry[1]))

    bound = [now + MAX_AGE_SECONDS]
    token = _expiry.set(bound)
    setattr(request, _RENDERING, True)
    try:
        response = draw()
    finally:
        setattr(request, _RENDERING, False)
        _expiry.reset(token)
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and bound[0] > now
    ):
        try:
            cache.set(key, (bound[0], response.content), timeout=int(bound[0] - now) + 1)
        except Exception:
            log.warning("page cache unavailable (set)", exc_info=True)
    return _finish(request, response)


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0
