"""What the outcome measures add to a clinician's triage (DESIGN section 8): a follow-up worse
than the baseline by at least the instrument's minimal important change puts the patient in tier
2. Named in settings.TRIAGE_REASONS, so plans' triage calls it without importing outcomes.

The flag holds while the patient's latest answer to that instrument is the worse one: a later
follow-up that is no longer worse by the change that matters clears it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from outcomes import scoring
from outcomes.models import Instrument, Response, Visit
from outcomes.words import change_words
from plans.triage import Reason, Tier

# After the plan's own tier-2 reasons (pain and a plan that changed course, ranks 0–4).
RANK = 5


def worse_than_baseline(patient_ids: QuerySet) -> dict[int, list[Reason]]:
    """Each patient's instruments whose latest follow-up is worse than the same treatment's
    baseline by at least the minimal important change (one query, whatever the panel's size).

    `patient_ids` is the panel as a query of ids (a subquery of this statement, not a list of
    500 values for the ORM to go through one by one)."""
    same = {"patient": OuterRef("patient"), "instrument": OuterRef("instrument")}
    later = Response.objects.filter(**same).filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk"))
    )
    baseline = (
        Response.objects.filter(
            **same,
            questionnaire__visit=Visit.BASELINE,
            questionnaire__plan=OuterRef("questionnaire__plan"),
        )
        .order_by("submitted_at", "pk")
        .values("score")[:1]
    )
    rows = (
        Response.objects.filter(
            patient__in=patient_ids, instrument__minimal_important_change__isnull=False
        )
        .exclude(questionnaire__visit=Visit.BASELINE)
        .annotate(baseline_score=Subquery(baseline))
        .filter(baseline_score__isnull=False)
        .filter(~Exists(later))
        .order_by("patient", "instrument__name")
        .values_list(
            "patient_id",
            "instrument__name",
            "instrument__kind",
            "instrument__direction",
            "instrument__minimal_important_change",
            "baseline_score",
            "score",
            "questionnaire__visit",
            "submitted_at",
        )
    )
    visits = dict(Visit.choices)
    found: dict[int, list[Reason]] = {}
    for patient_id, name, kind, direction, mic, before, after, visit, submitted_at in rows:
        change = scoring.change(before, after, direction=direction, mic=mic)
        if change.verdict is not scoring.Verdict.WORSE:
            continue
        found.setdefault(patient_id, []).append(
            Reason(
                Tier.REVIEW,
                rank=(RANK, submitted_at),
                why=_("%(instrument)s worse than at baseline")
                % {
                    # a shipped instrument's name in the reader's language (Instrument.shown_name)
                    "instrument": Instrument(name=name, kind=kind).shown_name
                },
                detail=_("%(visit)s: %(change)s.")
                % {"visit": visits.get(visit, visit), "change": change_words(change)},
            )
        )
    return found
