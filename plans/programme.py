"""The home programme's read model (DESIGN §9): what `/me/programme/`, its PDF, the clinician's
printable page, the tailoring page and the record's programme card show for one patient.

A patient's programme is their tailored items (`ProgrammeItem`, set by the clinician through
`plans.services.programme`), or, untailored, the stage's exercises at the library's default dose:
the same exercises `/me/` shows (`plans.selectors.exercises_for_plan`). Tailored items are
filtered again here by what the open plan's stage and the treatment's contraindications allow
now (defence in depth: a stage lowered or a contraindication added since the clinician saved
them hides them at once). No open plan, no programme (DESIGN §1 rule 1: clearance first).

Queries are fixed whatever the programme's length: the items, the stage's exercises (only when
untailored), and all the pictures at once. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plans.models import (
    Contraindication,
    Exercise,
    ExerciseCategory,
    ExerciseImage,
    Plan,
    PlanStatus,
    ProgrammeItem,
    SessionLog,
)
from plans.selectors import exercises_for_plan, programme_exercise_queryset
from recovery.models import PatientProfile

# The categories a home programme holds. Walking, cycling and water exercise are dosed by the
# plan's weekly minutes, not here.
PROGRAMME_CATEGORIES = (ExerciseCategory.CORE, ExerciseCategory.FLEXIBILITY)


def _times_a_day(n: int) -> str:
    if n == 1:
        return _("once a day")
    if n == 2:
        return _("twice a day")
    if n == 3:
        return _("three times a day")
    return ngettext("%(n)d time a day", "%(n)d times a day", n) % {"n": n}


def dose_words(
    sets: int | None, reps: int | None, hold_seconds: int | None, times_per_day: int
) -> str:
    """A dose in plain words, in the active language: "10 repetitions, hold 5 seconds, 1 set,
    twice a day"."""
    parts = []
    if reps:
        parts.append(ngettext("%(n)d repetition", "%(n)d repetitions", reps) % {"n": reps})
    if hold_seconds:
        parts.append(
            ngettext("hold %(n)d second", "hold %(n)d seconds", hold_seconds) % {"n": hold_seconds}
        )
    if sets:
        parts.append(ngettext("%(n)d set", "%(n)d sets", sets) % {"n": sets})
    parts.append(_times_a_day(times_per_day))
    return ", ".join(parts)


@dataclass(frozen=True)
class ProgrammeLine:
    """One exercise of the programme with the dose the patient is to do and its pictures."""

    exercise: Exercise
    sets: int | None
    reps: int | None
    hold_seconds: int | None
    times_per_day: int
    note: str = ""
    images: tuple[ExerciseImage, ...] = ()

    @property
    def dose(self) -> str:
        return dose_words(self.sets, self.reps, self.hold_seconds, self.times_per_day)

    @property
    def is_default_dose(self) -> bool:
        e = self.exercise
        return (self.sets, self.reps, self.hold_seconds, self.times_per_day) == (
            e.default_sets,
            e.default_reps,
            e.default_hold_seconds,
            e.default_times_per_day,
        )


@dataclass(frozen=True)
class Programme:
    patient: PatientProfile
    plan: Plan | None
    today: date
    lines: list[ProgrammeLine] = field(default_factory=list)
    precautions: list[str] = field(default_factory=list)
    # Whether the clinician tailored it (else: the stage's exercises at their default dose).
    tailored: bool = False
    # Tailored exercises the plan's stage or the contraindications hide now.
    hidden: list[Exercise] = field(default_factory=list)

    @property
    def paused(self) -> bool:
        return self.plan is not None and self.plan.status == PlanStatus.PAUSED

    @property
    def exercise_ids(self) -> list[int]:
        return [line.exercise.pk for line in self.lines]


def open_plan(patient: PatientProfile) -> Plan | None:
    """The patient's open (active or paused) plan with its clearance and treatment. 1 query."""
    return (
        Plan.objects.filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
        .select_related("clearance__treatment__treatment_type")
        .order_by()
        .first()
    )


def blocking_for(plan: Plan):
    """A subquery: the contraindication that hides the outer exercise for this plan now."""
    return Contraindication.objects.blocking(
        plan.clearance.treatment.treatment_type_id, plan.stage
    ).filter(exercise=OuterRef("exercise_id"))


def allowed_now(exercise: Exercise, plan: Plan, *, blocked: bool) -> bool:
    """Whether the plan may show this exercise today: active, a programme category, at or below
    the plan's stage and not contraindicated (`blocked`) for its treatment at that stage."""
    return (
        exercise.active
        and exercise.category in PROGRAMME_CATEGORIES
        and exercise.stage <= plan.stage
        and not blocked
    )


