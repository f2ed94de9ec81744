"""The clinician tailors a patient's home programme (DESIGN §9): which allowed exercises, in what
order, at what dose, with a note; or resets it to the stage's exercises at their default dose.

Never a contraindicated exercise, one above the open plan's stage, a retired one, or a dose out
of range: the first problem is refused with one `DomainError` naming the exercise, and nothing
is written. The refusal's `field` is `programme_field(exercise_id, part)`, the name the record's
form gives that exercise's input, so the message appears beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.library import exercise_text
from plans.models import (
    DOSE_LIMITS,
    Contraindication,
    Exercise,
    Plan,
    PlanStatus,
    ProgrammeItem,
)
from plans.programme import PROGRAMME_CATEGORIES
from plans.services.common import _lock_plan
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import Clearance, PatientProfile, User
from recovery.services import require_assigned_clinician

NOTE_MAX = 500
NO_OPEN_PLAN = gettext_lazy(
    "This patient has no running plan: a home programme starts once clearance is approved."
)
_PART_WORDS = {
    "sets": gettext_lazy("sets"),
    "reps": gettext_lazy("repetitions"),
    "hold_seconds": gettext_lazy("the hold (seconds)"),
    "times_per_day": gettext_lazy("times a day"),
}


def programme_field(exercise_id: int, part: str) -> str:
    """The form field a refusal about one exercise's `part` belongs beside."""
    return f"ex{exercise_id}_{part}"


@dataclass(frozen=True)
class ItemDose:
    """One exercise of the programme as the clinician sets it, in the programme's order."""

    exercise_id: int
    sets: int | None
    reps: int | None
    hold_seconds: int | None
    times_per_day: int
    note: str = ""


def _open_plan_locked(patient: PatientProfile) -> Plan:
    """The patient's open plan, locked: saving a programme takes turns with a stage change."""
    plan_id = (
        Plan.objects.filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
        .values_list("pk", flat=True)
        .first()
    )
    if plan_id is None:
        raise DomainError(NO_OPEN_PLAN)
    plan = _lock_plan(plan_id)
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.PAUSED):
        raise DomainError(NO_OPEN_PLAN)
    return plan


def _check_dose(exercise: Exercise, item: ItemDose) -> None:
    name = exercise_text(exercise.name)  # the starter's name in the reader's language
    for part in ("sets", "reps", "hold_seconds", "times_per_day"):
        value = getattr(item, part)
        if value is None and part != "times_per_day":
            continue
        low, high = DOSE_LIMITS[part]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise DomainError(
                _("%(exercise)s: %(part)s must be from %(low)d to %(high)d.")
                % {"exercise": name, "part": _PART_WORDS[part], "low": low, "high": high},
                field=programme_field(exercise.pk, part),
            )
    if item.reps is None and item.hold_seconds is None:
        raise DomainError(
            _("%(exercise)s: give repetitions or a hold, so the patient knows how much to do.")
            % {"exercise": name},
            field=programme_field(exercise.pk, "reps"),
        )
    if len(item.note) > NOTE_MAX:
        raise DomainError(
            _("%(exercise)s: keep the note to %(n)d characters.")
            % {"exercise": name, "n": NOTE_MAX},
            field=programme_field(exercise.pk, "note"),
        )


def _check_allowed(exercise: Exercise, plan, *, blocked: Contraindication | None) -> None:
    name = exercise_text(exercise.name)
    field = programme_field(exercise.pk, "include")
    if not exercise.active:
        raise DomainError(
            _("%(exercise)s is no longer offered in the library.") % {"exercise": name},
            field=field,
        )
    if exercise.category not in PROGRAMME_CATEGORIES:
        raise DomainError(
            _("%(exercise)s is dosed by the plan's weekly minutes, not in the home programme.")
            % {"exercise": name},
            field=field,
        )
    if exercise.stage > plan.stage:
        raise DomainError(
            _(
                "%(exercise)s is a stage %(stage)d exercise; this patient's plan allows "
                "stage %(plan_stage)d. Raise the stage first."
            )
            % {"exercise": name, "stage": exercise.stage, "plan_stage": plan.stage},
            field=field,
        )
    if blocked is not None:
        names = {"exercise": name, "treatment": blocked.treatment_type.name}
        if blocked.until_stage:
            message = _(
                "%(exercise)s must not be given after %(treatment)s until stage %(stage)d."
            ) % {**names, "stage": blocked.until_stage}
        else:
            message = (
                _("%(exercise)s must not be given after %(treatment)s (contraindicated).") % names
            )
        raise DomainError(message, field=field)


@transaction.atomic
def programme_set(
    *, patient: PatientProfile, actor: User, items: Sequence[ItemDose]
) -> list[ProgrammeItem]:
    """Replace the patient's programme with `items`, in that order."""
    require_assigned_clinician(patient, actor, action=gettext_lazy("change this programme"))
    plan = _open_plan_locked(patient)
    if not items:
        raise DomainError(
            _("Choose at least one exercise, or reset the programme to the stage's exercises."),
            field="programme",
        )
    ids = [item.exercise_id for item in items]
    if len(set(ids)) != len(ids):
        raise DomainError(_("An exercise appears twice in the programme."), field="programme")
    treatment_type_id = (
        Clearance.objects.filter(pk=plan.clearance_id)
        .values_list("treatment__treatment_type_id", flat=True)
        .get()
    )
    blocking = Contraindication.objects.blocking(treatment_type_id, plan.stage)
    exercises = Exercise.objects.in_bulk(ids)
    blocked = {
        c.exercise_id: c
        for c in blocking.filter(exercise_id__in=ids).select_related("treatment_type")
    }
    for item in items:
        exercise = exercises.get(item.exercise_id)
        if exercise is None:
            raise DomainError(_("An exercise of this programme is no longer in the library."))
        _check_allowed(exercise, plan, blocked=blocked.get(exercise.pk))
        _check_dose(exercise, item)
    before = list(
        ProgrammeItem.objects.filter(patient=patient).values_list("exercise_id", flat=True)
    )
    ProgrammeItem.objects.filter(patient=patient).delete()
    created = ProgrammeItem.objects.bulk_create(
        ProgrammeItem(
            patient=patient,
            exercise_id=item.exercise_id,
            position=position,
            sets=item.sets,
            reps=item.reps,
            hold_seconds=item.hold_seconds,
            times_per_day=item.times_per_day,
            note=item.note.strip(),
            updated_by=actor,
        )
        for position, item in enumerate(items, start=1)
    )
    audit(
        "programme_set",
        actor=actor,
        obj=patient,
        patient=patient,
        before=before,
        # Exercises and doses only: the free-text notes stay out of the audit log.
        after=[[i.exercise_id, i.sets, i.reps, i.hold_seconds, i.times_per_day] for i in items],
    )
    return created


@transaction.atomic
def programme_reset(*, patient: PatientProfile, actor: User) -> int:
    """Back to the untailored programme: the stage's exercises at their default dose."""
    require_assigned_clinician(patient, actor, action=gettext_lazy("change this programme"))
    _open_plan_locked(patient)
    removed, _ = ProgrammeItem.objects.filter(patient=patient).delete()
    audit("programme_reset", actor=actor, obj=patient, patient=patient, removed=removed)
    return removed
