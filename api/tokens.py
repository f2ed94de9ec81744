"""The one way to make, revoke and check a patient's device tokens; every step is audited.

A token is "sw_" and 43 URL-safe characters (256 random bits). The database keeps its SHA-256
digest, its first characters (to tell tokens apart on the settings page), an expiry and when it
was last used; the token itself exists only in the answer that made it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import DeviceToken
from infra.ratelimit import by_ip, hit
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import PatientProfile, Role, User

TOKEN_PREFIX = "sw_"  # noqa: S105 - a public marker, not a secret
TOKEN_DAYS = 90
TOKENS_MAX = 10  # live tokens per patient: a phone, a tablet, a spare, with room to spare
NAME_MAX = 60
# Writing "last used" on every request would add a write to every read: once a minute is enough.
LAST_USED_EVERY = timedelta(minutes=1)
# Refused tokens audited per address and hour: enough to see someone trying, not a way for an
# anonymous caller to fill the audit log (every one is still refused).
REFUSALS_AUDITED_PER_HOUR = 20


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _patient(user: User) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=user).first()


def live_tokens(user: User):
    """The patient's tokens that still work, newest first."""
    return DeviceToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def device_token_create(*, user: User, name: str, request=None) -> tuple[DeviceToken, str]:
    """A new token for one of the patient's devices: (the row, the token to show once)."""
    name = " ".join((name or "").split())
    if user.role != Role.PATIENT or not user.is_active:
        raise DomainError(_("Only patients can connect a device."))
    if not name:
        raise DomainError(_("Give the device a name, for example “My phone”."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            _("Keep the device's name to %(n)d characters.") % {"n": NAME_MAX}, field="name"
        )
    with transaction.atomic():
        # One patient's tokens are counted under their row's lock: two clicks make at most one
        # token past the limit's check.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if live_tokens(user).count() >= TOKENS_MAX:
            raise DomainError(
                _("You have %(n)d devices connected already. Disconnect one you no longer use.")
                % {"n": TOKENS_MAX}
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        token = DeviceToken.objects.create(
            user=user,
            name=name,
            prefix=raw[:8],
            digest=digest(raw),
            created_at=now,
            expires_at=now + timedelta(days=TOKEN_DAYS),
        )
        # The device's name is the patient's free text: it stays out of the audit detail.
        audit(
            "api_token_create",
            actor=user,
            request=request,
            obj=token,
            patient=_patient(user),
            days=TOKEN_DAYS,
        )
    return token, raw


def device_token_revoke(*, user: User, token_id: int, request=None) -> DeviceToken:
    """Disconnect one of the patient's own devices at once (another's: "no such device")."""
    with transaction.atomic():
        token = DeviceToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise DomainError(_("There is no such device."))
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(
            "api_token_revoke",
            actor=user,
            request=request,
            obj=token,
            patient=_patient(user),
        )
    return token


def device_token_user(raw: str, *, request=None) -> tuple[User, DeviceToken] | None:
    """The active patient a token belongs to, with the token; None (audited) when it is unknown,
    expired, revoked, or its account is disabled. 1 query (2 when "last used" is refreshed)."""
    token = (
        DeviceToken.objects.select_related("user").filter(digest=digest(raw)).first()
        if raw.startswith(TOKEN_PREFIX) and len(raw) < 100
        else None
    )
    now = timezone.now()
    why = None
    if token is None:
        why = "unknown"
    elif token.revoked_at is not None:
        why = "revoked"
    elif token.expires_at <= now:
        why = "expired"
    elif not token.user.is_active or token.user.role != Role.PATIENT:
        why = "account"
    if why is not None:
        address = by_ip(request) if request is not None else "unknown"
        if hit("api_token_refused", address, limit=REFUSALS_AUDITED_PER_HOUR, window=3600):
            audit(
                "api_token_refused",
                actor=token.user if token else None,
                request=request,
                obj=token,
                outcome="refused",
                reason=why,
            )
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token
