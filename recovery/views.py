"""Role routing, health check and error pages."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from recovery.models import Language, Role
from recovery.services import account_language_set

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_staff or user.is_superuser or user.role == Role.STAFF:
        return redirect("admin:index")
    if user.role == Role.CLINICIAN:
        return redirect("clinic:triage")
    return redirect("me:dashboard")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not reachable" to an orchestrator
        logger.warning("healthz: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool | None:
    """None when tasks run in process (no broker configured)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except Exception:
        logger.warning("healthz: broker unreachable", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_ok()
    broker = _broker_ok()
    healthy = database and broker is not False
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if database else "down",
        "broker": {None: "not configured", True: "ok", False: "down"}[broker],
    }
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without context processors or user data, so a 500 shows even when the database is
    # down, and says nothing about what failed.
    body = get_template("500.html").render({})
    return HttpResponse(body, status=500, content_type="text/html; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The visible language switch (footer of every page): a signed-in person's choice is kept
    on their account (their e-mails follow it), a signed-out visitor's in a cookie. Back to the
    page it was pressed on, when that page is this site's."""
    language = request.POST.get("language", "")
    if language not in Language.values:
        return HttpResponseBadRequest("Unknown language.")
    if request.user.is_authenticated:
        account_language_set(user=request.user, language=language)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = redirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
