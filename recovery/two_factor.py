"""Two-factor sign-in (TOTP, django-otp) for staff and superusers before they reach /admin/.

Everyone signs in on /accounts/login/ with a password. Staff and superusers then prove a code
from their authenticator app here; the admin site refuses any session that has not. A password
reset signs no one in, so it cannot skip this step either.
"""

from __future__ import annotations

import base64
import functools
import io

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.base import ModelBase
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.audit import audit


def needs_second_factor(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser)


# The only models whose admin staff may use: the exercise library, the treatment types and the
# outcome instruments with their schedule (definitions, no person in them).
# Every other model registered on this site, by StepWise or by a third-party app (django-axes'
# attempts and logs, auth groups, django-otp devices, anything import-export or a later app
# adds), names or concerns people: superusers only, whatever permissions a staff account holds.
STAFF_MODELS = frozenset(
    {
        "plans.exercise",
        "recovery.treatmenttype",
        # Outcome instruments and their schedule are definitions (DESIGN section 8); what
        # patients answered (questionnaires, responses) is not, and stays superuser-only.
        "outcomes.instrument",
        "outcomes.item",
        "outcomes.scheduledinstrument",
    }
)


def _superuser_and(method):
    @functools.wraps(method)
    def check(self, request, *args, **kwargs):
        user = request.user
        return bool(user.is_active and user.is_superuser) and method(self, request, *args, **kwargs)

    return check


def safe_dates(admin_class: type[ModelAdmin]) -> type[ModelAdmin]:
    """`admin_class` whose changelist treats a date it cannot compute with as a bad lookup.

    Django's date drill-down (`date_hierarchy`) adds a day, a month or a year to the date in the
    address, and year 9999 raised OverflowError (or ValueError) as a 500. Django answers a bad
    lookup (IncorrectLookupParameters) by showing the unfiltered list with an error flag.
    """

    def get_changelist_instance(self, request):
        try:
            return super(guarded, self).get_changelist_instance(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    guarded = type(
        admin_class.__name__,
        (admin_class,),
        {
            "get_changelist_instance": get_changelist_instance,
            "__module__": admin_class.__module__,
            "__qualname__": admin_class.__qualname__,
            "__doc__": admin_class.__doc__,
        },
    )
    return guarded


def superuser_only(admin_class: type[ModelAdmin]) -> type[ModelAdmin]:
    """`admin_class` with every `has_…_permission` (view, add, change, delete, module, export,
    import, custom actions) also requiring an active superuser, and a history page that answers
    the same for rows that exist and rows that do not."""
    attrs = {
        name: _superuser_and(getattr(admin_class, name))
        for name in dir(admin_class)
        if name.startswith("has_") and name.endswith("_permission")
    }
    attrs.update(
        __module__=admin_class.__module__,
        __qualname__=admin_class.__qualname__,
        __doc__=admin_class.__doc__,
        superuser_only=True,
    )
    guarded = type(admin_class.__name__, (admin_class,), attrs)

    def history_view(self, request, object_id, extra_context=None):
        # Django looks the row up before asking for permission: a missing row redirected and an
        # existing one answered 403, so staff could learn which rows exist. Ask first.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super(guarded, self).history_view(request, object_id, extra_context)

    guarded.history_view = history_view
    return guarded


class StepWiseAdminSite(OTPAdminSite):
    site_header = "StepWise administration"
    site_title = "StepWise admin"
    index_title = "Library and settings"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, every model but STAFF_MODELS for superusers only, and every
        changelist safe from dates out of range."""
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            cls = safe_dates(admin_class or ModelAdmin)
            if model._meta.label_lower not in STAFF_MODELS:
                cls = superuser_only(cls)
            super().register(model, cls, **options)

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
        return HttpResponseRedirect(next_url)  # a path, never a view name to reverse

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
            return HttpResponseRedirect(next_url)  # a path, never a view name to reverse
        audit("two_factor_failed", request=request, outcome="denied")
        form.add_error("token", "That code did not work. Check your app and try the newest code.")

    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context.update(qr=_qr_svg(device.config_url), secret=device.key)
    return render(request, "registration/two_factor.html", context)
