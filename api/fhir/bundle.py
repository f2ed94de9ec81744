"""The Bundle: the record read in 6 queries, then each resource built from the rows."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone, translation

from api.fhir.codes import (
    full_url,
    instant,
    resource_id,
    system,
)
from api.fhir.resources import (
    careplan_resource,
    goal_resource,
    patient_resource,
    procedure_resource,
    response_resource,
    session_resource,
)
from outcomes.models import Answer, Response
from plans import engine
from plans.history import plan_end_day
from plans.models import Plan, PlanWeek, SessionLog
from recovery.models import PatientProfile, Treatment


def _entry(kind: str, pk, resource: dict) -> dict:
    return {"fullUrl": full_url(kind, pk), "resource": resource}


def build_bundle(
    patient: PatientProfile, *, include_notes: bool = False, now: datetime | None = None
) -> dict:
    """The patient's Bundle as a json-ready dict. `patient` comes with its user (the access
    helper's select_related); the rest is read in 6 queries."""
    now = now or timezone.now()
    today = patient.local_date(now)
    tz = patient.tz
    with translation.override("en"):
        treatments = list(
            Treatment.objects.filter(patient=patient)
            .select_related("treatment_type")
            .order_by("procedure_date", "pk")
        )
        plans = list(
            Plan.objects.filter(patient=patient)
            .select_related("clearance")
            .order_by("start_date", "pk")
        )
        weeks_by_plan: dict[int, list[PlanWeek]] = {plan.pk: [] for plan in plans}
        for week in PlanWeek.objects.filter(plan__patient=patient).order_by("plan_id", "week"):
            weeks_by_plan[week.plan_id].append(week)
        logs = list(SessionLog.with_deleted.filter(plan__patient=patient).order_by("date", "pk"))
        responses = list(
            Response.objects.filter(patient=patient)
            .select_related("instrument", "questionnaire")
            .order_by("submitted_at", "pk")
        )
        answers: dict[int, list[Answer]] = {r.pk: [] for r in responses}
        for answer in (
            Answer.objects.filter(response__patient=patient)
            .select_related("item", "option")
            .order_by("response_id", "position")
        ):
            answers[answer.response_id].append(answer)

        # Sessions completed per plan week (live sessions that reached 80 % of its minutes).
        prescribed = {
            (week.plan_id, week.week): week.minutes
            for weeks in weeks_by_plan.values()
            for week in weeks
        }
        done: dict[tuple[int, int], int] = {}
        for log in logs:
            key = (log.plan_id, log.week)
            live = log.deleted_at is None and key in prescribed
            if live and engine.is_completed(log.minutes, prescribed[key]):
                done[key] = done.get(key, 0) + 1

        entries = [_entry("patient", patient.pk, patient_resource(patient))]
        entries += [
            _entry("procedure", t.pk, procedure_resource(t, patient, today)) for t in treatments
        ]
        for plan in plans:
            end = plan_end_day(plan, tz)
            weeks = weeks_by_plan[plan.pk]
            entries.append(_entry("plan", plan.pk, careplan_resource(plan, patient, weeks, end)))
            entries += [
                _entry(
                    "week",
                    week.pk,
                    goal_resource(
                        week, plan, patient, today, done.get((plan.pk, week.week), 0), end
                    ),
                )
                for week in weeks
            ]
        entries += [
            _entry("session", log.pk, session_resource(log, patient, include_notes=include_notes))
            for log in logs
        ]
        entries += [
            _entry("response", r.pk, response_resource(r, answers[r.pk], patient))
            for r in responses
        ]
    return {
        "resourceType": "Bundle",
        "id": resource_id("record", patient.pk),
        "identifier": {"system": system("record"), "value": str(patient.pk)},
        "type": "collection",
        "timestamp": instant(now),
        "entry": entries,
    }
