"""Each FHIR resource of the Bundle, from rows already loaded (no query here)."""

from __future__ import annotations

from datetime import date

from api.fhir.codes import (
    ACTIVITY_STATUS,
    CAREPLAN_STATUS,
    EXERCISE_ACTIVITY,
    EXERCISE_DURATION,
    GOAL_ACHIEVEMENT,
    GOAL_STATUS_WHILE,
    IDENTIFIER_TYPE,
    LANGUAGE,
    OBSERVATION_CATEGORY,
    PAIN_SEVERITY,
    concept,
    instant,
    local,
    number,
    quantity,
    reference,
    resource_id,
    score,
    system,
)
from outcomes.models import Answer, Response
from plans import engine
from plans.models import Plan, PlanWeek, RedFlag, SessionLog
from recovery.models import Activity, PatientProfile, Treatment


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
