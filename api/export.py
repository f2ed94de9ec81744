"""Everything StepWise holds about one patient, for the patient (`/me/export/`, DESIGN section 11).

`patient_tables` reads the record in 15 queries whatever its length (with the Bundle's 6, the
whole export reads 21: tests pin it) as plain tables: profile, treatments, clearances and their
trail of decisions, plans, plan weeks, sessions (with any correction or deletion), the
sessions' earlier versions, symptom reports, alerts, questionnaires with their answers, and the
home programme. `export_zip` writes them as one JSON file, one CSV file per table and the FHIR
Bundle (api.fhir), under file names of its own (no name anyone typed), with every CSV cell a
spreadsheet would run as a formula neutralised (infra.spreadsheets). Codes are kept as stored;
the labels beside them are in the patient's language.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from api.fhir import build_bundle
from infra.spreadsheets import neutralise
from outcomes.models import Answer, Questionnaire, Response
from plans.models import (
    Alert,
    Plan,
    PlanWeek,
    ProgrammeItem,
    RedFlag,
    SessionExercise,
    SessionLog,
    SessionLogRevision,
    SymptomReport,
)
from recovery.models import (
    Activity,
    Clearance,
    ClearanceEvent,
    PatientProfile,
    Treatment,
)

FORMAT = "stepwise-export/1"


def plain(value):
    """A stored value as JSON: dates and moments in ISO 8601 (moments in UTC), decimals as
    numbers."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _flags(codes) -> list[str]:
    return [str(RedFlag(c).label) if c in RedFlag.values else c for c in codes or ()]


