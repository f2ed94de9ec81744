"""Staff define a licensed instrument in the admin (DESIGN section 8), and StepWise scores it.

Through the admin's own forms, as Dee would: the instrument with its items, each item's options
with their scores, the licence tick required before it is active, and a schedule row for a
treatment type. Then a patient answers it and the score follows the scoring staff chose.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from outcomes import services
from outcomes.models import Instrument, Questionnaire
from recovery.models import AuditEvent, TreatmentType
from tests.support import text

pytestmark = pytest.mark.django_db

LICENCE = "Tick that the clinic holds a licence before making it active."


def instrument_form(**overrides) -> dict[str, str]:
    data = {
        "code": "back-q",
        "name": "Back questionnaire (licensed)",
        "intro": "A few questions about your back.",
        "scoring": "sum_percent",
        "direction": "higher_worse",
        "minimal_important_change": "10",
        "asked_at_baseline": "on",
        "active": "on",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-position": "1",
        "items-0-text": "How much does your back limit walking?",
        "items-1-position": "2",
        "items-1-text": "How much does your back limit sitting?",
    }
    return data | overrides


def options_form(item, scores=(0, 1, 2)) -> dict[str, str]:
    data = {
        "instrument": str(item.instrument_id),
        "position": str(item.position),
        "text": item.text,
        "help_text": "",
        "options-TOTAL_FORMS": str(len(scores)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    for n, (score, label) in enumerate(
        zip(scores, ("Not at all", "Somewhat", "A lot"), strict=True)
    ):
        data |= {
            f"options-{n}-position": str(n + 1),
            f"options-{n}-label": label,
            f"options-{n}-score": str(score),
        }
    return data


def test_staff_define_an_instrument_in_the_admin_and_it_is_scored(staff, ana_plan):
    ana = ana_plan.patient
    # Active without the licence tick: refused beside the tick, nothing saved.
    refused = staff.post("/admin/outcomes/instrument/add/", instrument_form())
    assert refused.status_code == 200
    assert LICENCE in text(refused)
    assert not Instrument.objects.filter(code="back-q").exists()

    saved = staff.post("/admin/outcomes/instrument/add/", instrument_form(licence_held="on"))
    assert saved.status_code == 302, text(saved)
    instrument = Instrument.objects.get(code="back-q")
    assert (instrument.kind, instrument.active, instrument.licence_held) == ("clinic", True, True)
    assert AuditEvent.objects.filter(action="admin_add", object_id=str(instrument.pk)).exists()
    for item in instrument.items.order_by("position"):
        response = staff.post(f"/admin/outcomes/item/{item.pk}/change/", options_form(item))
        assert response.status_code == 302, text(response)
    assert instrument.items.get(position=2).options.count() == 3

    treatment_type = ana.treatments.get().treatment_type
    response = staff.post(
        "/admin/outcomes/scheduledinstrument/add/",
        {"treatment_type": treatment_type.pk, "instrument": instrument.pk, "visit": "baseline"},
    )
    assert response.status_code == 302, text(response)

    services.questionnaires_schedule()
    questionnaire = Questionnaire.objects.get(patient=ana, instrument=instrument)
    options = {
        item.position: {o.score: o.pk for o in item.options.all()}
        for item in instrument.items.all()
    }
    answered = services.questionnaire_answer(
        patient=ana,
        questionnaire_id=questionnaire.pk,
        choices={1: options[1][Decimal(2)], 2: options[2][Decimal(1)]},
    )
    assert answered.score == Decimal("75.00")  # (2 + 1) of a highest 4, as a percentage


def test_an_instrument_not_asked_at_baseline_cannot_be_scheduled_then(staff):
    pgic = Instrument.objects.get(code="pgic")
    response = staff.post(
        "/admin/outcomes/scheduledinstrument/add/",
        {
            "treatment_type": TreatmentType.objects.first().pk,
            "instrument": pgic.pk,
            "visit": "baseline",
        },
    )
    assert response.status_code == 200
    assert "How things have changed (PGIC) is not asked at baseline." in text(response)


def test_shipped_instruments_keep_their_wording(staff):
    pain = Instrument.objects.get(code="pain")
    page = staff.get(f"/admin/outcomes/instrument/{pain.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="name"' not in body and 'name="active"' in body
