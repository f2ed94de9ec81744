"""Two-factor sign-in (TOTP, django-otp) for staff and superusers before they reach /admin/.

Everyone signs in on /accounts/login/ with a password. Staff and superusers then prove a code
from their authenticator app here; the admin site refuses any session that has not. A password
reset signs no one in, so it cannot skip this step either.
"""

from __future__ import annotations

import base64
import io

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.audit import audit


def needs_second_factor(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser)


class StepWiseAdminSite(OTPAdminSite):
    site_header = "StepWise administration"
    site_title = "StepWise admin"
    index_title = "Library and settings"

    def login(self, request, extra_context=None):
        """One sign-in page for everyone; the admin only adds the second factor."""
        next_url = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and needs_second_factor(request.user):
            return redirect(f"{reverse('two_factor')}?next={next_url}")
        if request.user.is_authenticated:
            # A patient or clinician: the sign-in page would send them straight back (a loop).
            raise PermissionDenied
        return redirect(f"{resolve_url('login')}?next={next_url}")


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def two_factor(request):
    user = request.user
    if not needs_second_factor(user):
        raise PermissionDenied
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    if user.is_verified():
        return redirect(next_url)

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)

    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        verified, _ = device.verify_is_allowed()
        if verified and device.verify_token(form.cleaned_data["token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit("two_factor_enrolled", request=request, obj=device)
            django_otp.login(request, device)
            audit("two_factor_ok", request=request)
            return redirect(next_url)
        audit("two_factor_failed", request=request, outcome="denied")
        form.add_error("token", "That code did not work. Check your app and try the newest code.")

    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context.update(qr=_qr_svg(device.config_url), secret=device.key)
    return render(request, "registration/two_factor.html", context)
