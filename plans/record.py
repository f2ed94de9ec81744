"""The patient's record as one timeline across plans (DESIGN section 14).

The record belongs to the patient, not to the current plan: every plan (started, paused, ended by
a warning sign, resumed), week, session (with its notes and any correction), alert (with who
closed it, when and what was done), symptom report, clearance event and plan change, newest
first, filterable by kind and by plan, and paged.

Cost: a fixed number of queries whatever the length of the history. Sessions and weeks grow with
it, so each is read only as far as the page shown reaches (newest first, `offset + page size + 1`
rows: the extra one says whether an older page exists). Alerts, symptom reports, clearance events
and plan changes are few per patient (a handful a year) and are read whole: the page's open
alerts and each plan's story come from the same rows.

Entries are ordered by when they entered the record (a session when it was logged, a week when
it was decided): a session logged on Monday for Sunday says both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.history import weeks_the_plan_reached
from plans.models import Plan, PlanStatus, PlanWeek, SessionLog, SessionLogRevision
from plans.patient_record import AlertRow, SessionRow, SymptomRow, decision_badge, session_row
from plans.plan_stories import (
    PLAN_OBJECT,
    REDECIDED,
    PlanStory,
    person_name,
    plan_stories,
)
from plans.wording import explain
from recovery.models import AuditEvent, ClearanceEvent, PatientProfile

TIMELINE_PAGE_SIZE = 20
# Notes longer than this are folded in <details> (the first words stay visible).
NOTES_FOLD_AT = 160

# The filters a clinician can pick, in the order shown: GET ?kind=<key>.
KINDS: dict[str, str] = {
    "sessions": gettext_lazy("Sessions"),
    "weeks": gettext_lazy("Weeks"),
    "alerts": gettext_lazy("Alerts and symptom reports"),
    "clearance": gettext_lazy("Clearance"),
    "changes": gettext_lazy("Plan changes"),
}


@dataclass
class Entry:
    """One line of the timeline. `kind` picks how the page draws it."""

    kind: str  # session, week, alert, report, clearance, plan_start, plan_pause, change
    at: datetime
    pk: int
    plan: PlanStory | None = None
    obj: Any = None
    title: str = ""
    detail: str = ""
    who: str = ""
    session: SessionRow | None = None
    alert: AlertRow | None = None
    report: SymptomRow | None = None
    extra: dict = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple:
        return (self.at, _KIND_ORDER.get(self.kind, 0), self.pk)


# Entries written in one transaction share a moment: the pause after the alert after the session.
_KIND_ORDER = {
    "clearance": 0,
    "plan_start": 1,
    "week": 2,
    "session": 3,
    "report": 4,
    "alert": 5,
    "change": 6,
    "plan_pause": 7,
}


@dataclass
class Timeline:
    entries: list[Entry]
    page: int
    has_next: bool
    kind: str  # "" for every kind
    plan: PlanStory | None  # the plan the timeline is narrowed to, if any
    plans: list[PlanStory]  # newest first

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def filtered(self) -> bool:
        return bool(self.kind or self.plan)


def parse_filters(query, plans: list[Plan]) -> tuple[str, Plan | None, int]:
    """(kind, plan, page) from GET parameters; anything unknown is ignored, not an error."""
    kind = query.get("kind", "")
    kind = kind if kind in KINDS else ""
    plan = None
    wanted = query.get("plan", "")
    if wanted.isdigit():
        plan = next((p for p in plans if p.pk == int(wanted)), None)
    page = query.get("page", "")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    return kind, plan, page


def _session_entries(
    patient: PatientProfile, plan_ids: list[int] | None, limit: int, stories: dict[int, PlanStory]
) -> list[Entry]:
    logs = SessionLog.with_deleted.filter(plan__patient=patient)  # a deleted one says so
    if plan_ids is not None:
        logs = logs.filter(plan_id__in=plan_ids)
    logs = list(
        logs.select_related("pain_follow_up", "alert").order_by("-created_at", "-id")[:limit]
    )
    # Earlier versions only of the sessions the patient changed: no query on a page without one.
    changed = [log.pk for log in logs if log.edited_at or log.deleted_at]
    versions: dict[int, list[SessionLogRevision]] = defaultdict(list)
    if changed:
        for revision in SessionLogRevision.objects.filter(session_log__in=changed):
            versions[revision.session_log_id].append(revision)
    tz = patient.tz
    entries = []
    for log in logs:
        row = session_row(log, tz)
        extra = {
            "edited_at": log.edited_at,
            "deleted_at": log.deleted_at,
            "revisions": versions.get(log.pk, []),
            "logged_later": log.created_at.astimezone(tz).date() != log.date,
            "notes_folded": len(log.notes) > NOTES_FOLD_AT,
        }
        entries.append(
            Entry(
                kind="session",
                at=log.created_at,
                pk=log.pk,
                plan=stories.get(log.plan_id),
                obj=log,
                session=row,
                extra=extra,
            )
        )
    return entries


def _week_entries(
    patient: PatientProfile, plan_ids: list[int] | None, limit: int, stories: dict[int, PlanStory]
) -> list[Entry]:
    """Weeks as decided, without those a stopped plan never reached (see history_page)."""
    weeks = PlanWeek.objects.filter(plan__patient=patient)
    if plan_ids is not None:
        weeks = weeks.filter(plan_id__in=plan_ids)
    weeks = (
        weeks_the_plan_reached(weeks, patient.tz)
        .select_related("plan")
        .order_by("-created_at", "-id")
    )
    entries = []
    for week in weeks[:limit]:
        story = stories.get(week.plan_id)
        first, after = week.plan.week_bounds(week.week)
        last = after.toordinal() - 1
        last_day = date.fromordinal(last)
        if story is not None and story.end_day is not None:
            last_day = max(first, min(last_day, story.end_day))
        entries.append(
            Entry(
                kind="week",
                at=week.created_at,
                pk=week.pk,
                plan=story,
                obj=week,
                detail=explain(
                    week.cause,
                    week.cause_numbers,
                    week.reason,
                    audience="clinician",
                    week=week.week,
                ),
                extra={
                    "first_day": first,
                    "last_day": last_day,
                    "badge": decision_badge(week.decision),
                },
            )
        )
    return entries


def _plan_entries(stories: list[PlanStory]) -> list[Entry]:
    entries = []
    for story in stories:
        plan = story.plan
        restarted = plan.restarted_from_id is not None
        entries.append(
            Entry(
                kind="plan_start",
                at=plan.created_at,
                pk=plan.pk,
                plan=story,
                obj=plan,
                title=_("Plan resumed as a new plan") if restarted else _("Plan started"),
                detail=(
                    _("Week 1 from %(day)s at %(minutes)s minutes × %(sessions)s; stage %(stage)s")
                    % {
                        "day": dateformat.format(plan.start_date, "j M Y"),
                        "minutes": plan.start_minutes,
                        "sessions": plan.sessions_per_week,
                        "stage": plan.stage,
                    }
                ),
                who=_resumer(story, stories) if restarted else "",
            )
        )
        if plan.paused_at is not None:
            title = _("Plan ended by a warning sign") if story.warning_sign else _("Plan paused")
            if story.warning_sign and plan.status == PlanStatus.PAUSED:
                title = _("Plan paused by a warning sign")
            entries.append(
                Entry(
                    kind="plan_pause",
                    at=plan.paused_at,
                    pk=plan.pk,
                    plan=story,
                    obj=plan,
                    title=title,
                    detail=plan.clinician_pause_words,
                    who=story.paused_by,
                )
            )
    return entries


def _resumer(story: PlanStory, stories: list[PlanStory]) -> str:
    before = next(
        (s for s in stories if s.restarted_as and s.restarted_as.pk == story.plan.pk), None
    )
    return before.resumed_by if before else ""


def _change_words(event: AuditEvent) -> tuple[str, str]:
    detail = event.detail or {}
    if event.action == "plan_set_stage":
        words = _("Stage %(before)s → %(after)s") % {
            "before": detail.get("before"),
            "after": detail.get("after"),
        }
        before, after = detail.get("activities_before"), detail.get("activities_after")
        if before is not None and before != after:
            from plans.triage import activity_labels

            labels = ", ".join(activity_labels(after)) or _("none")
            words += "; " + _("activities: %(activities)s") % {"activities": labels}
        return _("Stage changed"), words
    if event.action == "plan_update_rules":
        before, after = detail.get("before") or {}, detail.get("after") or {}
        names = {
            "start_minutes": _("start"),
            "min_increment": _("smallest step"),
            "max_increment": _("largest step"),
            "target_minutes": _("target"),
            "sessions_per_week": _("sessions a week"),
        }
        changed = [
            f"{label} {before.get(key)} → {after.get(key)}"
            for key, label in names.items()
            if before.get(key) != after.get(key)
        ]
        return _("Rules changed"), "; ".join(changed) or _("No number changed")
    if event.action == REDECIDED:
        before, after = detail.get("before") or ["?", "?"], detail.get("after") or ["?", "?"]
        return (
            _("Week %(week)s decided again") % {"week": detail.get("week")},
            _("After a late session: %(before)s min (%(was)s) → %(after)s min (%(now)s)")
            % {"before": before[0], "was": before[1], "after": after[0], "now": after[1]},
        )
    return event.action.replace("_", " ").capitalize(), ""


def _change_entries(
    changes: list[AuditEvent], plan_ids: list[int] | None, stories: dict[int, PlanStory]
) -> list[Entry]:
    entries = []
    for event in changes:
        if event.action in ("plan_pause", "plan_resume"):
            continue  # told with the plan (its pause, the next plan's start)
        plan_id = int(event.object_id) if event.object_id.isdigit() else None
        if event.object_type != PLAN_OBJECT:
            plan_id = None
        if plan_ids is not None and plan_id not in plan_ids:
            continue
        title, detail = _change_words(event)
        entries.append(
            Entry(
                kind="change",
                at=event.at,
                pk=event.pk,
                plan=stories.get(plan_id) if plan_id else None,
                obj=event,
                title=title,
                detail=detail,
                who=person_name(event.actor) or "StepWise",
            )
        )
    return entries


def _alert_entries(
    rows: list[AlertRow], plan_ids: list[int] | None, stories: dict[int, PlanStory]
) -> list[Entry]:
    entries = []
    for row in rows:
        alert = row.alert
        if plan_ids is not None and alert.plan_id not in plan_ids:
            continue
        entries.append(
            Entry(
                kind="alert",
                at=alert.created_at,
                pk=alert.pk,
                plan=stories.get(alert.plan_id),
                obj=alert,
                alert=row,
                extra={
                    "outcome": alert.get_outcome_display() if alert.outcome else "",
                    "note": alert.outcome_note,
                    "closed_by": alert.acknowledged_by,
                    "closed_at": alert.acknowledged_at,
                },
            )
        )
    return entries


def _report_entries(
    rows: list[SymptomRow], plan_ids: list[int] | None, stories: dict[int, PlanStory]
) -> list[Entry]:
    entries = []
    for row in rows:
        report = row.report
        if plan_ids is not None and report.plan_id not in plan_ids:
            continue
        entries.append(
            Entry(
                kind="report",
                at=report.created_at,
                pk=report.pk,
                plan=stories.get(report.plan_id),
                obj=report,
                report=row,
            )
        )
    return entries


def _clearance_entries(events: list[ClearanceEvent]) -> list[Entry]:
    return [
        Entry(
            kind="clearance",
            at=event.at,
            pk=event.pk,
            obj=event,
            title=(
                _("Clearance %(before)s → %(after)s")
                % {"before": event.from_status_words, "after": event.to_status_words}
                if event.from_status
                else _("Clearance opened: %(status)s") % {"status": event.to_status_words}
            ),
            detail=event.reason_words,
            who=person_name(event.actor) or "StepWise",
        )
        for event in events
    ]


def timeline(
    patient: PatientProfile,
    *,
    plans: list[Plan],
    alerts: list[AlertRow],
    reports: list[SymptomRow],
    events: list[ClearanceEvent],
    changes: list[AuditEvent],
    kind: str,
    plan: Plan | None,
    page: int,
) -> Timeline:
    """One page of the record: at most 2 queries (sessions and weeks, each only when its kind is
    shown), the rest drawn from rows the page has loaded already."""
    tz = patient.tz
    stories = plan_stories(plans, alerts, changes, tz)
    by_plan = {s.plan.pk: s for s in stories}
    plan_ids = [plan.pk] if plan is not None else None
    offset = (page - 1) * TIMELINE_PAGE_SIZE
    limit = offset + TIMELINE_PAGE_SIZE + 1
    shown = {kind} if kind else set(KINDS)
    entries: list[Entry] = []
    if "sessions" in shown:
        entries += _session_entries(patient, plan_ids, limit, by_plan)
    if "weeks" in shown:
        entries += _week_entries(patient, plan_ids, limit, by_plan)
    if "alerts" in shown:
        entries += _alert_entries(alerts, plan_ids, by_plan)
        entries += _report_entries(reports, plan_ids, by_plan)
    if "clearance" in shown and plan is None:
        entries += _clearance_entries(events)
    if "changes" in shown:
        story_list = [by_plan[plan.pk]] if plan is not None else stories
        entries += _plan_entries(story_list)
        entries += _change_entries(changes, plan_ids, by_plan)
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    window = entries[offset : offset + TIMELINE_PAGE_SIZE + 1]
    return Timeline(
        entries=window[:TIMELINE_PAGE_SIZE],
        page=page,
        has_next=len(window) > TIMELINE_PAGE_SIZE,
        kind=kind,
        plan=by_plan.get(plan.pk) if plan is not None else None,
        plans=stories,
    )
