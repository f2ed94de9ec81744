"""One way to write the append-only audit log: actor, action, object, outcome, UTC time, address.

Never pass passwords, tokens or free-text notes in `detail`.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db import models

from recovery.models import AuditEvent, PatientProfile

# The address of the request being served, so services can audit without taking the request.
_request_ip: ContextVar[str | None] = ContextVar("stepwise_request_ip", default=None)


def client_ip(request) -> str | None:
    if request is None:
        return _request_ip.get()
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)


def audit(
    action: str,
    *,
    actor=None,
    request=None,
    obj: models.Model | None = None,
    patient: PatientProfile | None = None,
    outcome: str = "ok",
    **detail,
) -> AuditEvent:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient=patient,
        outcome=outcome,
        ip=client_ip(request),
        detail=detail,
    )