def _name(user) -> str:
    return user.display_name() if user is not None else ""


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Each table's columns, in order: the CSV header even when the table has no rows yet.
COLUMNS: dict[str, tuple[str, ...]] = {
    "profile": _columns(
        "patient_id username first_name last_name email phone date_of_birth record_number "
        "language timezone clinician reminders_enabled reminder_weekday reminder_hour "
        "enrolled_at"
    ),
    "treatments": _columns("treatment_id treatment category procedure_date"),
    "clearances": _columns(
        "clearance_id treatment_id status requested_at decided_at decided_by "
        "decision_reason override_reason allowed_activities max_stage restrictions "
        "start_date wound_healed_on no_bending_until lifting_limit_kg lifting_limit_until"
    ),
    "clearance_history": _columns("clearance_id at by from_status to_status reason"),
    "plans": _columns(
        "plan_id clearance_id restarted_from_plan_id status start_date stage "
        "allowed_activities start_minutes min_increment max_increment target_minutes "
        "sessions_per_week pause_reason paused_at ended_at"
    ),
    "plan_weeks": _columns("plan_id week minutes sessions_per_week decision reason decided_at"),
    "sessions": _columns(
        "session_id plan_id date week activity activity_label minutes pain_before "
        "pain_after pain_duration pain_lasted_hours pain_follow_up sharp_pain "
        "warning_signs exertion_borg notes programme_exercises_done logged_at "
        "corrected_at deleted_at"
    ),
    "session_versions": _columns("session_id kind at before"),
    "symptom_reports": _columns("report_id plan_id reported_at warning_signs pain_now"),
    "alerts": _columns(
        "alert_id plan_id session_id report_id kind tier warning_signs raised_at "
        "closed_at closed_by outcome outcome_label outcome_note"
    ),
    "questionnaires": _columns(
        "questionnaire_id plan_id instrument instrument_name visit opens_on closes_on "
        "status answered_at score"
    ),
    "questionnaire_answers": _columns(
        "questionnaire_id position question activity_named answer value"
    ),
    "programme": _columns("position exercise sets reps hold_seconds times_per_day note updated_at"),
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[dict]


def table(name: str, rows: list[dict]) -> Table:
    columns = COLUMNS[name]
    for row in rows[:1]:
        if tuple(row) != columns:
            raise ValueError(f"{name}: the rows' columns differ from COLUMNS")
    return Table(name, columns, [{c: plain(row[c]) for c in columns} for row in rows])


def patient_tables(patient: PatientProfile) -> list[Table]:
    """The patient's record as tables (`patient` comes with its user)."""
    user = patient.user
    profile = {
        "patient_id": patient.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": patient.phone,
        "date_of_birth": patient.date_of_birth,
        "record_number": patient.record_number,
        "language": user.language,
        "timezone": patient.timezone,
        "clinician": _name(patient.clinician),
        "reminders_enabled": patient.reminders_enabled,
        "reminder_weekday": patient.reminder_weekday,
        "reminder_hour": patient.reminder_hour,
        "enrolled_at": patient.created_at,
    }
    treatments = [
        {
            "treatment_id": t.pk,
            "treatment": t.treatment_type.name,
            "category": t.treatment_type.category,
            "procedure_date": t.procedure_date,
        }
        for t in Treatment.objects.filter(patient=patient)
        .select_related("treatment_type")
        .order_by("procedure_date", "pk")
    ]
    clearances = [
        {
            "clearance_id": c.pk,
            "treatment_id": c.treatment_id,
            "status": c.status,
            "requested_at": c.requested_at,
            "decided_at": c.decided_at,
            "decided_by": _name(c.decided_by),
            "decision_reason": c.decision_reason,
            "override_reason": c.override_reason,
            "allowed_activities": list(c.allowed_activities or ()),
            "max_stage": c.max_stage,
            "restrictions": c.restrictions,
            "start_date": c.start_date,
            "wound_healed_on": c.wound_healed_on,
            "no_bending_until": c.no_bending_until,
            "lifting_limit_kg": c.lifting_limit_kg,
            "lifting_limit_until": c.lifting_limit_until,
        }
        for c in Clearance.objects.filter(patient=patient)
        .select_related("decided_by")
        .order_by("requested_at", "pk")
    ]
    events = [
        {
            "clearance_id": e.clearance_id,
            "at": e.at,
            "by": _name(e.actor),
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason": e.reason_words,
        }
        for e in ClearanceEvent.objects.filter(clearance__patient=patient)
        .select_related("actor")
        .order_by("at", "pk")
    ]
    plans = [
        {
            "plan_id": p.pk,
            "clearance_id": p.clearance_id,
            "restarted_from_plan_id": p.restarted_from_id,
            "status": p.status,
            "start_date": p.start_date,
            "stage": p.stage,
            "allowed_activities": list(p.allowed_activities or ()),
            "start_minutes": p.start_minutes,
            "min_increment": p.min_increment,
            "max_increment": p.max_increment,
            "target_minutes": p.target_minutes,
            "sessions_per_week": p.sessions_per_week,
            "pause_reason": p.patient_pause_words,
            "paused_at": p.paused_at,
            "ended_at": p.ended_at,
        }
        for p in Plan.objects.filter(patient=patient)
        .select_related("pause_week")
        .order_by("start_date", "pk")
    ]
    weeks = [
        {
            "plan_id": w.plan_id,
            "week": w.week,
            "minutes": w.minutes,
            "sessions_per_week": w.sessions_per_week,
            "decision": w.decision,
            "reason": w.reason,
            "decided_at": w.created_at,
        }
        for w in PlanWeek.objects.filter(plan__patient=patient).order_by("plan_id", "week")
    ]
    done: dict[int, list[str]] = {}
    for tick in (
        SessionExercise.objects.filter(session_log__plan__patient=patient)
        .select_related("exercise")
        .order_by("session_log_id", "exercise__name")
    ):
        done.setdefault(tick.session_log_id, []).append(tick.exercise.name)
    sessions = [
        {
            "session_id": s.pk,
            "plan_id": s.plan_id,
            "date": s.date,
            "week": s.week,
            "activity": s.activity,
            "activity_label": str(Activity(s.activity).label)
            if s.activity in Activity.values
            else s.activity,
            "minutes": s.minutes,
            "pain_before": s.pain_before,
            "pain_after": s.pain,
            "pain_duration": s.pain_duration,
            "pain_lasted_hours": s.pain_lasted_hours,
            "pain_follow_up": getattr(getattr(s, "pain_follow_up", None), "settled", ""),
            "sharp_pain": s.sharp_pain,
            "warning_signs": _flags(s.red_flags),
            "exertion_borg": s.exertion,
            "notes": s.notes,
            "programme_exercises_done": done.get(s.pk, []),
            "logged_at": s.created_at,
            "corrected_at": s.edited_at,
            "deleted_at": s.deleted_at,
        }
        for s in SessionLog.with_deleted.filter(plan__patient=patient)
        .select_related("pain_follow_up")
        .order_by("date", "pk")
    ]
    versions = [
        {
            "session_id": r.session_log_id,
            "kind": r.kind,
            "at": r.created_at,
            "before": json.dumps(r.before, ensure_ascii=False, sort_keys=True),
        }
        for r in SessionLogRevision.objects.filter(session_log__plan__patient=patient).order_by(
            "created_at", "pk"
        )
    ]
    reports = [
        {
            "report_id": r.pk,
            "plan_id": r.plan_id,
            "reported_at": r.created_at,
            "warning_signs": _flags(r.red_flags),
            "pain_now": r.pain_now,
        }
        for r in SymptomReport.objects.filter(patient=patient).order_by("created_at", "pk")
    ]
    alerts = [
        {
            "alert_id": a.pk,
            "plan_id": a.plan_id,
            "session_id": a.session_log_id,
            "report_id": a.symptom_report_id,
            "kind": a.kind,
            "tier": a.tier,
            "warning_signs": _flags(a.flags),
            "raised_at": a.created_at,
            "closed_at": a.acknowledged_at,
            "closed_by": _name(a.acknowledged_by),
            "outcome": a.outcome,
            "outcome_label": a.get_outcome_display() if a.outcome else "",
            "outcome_note": a.outcome_note,
        }
        for a in Alert.objects.filter(patient=patient)
        .select_related("acknowledged_by")
        .order_by("created_at", "pk")
    ]
    responses = {
        r.questionnaire_id: r for r in Response.objects.filter(patient=patient).order_by("pk")
    }
    questionnaires = [
        {
            "questionnaire_id": q.pk,
            "plan_id": q.plan_id,
            "instrument": q.instrument.code,
            "instrument_name": q.instrument.shown_name,
            "visit": q.visit,
            "opens_on": q.opens_on,
            "closes_on": q.closes_on,
            "status": q.status,
            "answered_at": responses[q.pk].submitted_at if q.pk in responses else None,
            "score": responses[q.pk].score if q.pk in responses else None,
        }
        for q in Questionnaire.objects.filter(patient=patient)
        .select_related("instrument")
        .order_by("opens_on", "pk")
    ]
    by_response = {r.pk: r.questionnaire_id for r in responses.values()}
    answers = [
        {
            "questionnaire_id": by_response[a.response_id],
            "position": a.position,
            "question": a.item.text if a.item_id else "",
            "activity_named": a.label,
            "answer": a.option.label if a.option_id else "",
            "value": a.value,
        }
        for a in Answer.objects.filter(response__patient=patient)
        .select_related("item", "option")
        .order_by("response_id", "position")
    ]
    programme = [
        {
            "position": i.position,
            "exercise": i.exercise.name,
            "sets": i.sets,
            "reps": i.reps,
            "hold_seconds": i.hold_seconds,
            "times_per_day": i.times_per_day,
            "note": i.note,
            "updated_at": i.updated_at,
        }
        for i in ProgrammeItem.objects.filter(patient=patient)
        .select_related("exercise")
        .order_by("position", "pk")
    ]

    specs = (
        ("profile", [profile]),
        ("treatments", treatments),
        ("clearances", clearances),
        ("clearance_history", events),
        ("plans", plans),
        ("plan_weeks", weeks),
        ("sessions", sessions),
        ("session_versions", versions),
        ("symptom_reports", reports),
        ("alerts", alerts),
        ("questionnaires", questionnaires),
        ("questionnaire_answers", answers),
        ("programme", programme),
    )
    return [table(name, rows) for name, rows in specs]


def csv_text(t: Table) -> str:
    """One table as CSV, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(t.columns)
    for row in t.rows:
        cells = []
        for column in t.columns:
            value = row[column]
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            elif value is None:
                value = ""
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            cells.append(neutralise(value))
        writer.writerow(cells)
    return out.getvalue()


def export_name(patient: PatientProfile, now: datetime) -> str:
    """The download's name: ours alone (the export's date), never anything a person typed."""
    return f"stepwise-export-{patient.local_date(now):%Y-%m-%d}.zip"


def export_zip(patient: PatientProfile, *, now: datetime | None = None) -> tuple[bytes, dict]:
    """The ZIP's bytes and how many rows each table had (for the audit row)."""
    now = now or timezone.now()
    with translation.override(patient.user.language):
        tables = patient_tables(patient)
        readme = render_to_string(
            "api/export_readme.txt",
            {
                "tables": [t.name for t in tables],
                "clinic": settings.CLINIC_NAME,
                "made": f"{now.astimezone(UTC):%Y-%m-%d %H:%M}",
            },
        )
    bundle = build_bundle(patient, include_notes=True, now=now)
    profile, *others = tables
    everything = {
        "format": FORMAT,
        "exported_at": plain(now),
        "profile": profile.rows[0],
        **{t.name: t.rows for t in others},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr(
            "stepwise-record.json", json.dumps(everything, ensure_ascii=False, indent=1)
        )
        for t in tables:
            # With a byte-order mark: spreadsheets then read the accents as UTF-8.
            archive.writestr(f"csv/{t.name}.csv", "\ufeff" + csv_text(t))
        archive.writestr("fhir-bundle.json", json.dumps(bundle, ensure_ascii=False, indent=1))
    return buffer.getvalue(), {t.name: len(t.rows) for t in tables}
