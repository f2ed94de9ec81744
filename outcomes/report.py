"""The clinician's panel report (/clinic/outcomes/): per instrument, the patients with a baseline
and a follow-up, and the share whose latest follow-up is better, or worse, than their baseline by
at least the instrument's minimal important change (`outcomes.scoring.change`).

Two queries whatever the panel's size: the instruments, and every answered questionnaire of the
clinician's patients (visit, score, when). Instruments without a minimal important change or not
asked at baseline (PGIC) have nothing to compare and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from outcomes import scoring
from outcomes.models import Instrument, Response, Visit
from recovery.access import clinician_patients
from recovery.audit import audit


@dataclass(frozen=True)
class InstrumentRow:
    instrument: Instrument
    compared: int  # patients with a baseline and a follow-up
    better: int
    unchanged: int
    worse: int

    def share(self, count: int) -> int:
        """Whole percent of the patients compared (0 when none is)."""
        if not self.compared:
            return 0
        return int((Decimal(count) * 100 / self.compared).quantize(Decimal(1)))

    @property
    def better_percent(self) -> int:
        return self.share(self.better)

    @property
    def worse_percent(self) -> int:
        return self.share(self.worse)


def panel_report(clinician, *, request=None) -> list[InstrumentRow]:
    """The report for `clinician`'s own patients (none for anyone else), audited as a read of
    their answers ("outcomes_report", naming no patient)."""
    instruments = {
        instrument.pk: instrument
        for instrument in Instrument.objects.filter(
            asked_at_baseline=True, minimal_important_change__isnull=False
        ).order_by("kind", "name")
    }
    baseline: dict[tuple[int, int], Decimal] = {}
    latest: dict[tuple[int, int], Decimal] = {}
    rows = (
        Response.objects.filter(
            patient__in=clinician_patients(clinician), instrument_id__in=list(instruments)
        )
        .order_by("submitted_at", "pk")
        .values_list("patient_id", "instrument_id", "questionnaire__visit", "score")
    )
    for patient_id, instrument_id, visit, score in rows:
        key = (patient_id, instrument_id)
        if visit == Visit.BASELINE:
            baseline[key] = score
        else:
            latest[key] = score  # ordered by time: the last one stays
    counts = {pk: dict.fromkeys(scoring.Verdict, 0) for pk in instruments}
    for key, before in baseline.items():
        if key not in latest:
            continue
        instrument = instruments[key[1]]
        verdict = scoring.change(
            before,
            latest[key],
            direction=instrument.direction,
            mic=instrument.minimal_important_change,
        ).verdict
        counts[key[1]][verdict] += 1
    audit("outcomes_report", actor=clinician, request=request)
    return [
        InstrumentRow(
            instrument=instrument,
            compared=sum(counts[pk].values()),
            better=counts[pk][scoring.Verdict.BETTER],
            unchanged=counts[pk][scoring.Verdict.UNCHANGED],
            worse=counts[pk][scoring.Verdict.WORSE],
        )
        for pk, instrument in instruments.items()
    ]
