"""`Authorization: Bearer <token>`: a patient's device token (api/tokens.py) for a phone app.

Token requests carry no cookie, so they need no CSRF token; requests signed in by the browser
session go through DRF's SessionAuthentication, which keeps enforcing CSRF on writes.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.tokens import device_token_user

REFUSED = _("This device token is not valid: it may have expired or been disconnected.")


class DeviceTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not ours: the session may still sign the request in
        if len(parts) != 2:
            raise AuthenticationFailed(REFUSED)
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(REFUSED) from None
        found = device_token_user(raw, request=request._request)
        if found is None:
            raise AuthenticationFailed(REFUSED)
        # Speak the patient's own language, as AccountLanguageMiddleware does for a session (it
        # ran before the token was read, when the request was still anonymous).
        user = found[0]
        if user.language:
            translation.activate(user.language)
            request._request.LANGUAGE_CODE = translation.get_language()
        return found

    def authenticate_header(self, request) -> str:
        # Answering 401 (with this header) rather than 403 to a request without credentials.
        return 'Bearer realm="api"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A patient's device token, made on the settings page (/me/devices/).",
        }
