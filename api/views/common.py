"""What every API view shares: who may call it, JSON in as a web form's data, a form's errors
out as JSON, and the web routes' rate limits answered in JSON."""

from __future__ import annotations

import json
from functools import cache as memoize

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from infra.ratelimit import by_user, hit
from recovery.errors import DomainError
from recovery.models import Role

NON_FIELD = "non_field_errors"


class _RolePermission(BasePermission):
    role = ""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_active and user.role == self.role)


class IsPatient(_RolePermission):
    """Patients only: any other signed-in person is answered 403, as on /me/."""

    role = Role.PATIENT


class IsClinician(_RolePermission):
    """Clinicians only: any other signed-in person is answered 403, as on /clinic/."""

    role = Role.CLINICIAN


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def form_data(data) -> QueryDict | None:
    """A JSON object as the web form's POST data would carry it: every value a string (a list
    for the fields that take several), null as left out. None for anything but an object."""
    if not isinstance(data, dict):
        return None
    posted = QueryDict(mutable=True)
    for name, value in data.items():
        if value is None:
            continue
        posted.setlist(
            str(name), [_scalar(v) for v in value] if isinstance(value, list) else [_scalar(value)]
        )
    return posted


def not_an_object() -> Response:
    return Response(
        {NON_FIELD: [_("Send the answers as a JSON object.")]}, status=status.HTTP_400_BAD_REQUEST
    )


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's messages as the page shows them, by field; `non_field_errors` for the form's."""
    errors = {}
    for name, messages in form.errors.items():
        errors[NON_FIELD if name == forms.forms.NON_FIELD_ERRORS else name] = [
            str(m) for m in messages
        ]
    return errors


def refuse(form: forms.Form, error: DomainError, field: str | None = None) -> None:
    """A service's refusal beside the field it names (as the web view puts it), else the form's."""
    form.add_error(field if field in form.fields else None, error.message)


@memoize
def errors_serializer(name: str, fields: tuple[str, ...]) -> type[serializers.Serializer]:
    """The schema of a 400 answer for a form with these fields: each a list of messages."""
    attrs = {
        field: serializers.ListField(child=serializers.CharField(), required=False)
        for field in (*fields, NON_FIELD)
    }
    return type(name, (serializers.Serializer,), attrs)


class DetailSerializer(serializers.Serializer):
    """A refusal in one sentence (401, 403, 404, 409, 429)."""

    detail = serializers.CharField()


def rate_limited(request, scope: str, *, limit: int, window: int) -> Response | None:
    """The web route's limit (infra.ratelimit, the same scope and key, so the web and the API
    count together), answered 429 in JSON."""
    if hit(scope, by_user(request), limit=limit, window=window):
        return None
    minutes = max(1, window // 60)
    response = Response(
        {
            # The words of the web's 429 page (templates/429.html), already translated.
            "detail": ngettext(
                "We received a lot of requests from you in a short time. Please try again in "
                "about %(minutes)s minute.",
                "We received a lot of requests from you in a short time. Please try again in "
                "about %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes}
        },
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(window)
    return response
