"""What the weekly reminder may say about outcome questionnaires (DESIGN section 8): that one is
waiting, and nothing else: no instrument's name, no question, no score.

Plans never imports this module: the reminder sender reads the dotted paths in
settings.REMINDER_NOTICES (as Django reads context processors) and calls each with one send
batch's patients, so the notice costs one query per batch, not one per message.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy

from outcomes.models import Questionnaire, QuestionnaireStatus

WAITING = gettext_lazy(
    "A short questionnaire is waiting for you too: sign in to StepWise to answer it."
)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def questionnaire_waiting(patient_ids: Sequence[int], moment: datetime) -> dict[int, str]:
    """The patients (of `patient_ids`) with a questionnaire open today on their own calendar,
    each with the one sentence the reminder adds. One query."""
    day = moment.date()  # UTC's day: every calendar on Earth is within a day of it
    rows = Questionnaire.objects.filter(
        patient_id__in=list(patient_ids),
        status=QuestionnaireStatus.DUE,
        opens_on__lte=day + timedelta(days=1),
        closes_on__gt=day - timedelta(days=1),
    ).values_list("patient_id", "patient__timezone", "opens_on", "closes_on")
    waiting = {}
    for patient_id, tz, opens_on, closes_on in rows:
        if opens_on <= moment.astimezone(_zone(tz)).date() < closes_on:
            waiting[patient_id] = WAITING
    return waiting
