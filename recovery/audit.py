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


def audit_many(
    action: str,
    objects: list[tuple[models.Model, int | None]],
    *,
    actor=None,
    outcome: str = "ok",
    **detail,
) -> list[AuditEvent]:
    """`audit` for many objects at once (a batch job's same action on each): one INSERT, the
    same rows as one `audit(action, obj=obj, patient=...)` per (object, patient id) pair."""
    ip = client_ip(None)
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                action=action,
                object_type=obj._meta.label,
                object_id=str(obj.pk),
                patient_id=patient_id,
                outcome=outcome,
                ip=ip,
                detail=detail,
            )
            for obj, patient_id in objects
        ]
    )
