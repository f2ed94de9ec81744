"""The e-mail outbox: messages written with the change that causes them, sent later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now as time_now


class OutboxEmailKind(models.TextChoices):
    ENROLMENT = "enrolment", "Enrolment: choose a password"
    INVITE = "invite", "New sign-in link"
    PASSWORD_RESET = "password_reset", "Password reset"


class OutboxEmail(models.Model):
    """One e-mail to one person, written in the transaction of the change that causes it and sent
    later (recovery.outbox): a broker or mail outage delays it and never loses it.

    Subject and parts are rendered when the row is written, from contexts that hold no health
    detail. The body carries a set-password link, a credential for PASSWORD_RESET_TIMEOUT (it
    expires as Django's token does, `expires_at`): the parts are blanked once the row is sent or
    given up, so a stored link lives only while it waits.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_emails"
    )
    kind = models.CharField(max_length=32, choices=OutboxEmailKind.choices)
    to = models.EmailField(max_length=254)
    subject = models.TextField()
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=time_now)
    expires_at = models.DateTimeField()  # not sent by then: given up (the link no longer works)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True, given_up_at__isnull=True),
                name="outbox_email_waiting_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(given_up_at__isnull=True),
                name="outbox_email_sent_or_given_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} e-mail {self.pk}"
