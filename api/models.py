"""Per-device API tokens for a patient's phone app (DESIGN section 11).

Only a digest is stored: the token is a random 256-bit secret, so one SHA-256 of it is as strong
as a slow password hash would be (there is nothing to guess) and costs nothing per request. The
token itself is shown once, when it is made (api/tokens.py), and never again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DeviceToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="device_tokens"
    )
    name = models.CharField(max_length=60, help_text="The device, as the patient named it.")
    # The token's first characters, shown on the settings page to tell two tokens apart.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_has_a_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
