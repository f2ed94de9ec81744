"""The codes, systems and small shapes every resource of the Bundle uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from plans.models import PlanStatus

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
LANGUAGE = "urn:ietf:bcp:47"

EXERCISE_DURATION = {"system": LOINC, "code": "55411-3", "display": "Exercise duration"}
EXERCISE_ACTIVITY = {"system": LOINC, "code": "73985-4", "display": "Exercise activity"}
PAIN_SEVERITY = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}

CAREPLAN_STATUS = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.PAUSED: "on-hold",
    PlanStatus.COMPLETED: "revoked",
}
ACTIVITY_STATUS = {
    PlanStatus.ACTIVE: "in-progress",
    PlanStatus.PAUSED: "on-hold",
    PlanStatus.COMPLETED: "stopped",
}
GOAL_STATUS_WHILE = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.PAUSED: "on-hold",
    PlanStatus.COMPLETED: "cancelled",
}


def system(name: str) -> str:
    """A code system or identifier namespace of this StepWise site (read at call time)."""
    return f"{settings.SITE_URL}/fhir/{name}"


def resource_id(kind: str, pk: int | str) -> str:
    return f"stepwise-{kind}-{pk}"


def full_url(kind: str, pk: int | str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/{kind}/{pk}"))


def reference(kind: str, pk: int | str) -> dict:
    return {"reference": full_url(kind, pk)}


def number(value) -> int | float:
    """A stored number as JSON: whole numbers as integers, others as decimals."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def quantity(value, unit: str, code: str) -> dict:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": code}


def score(value) -> dict:
    return quantity(value, "{score}", "{score}")


def concept(text: str, *codings: dict) -> dict:
    found = {"text": text} if text else {}
    if codings:
        found["coding"] = list(codings)
    return found


def local(name: str, code: str, display: str = "") -> dict:
    coding = {"system": system(f"CodeSystem/{name}"), "code": code}
    if display:
        coding["display"] = display
    return coding


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
