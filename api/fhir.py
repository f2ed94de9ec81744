"""One patient's record as a FHIR R4 Bundle of type collection (DESIGN section 11).

The Bundle holds, for one patient:

- `Patient`: name, date of birth, phone and e-mail, language, and the clinic's record number as
  an identifier (type MR) when it has one;
- `Procedure` per treatment: the treatment type and its date (completed; "preparation" while the
  date is still ahead);
- `CarePlan` per plan: status (active, on-hold when paused, revoked once ended: StepWise ends a
  plan only when it is resumed as a new plan or replaced, never as "completed"), period, one
  activity per allowed activity, the plan it replaces, and the weekly minute goals as `Goal`
  resources it references (one per `PlanWeek`: minutes per session and sessions that week);
- `Goal` per plan week, as above;
- `Observation` per logged session: exercise minutes (LOINC 55411-3 "Exercise duration", in
  UCUM min), with components for the activity (LOINC 73985-4 "Exercise activity"), pain before and
  after exercise (LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating", each with a local
  code saying which), how long raised pain lasted, sharp pain, exertion (Borg 6-20) and warning
  signs. A session the patient corrected is "amended"; one they deleted "entered-in-error".
  Session notes are free text a patient wrote: they are left out unless asked for
  (SECURITY-CHECKS 23);
- `QuestionnaireResponse` per answered questionnaire, with each answer and the score.

Ids are stable: "stepwise-<kind>-<database id>", and each entry's fullUrl is a uuid5 of the
site and that id, so references (urn:uuid:…) resolve inside the Bundle and two calls give the
same document. The builder returns plain dicts (json-ready); tests validate them with the
`fhir.resources` R4B models. 7 queries whatever the length of the history (tests pin it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from outcomes.models import Answer, Response
from plans import engine
from plans.history import plan_end_day
from plans.models import Plan, PlanStatus, PlanWeek, RedFlag, SessionLog
from recovery.models import Activity, PatientProfile, Treatment

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


# --- the resources ---------------------------------------------------------------------------


def patient_resource(patient: PatientProfile) -> dict:
    user = patient.user
    identifiers = [{"system": system("patient"), "value": str(patient.pk)}]
    if patient.record_number:
        identifiers.append(
            {
                "use": "usual",
                "type": concept("Medical record number", {"system": IDENTIFIER_TYPE, "code": "MR"}),
                "system": system("record-number"),
                "value": patient.record_number,
            }
        )
    name = {"use": "official"}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    name["text"] = user.display_name()
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if user.email:
        telecom.append({"system": "email", "value": user.email})
    resource = {
        "resourceType": "Patient",
        "id": resource_id("patient", patient.pk),
        "identifier": identifiers,
        "active": user.is_active,
        "name": [name],
        "communication": [
            {
                "language": concept(
                    user.get_language_display(),
                    {
                        "system": LANGUAGE,
                        "code": user.language,
                    },
                ),
                "preferred": True,
            }
        ],
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def procedure_resource(treatment: Treatment, patient: PatientProfile, today: date) -> dict:
    kind = treatment.treatment_type
    return {
        "resourceType": "Procedure",
        "id": resource_id("procedure", treatment.pk),
        "status": "completed" if treatment.procedure_date <= today else "preparation",
        "category": concept(
            kind.get_category_display(), local("treatment-category", kind.category)
        ),
        "code": concept(kind.name, local("treatment-type", str(kind.pk), kind.name)),
        "subject": reference("patient", patient.pk),
        "performedDateTime": treatment.procedure_date.isoformat(),
    }


def goal_resource(
    week: PlanWeek, plan: Plan, patient: PatientProfile, today: date, done: int, end: date | None
) -> dict:
    first, after = plan.week_bounds(week.week)
    last = date.fromordinal(after.toordinal() - 1)
    stopped = week.decision == engine.Decision.STOP or week.minutes == 0
    if end is not None and first > end:
        status = "cancelled"  # a week the plan never reached (it stopped before)
    elif last < today or (end is not None and last >= end):
        status = "completed"
    else:
        status = GOAL_STATUS_WHILE[plan.status]
    if stopped:
        description = f"Week {week.week}: no exercise this week (stopped)"
    else:
        description = (
            f"Week {week.week}: {week.minutes} minutes per session, "
            f"{week.sessions_per_week} sessions"
        )
    resource = {
        "resourceType": "Goal",
        "id": resource_id("week", week.pk),
        "lifecycleStatus": status,
        "category": [concept("Weekly exercise goal", local("goal", "weekly-minutes"))],
        "description": concept(
            description, local("week-decision", week.decision, week.get_decision_display())
        ),
        "subject": reference("patient", patient.pk),
        "startDate": first.isoformat(),
        "target": [
            {
                "measure": concept("Exercise duration per session", EXERCISE_DURATION),
                "detailQuantity": quantity(week.minutes, "min", "min"),
                "dueDate": last.isoformat(),
            },
            {
                "measure": concept("Sessions this week", local("goal", "sessions-per-week")),
                "detailInteger": week.sessions_per_week,
                "dueDate": last.isoformat(),
            },
        ],
    }
    if status == "completed" and not stopped:
        achieved = done >= week.sessions_per_week
        code = "achieved" if achieved else "not-achieved"
        resource["achievementStatus"] = concept(
            f"{done} of {week.sessions_per_week} sessions completed",
            {"system": GOAL_ACHIEVEMENT, "code": code},
        )
    return resource


def careplan_resource(
    plan: Plan, patient: PatientProfile, weeks: list[PlanWeek], end: date | None
) -> dict:
    period = {"start": plan.start_date.isoformat()}
    if end is not None:
        period["end"] = max(end, plan.start_date).isoformat()
    activity_status = ACTIVITY_STATUS[plan.status]
    activities = []
    for code in plan.allowed_activities or ():
        label = str(Activity(code).label) if code in Activity.values else code
        activities.append(
            {
                "detail": {
                    "code": concept(label, local("activity", code, label)),
                    "status": activity_status,
                    "goal": [reference("week", week.pk) for week in weeks],
                    "description": f"{label}: each week's minutes per session and sessions "
                    "are the plan's weekly goals.",
                }
            }
        )
    resource = {
        "resourceType": "CarePlan",
        "id": resource_id("plan", plan.pk),
        "status": CAREPLAN_STATUS[plan.status],
        "intent": "plan",
        "title": f"Return to exercise, stage {plan.stage}",
        "description": (
            f"Starts at {plan.start_minutes} minutes per session, {plan.sessions_per_week} "
            f"sessions a week, rising {plan.min_increment}-{plan.max_increment} minutes a week "
            f"towards {plan.target_minutes} minutes."
        ),
        "subject": reference("patient", patient.pk),
        "period": period,
        "created": instant(plan.created_at),
        "supportingInfo": [reference("procedure", plan.clearance.treatment_id)],
        "goal": [reference("week", week.pk) for week in weeks],
    }
    if activities:
        resource["activity"] = activities
    if plan.restarted_from_id:
        resource["replaces"] = [reference("plan", plan.restarted_from_id)]
    if plan.clearance.restrictions:
        resource["note"] = [{"text": plan.clearance.restrictions}]
    return resource


def _component(code: dict, **value) -> dict:
    return {"code": code, **value}


def session_resource(log: SessionLog, patient: PatientProfile, *, include_notes: bool) -> dict:
    label = str(Activity(log.activity).label) if log.activity in Activity.values else log.activity
    components = [
        _component(
            concept("Exercise activity", EXERCISE_ACTIVITY),
            valueCodeableConcept=concept(label, local("activity", log.activity, label)),
        )
    ]
    pains = (
        ("pain-before", "Pain before exercise", log.pain_before),
        ("pain-after", "Pain after exercise", log.pain),
    )
    for code, text, value in pains:
        if value is not None:
            components.append(
                _component(
                    concept(f"{text} (0-10)", PAIN_SEVERITY, local("session", code, text)),
                    valueQuantity=score(value),
                )
            )
    if log.pain_duration:
        components.append(
            _component(
                concept("Hours the raised pain lasted", local("session", "pain-lasted")),
                valueQuantity=quantity(log.pain_lasted_hours, "h", "h"),
            )
        )
    components.append(
        _component(
            concept("Sharp pain", local("session", "sharp-pain")), valueBoolean=log.sharp_pain
        )
    )
    if log.exertion is not None:
        components.append(
            _component(
                concept("Perceived exertion (Borg 6-20)", local("session", "exertion-borg")),
                valueQuantity=score(log.exertion),
            )
        )
    for flag in log.red_flags or ():
        flag_label = str(RedFlag(flag).label) if flag in RedFlag.values else flag
        components.append(
            _component(
                concept("Warning sign reported", local("session", "warning-sign")),
                valueCodeableConcept=concept(flag_label, local("warning-sign", flag, flag_label)),
            )
        )
    status = "final"
    if log.deleted_at is not None:
        status = "entered-in-error"
    elif log.edited_at is not None:
        status = "amended"
    resource = {
        "resourceType": "Observation",
        "id": resource_id("session", log.pk),
        "basedOn": [reference("plan", log.plan_id)],
        "status": status,
        "category": [concept("Activity", {"system": OBSERVATION_CATEGORY, "code": "activity"})],
        "code": concept("Exercise session", EXERCISE_DURATION),
        "subject": reference("patient", patient.pk),
        "effectiveDateTime": log.date.isoformat(),
        "issued": instant(log.edited_at or log.created_at),
        "valueQuantity": quantity(log.minutes, "min", "min"),
        "component": components,
    }
    if include_notes and log.notes:
        resource["note"] = [{"text": log.notes}]
    return resource


def response_resource(response: Response, answers: list[Answer], patient: PatientProfile) -> dict:
    instrument = response.instrument
    questionnaire = response.questionnaire
    items = []
    for answer in answers:
        if answer.option_id is not None:
            value = {
                "valueCoding": local(
                    f"questionnaire-{instrument.code}",
                    str(answer.option.position),
                    answer.option.label,
                )
            }
            text = answer.item.text if answer.item_id else ""
        else:
            value = {"valueDecimal": number(answer.value)}
            text = answer.label or (answer.item.text if answer.item_id else "")
        item = {"linkId": str(answer.position), "answer": [value]}
        if text:
            item["text"] = text
        items.append(item)
    items.append(
        {"linkId": "score", "text": "Score", "answer": [{"valueDecimal": number(response.score)}]}
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("response", response.pk),
        "identifier": {
            "system": system("questionnaire-visit"),
            "value": f"{questionnaire.pk}:{questionnaire.visit}",
        },
        "basedOn": [reference("plan", questionnaire.plan_id)],
        "questionnaire": system(f"Questionnaire/{instrument.code}"),
        "status": "completed",
        "subject": reference("patient", patient.pk),
        "authored": instant(response.submitted_at),
        "item": items,
    }


# --- the bundle ------------------------------------------------------------------------------


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
