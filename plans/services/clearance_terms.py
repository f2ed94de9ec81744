"""A clearance's clinical terms and the checks on them: the written reason an override gives,
the stage gate, the healed wound that water exercise waits for, and the structured precautions;
with the two services that record the wound and change the precautions of a clearance. Approving
(plans.services.clearance) and plan control (plans.services.control) check the same terms here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.services.common import _locked
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    LIFTING_LIMIT_MAX_KG,
    LIFTING_LIMIT_MIN_KG,
    WOUND_CATEGORIES,
    Activity,
    Clearance,
    ClearanceStatus,
    User,
)
from recovery.services import require_assigned_clinician

REASON_MIN_LENGTH = 10
# An override of a clinical gate (early clearance, a stage before its time) says why at length
# (DESIGN §1 rule 1, §7).
OVERRIDE_MIN_LENGTH = 20


def require_reason(
    reason: str,
    *,
    field: str = "reason",
    what: str = "",
    min_length: int = REASON_MIN_LENGTH,
) -> str:
    """`what` names the reason asked for ("an override reason (...)"), in the reader's language;
    by default "a reason"."""
    reason = (reason or "").strip()
    if len(reason) < min_length:
        raise DomainError(
            _("Please write %(what)s of at least %(n)d characters.")
            % {"what": what or _("a reason"), "n": min_length},
            field=field,
        )
    return reason


WATER_NEEDS_WOUND = gettext_lazy(
    "Water exercise needs the date the wound was seen healed. Record it first, or leave water "
    "exercise out for now."
)


def check_wound_healed(clearance: Clearance, activities: Iterable[str], *, today: date) -> None:
    """After surgery or a minimally invasive procedure, water exercise only once a clinician has
    recorded the day the wound was seen healed, on or before today (DESIGN §1 rule 2)."""
    if Activity.WATER.value not in activities:
        return
    if clearance.treatment.treatment_type.category not in WOUND_CATEGORIES:
        return
    healed = clearance.wound_healed_on
    if healed is None or healed > today:
        raise DomainError(str(WATER_NEEDS_WOUND), field="allowed_activities")


PRECAUTION_FIELDS = ("no_bending_until", "lifting_limit_kg", "lifting_limit_until")
PRECAUTION_YEARS_MAX = 2


def check_precautions(clearance: Clearance, values: dict) -> dict:
    """The precaution fields tidied, or a DomainError beside the field at fault: dates from the
    procedure to two years after it; a lifting limit of 0.5 to 50 kg with an end date."""
    procedure = clearance.treatment.procedure_date
    latest = procedure.replace(year=procedure.year + PRECAUTION_YEARS_MAX)
    for name in ("no_bending_until", "lifting_limit_until"):
        day = values.get(name)
        if day is not None and not procedure <= day <= latest:
            raise DomainError(
                _("Give a date between the procedure (%(procedure)s) and %(latest)s.")
                % {
                    "procedure": dateformat.format(procedure, "j F Y"),
                    "latest": dateformat.format(latest, "j F Y"),
                },
                field=name,
            )
    kg = values.get("lifting_limit_kg")
    if kg is not None:
        kg = Decimal(str(kg)).quantize(Decimal("0.1"))
        if not Decimal(str(LIFTING_LIMIT_MIN_KG)) <= kg <= Decimal(str(LIFTING_LIMIT_MAX_KG)):
            raise DomainError(
                _("A lifting limit is %(low)s to %(high)s kg.")
                % {"low": LIFTING_LIMIT_MIN_KG, "high": LIFTING_LIMIT_MAX_KG},
                field="lifting_limit_kg",
            )
    until = values.get("lifting_limit_until")
    if (kg is None) != (until is None):
        raise DomainError(
            _("Give the lifting limit and the date it ends, or neither."),
            field="lifting_limit_kg" if kg is None else "lifting_limit_until",
        )
    return {
        "no_bending_until": values.get("no_bending_until"),
        "lifting_limit_kg": kg,
        "lifting_limit_until": until,
    }


@transaction.atomic
def clearance_set_precautions(*, clearance: Clearance, actor: User, **values) -> Clearance:
    """The clinician changes the structured precautions of an approved clearance (audited)."""
    clearance = (
        _locked(Clearance)
        .select_related("patient", "treatment__treatment_type")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(
        clearance.patient, actor, action=gettext_lazy("change these precautions")
    )
    if clearance.status != ClearanceStatus.APPROVED:
        raise DomainError(_("Precautions go with an approved clearance."))
    tidy = check_precautions(clearance, values)
    changed = [name for name in PRECAUTION_FIELDS if getattr(clearance, name) != tidy[name]]
    for name in changed:
        setattr(clearance, name, tidy[name])
    if changed:
        clearance.save(update_fields=changed)
        audit("precautions", actor=actor, obj=clearance, patient=clearance.patient, fields=changed)
    return clearance


def check_wound_date(clearance: Clearance, day: date, *, today: date) -> None:
    procedure = clearance.treatment.procedure_date
    if not procedure <= day <= today:
        raise DomainError(
            _("The wound is seen healed between the procedure (%(procedure)s) and today.")
            % {"procedure": dateformat.format(procedure, "j F Y")},
            field="wound_healed_on",
        )


@transaction.atomic
def clearance_set_wound_healed(*, clearance: Clearance, actor: User, day: date, today: date):
    """Record the day the wound was seen healed: water exercise may be allowed from then."""
    clearance = (
        _locked(Clearance)
        .select_related("patient", "treatment__treatment_type")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(clearance.patient, actor, action=gettext_lazy("record this"))
    if clearance.treatment.treatment_type.category not in WOUND_CATEGORIES:
        raise DomainError(_("This treatment leaves no wound to record."))
    if clearance.status not in (ClearanceStatus.PENDING, ClearanceStatus.APPROVED):
        raise DomainError(
            _("This clearance is %(status)s: nothing to record.")
            % {"status": clearance.get_status_display().lower()}
        )
    check_wound_date(clearance, day, today=today)
    clearance.wound_healed_on = day
    clearance.save(update_fields=["wound_healed_on"])
    audit("wound_healed", actor=actor, obj=clearance, patient=clearance.patient, on=day.isoformat())
    return clearance


def check_stage_gate(treatment, stage: int, *, today: date, override_reason: str) -> str:
    """ "" when `stage` is allowed `today` by the treatment type's gate; else the override
    reason, which must say why at OVERRIDE_MIN_LENGTH characters (a DomainError beside the
    `stage_override_reason` field otherwise)."""
    kind = treatment.treatment_type
    gate = kind.stage_gate(stage, treatment.procedure_date)
    if stage < 2 or today >= gate:
        return ""
    return require_reason(
        override_reason,
        field="stage_override_reason",
        what=(
            _(
                "a stage override reason (after %(treatment)s, stage %(stage)s is usually "
                "allowed from %(day)s, %(days)s days after the procedure)"
            )
            % {
                "treatment": kind.name,
                "stage": stage,
                "day": dateformat.format(gate, "j F Y"),
                "days": kind.days_before_stage(stage),
            }
        ),
        min_length=OVERRIDE_MIN_LENGTH,
    )
