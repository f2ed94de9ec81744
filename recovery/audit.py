"""One way to write the append-only audit log: actor, action, object, outcome, UTC time, address.

Never pass passwords, tokens or free-text notes in `detail`.
"""

from __future__ import annotations

from django.db import models

from infra.addresses import client_ip
from recovery.models import AuditEvent, PatientProfile


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