def tailored_items(patient: PatientProfile, plan: Plan) -> list[ProgrammeItem]:
    """The patient's tailored items in order, each with its exercise and `blocked` (whether a
    contraindication hides it at the plan's stage). 1 query."""
    return list(
        ProgrammeItem.objects.filter(patient=patient)
        .select_related("exercise")
        .annotate(blocked=Exists(blocking_for(plan)))
        .order_by("position", "id")
    )


def _pictures(exercise_ids: list[int]) -> dict[int, tuple[ExerciseImage, ...]]:
    """Every picture of these exercises, in their order. 1 query (none without exercises)."""
    if not exercise_ids:
        return {}
    grouped: dict[int, list[ExerciseImage]] = defaultdict(list)
    for image in ExerciseImage.objects.filter(exercise_id__in=exercise_ids).order_by(
        "exercise_id", "position"
    ):
        grouped[image.exercise_id].append(image)
    return {pk: tuple(images) for pk, images in grouped.items()}


def programme_for(
    patient: PatientProfile,
    *,
    today: date,
    plan: Plan | None = None,
    find_plan: bool = True,
    allowed: list[Exercise] | None = None,
    pictures: bool = True,
) -> Programme:
    """The patient's programme today. Pass the open plan when it is already loaded (with
    `clearance__treatment`), or `find_plan=False` to say there is none; otherwise it is read
    (1 query). Then at most 3 queries: items, the stage's exercises if untailored (none when
    `allowed`, the plan's `exercises_for_plan`, is passed), and the pictures (none without
    `pictures`)."""
    if plan is None and find_plan:
        plan = open_plan(patient)
    if plan is None:
        return Programme(patient=patient, plan=None, today=today)
    items = tailored_items(patient, plan)
    if items:
        lines, hidden = [], []
        for item in items:
            if allowed_now(item.exercise, plan, blocked=item.blocked):
                lines.append(
                    ProgrammeLine(
                        exercise=item.exercise,
                        sets=item.sets,
                        reps=item.reps,
                        hold_seconds=item.hold_seconds,
                        times_per_day=item.times_per_day,
                        note=item.note,
                    )
                )
            else:
                hidden.append(item.exercise)
    else:
        hidden = []
        if allowed is None:
            allowed = exercises_for_plan(plan)
        lines = [default_line(exercise) for exercise in allowed]
    if pictures:
        found = _pictures([line.exercise.pk for line in lines])
        lines = [replace(line, images=found.get(line.exercise.pk, ())) for line in lines]
    return Programme(
        patient=patient,
        plan=plan,
        today=today,
        lines=lines,
        precautions=plan.clearance.precautions_on(today),
        tailored=bool(items),
        hidden=hidden,
    )


def default_line(exercise: Exercise) -> ProgrammeLine:
    return ProgrammeLine(
        exercise=exercise,
        sets=exercise.default_sets,
        reps=exercise.default_reps,
        hold_seconds=exercise.default_hold_seconds,
        times_per_day=exercise.default_times_per_day,
    )


# --- done or not ---------------------------------------------------------------------------------


def programme_exercises(plan: Plan) -> list[tuple[int, str]]:
    """(id, name) of each exercise of the patient's programme today, in its order: the log
    form's "which did you do?" choices and what the service accepts. The same exercises as
    `programme_for` and /me/, in 1 query (`plans.selectors.programme_exercise_queryset`). A plan
    not saved (a form drawn on its own) belongs to no patient yet: no programme, no query."""
    if plan.pk is None:
        return []
    return list(
        programme_exercise_queryset(plan)
        .order_by(F("place").asc(nulls_last=True), "category", "stage", "name")
        .values_list("pk", "name")
    )


ADHERENCE_DAYS = 28


@dataclass(frozen=True)
class Adherence:
    """How often each exercise was ticked in the sessions of the last four weeks."""

    since: date
    sessions: int
    rows: list[tuple[str, int]]  # (exercise name, sessions it was ticked in), most done first


def adherence(patient: PatientProfile, *, today: date) -> Adherence:
    """Sessions logged (not deleted) in the last 28 days, and per exercise the sessions it was
    ticked in. 1 query whatever the history's length: the window's sessions joined to their
    ticks and grouped by exercise (a group without a name holds the sessions with none), with
    the window's session count alongside."""
    since = today - timedelta(days=ADHERENCE_DAYS - 1)
    window = Q(plan__patient=patient, date__gte=since, date__lte=today, deleted_at__isnull=True)
    total = (
        SessionLog.objects.filter(window)
        .order_by()
        .values("plan__patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    groups = list(
        SessionLog.objects.filter(window)
        .values("exercises_done__exercise__name")
        .annotate(done=Count("pk", distinct=True), total=Subquery(total))
        .order_by()
    )
    rows = sorted(
        (
            (g["exercises_done__exercise__name"], g["done"])
            for g in groups
            if g["exercises_done__exercise__name"] is not None
        ),
        key=lambda row: (-row[1], row[0]),
    )
    return Adherence(since=since, sessions=groups[0]["total"] if groups else 0, rows=rows)
