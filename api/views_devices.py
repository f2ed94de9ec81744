"""The patient's devices on the settings page: connect a phone app with a token (shown once),
see which devices are connected and disconnect one. Pages, not API endpoints: a token is made by
someone signed in with their password, never by another token.

`/me/settings/` shows `devices_section` through settings.PATIENT_SETTINGS_SECTIONS (plans does
not import api); its forms post here, and every change goes through api/tokens.py (audited).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import DeviceForm
from api.tokens import TOKEN_DAYS, device_token_create, device_token_revoke, live_tokens
from infra.ratelimit import by_user, rate_limit
from recovery.access import patient_required
from recovery.errors import DomainError


def devices_section(request: HttpRequest, patient) -> str:
    """The settings page's "Devices" section: connected devices and the form to add one.
    1 query."""
    return render_to_string(
        "api/devices_section.html",
        {
            "tokens": list(live_tokens(request.user)),
            "device_form": DeviceForm(),
            "days": TOKEN_DAYS,
        },
        request=request,
    )


def _settings_devices() -> str:
    return f"{reverse('me:settings')}#devices"


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("device_token", limit=10, window=60 * 60, key=by_user)
def device_new(request: HttpRequest) -> HttpResponse:
    """Connect a device: its token is on the answer to this POST, and nowhere else, ever."""
    form = DeviceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = device_token_create(
                user=request.user, name=form.cleaned_data["name"], request=request
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            response = render(
                request,
                "api/device_created.html",
                {"token": token, "raw": raw, "back": _settings_devices()},
                status=201,
            )
            # The token is on this page only: never kept by a cache or the back button.
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "api/device_new.html",
        {"form": form, "days": TOKEN_DAYS, "back": _settings_devices()},
        status=400 if form.is_bound else 200,
    )


@patient_required
@require_POST
def device_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = device_token_revoke(user=request.user, token_id=token_id, request=request)
    except DomainError:
        raise Http404("No such device.") from None
    messages.success(
        request, _("%(name)s is disconnected: its token no longer works.") % {"name": token.name}
    )
    return redirect(_settings_devices())
