"""Records stay English, readers read their language (issue 23): a correction's "before" is
stored in English whatever the patient's language (it is a record), and the sentences the system
stores in English (the clearance override prefix) are said in the reader's language when shown,
old rows included; a plan's pause is stored as its cause and said in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from plans.models import PauseCause, Plan, PlanWeek, SessionLogRevision
from recovery.models import ClearanceEvent
from tests.support import patients_today
from tests.test_session_corrections import correct, log

pytestmark = pytest.mark.django_db


def test_a_spanish_patients_correction_is_recorded_in_english(ana_plan):
    saved = log(ana_plan, patients_today())
    with translation.override("es"):
        correct(saved, ana_plan.patient.user, minutes=25)
    (revision,) = SessionLogRevision.objects.filter(session_log=saved)
    assert revision.before["activity"] == "Walking"
    assert revision.before["sharp pain"] == "no"
    assert revision.before["warning signs"] == "none"


# Each pause cause as stored, and what each reader reads: (plan, patient's words, clinician's
# words) in English, then in Spanish.
def _stop(week: int, cause: str, reason: str = "A STOP week.") -> Plan:
    stop = PlanWeek(week=week, cause=cause, cause_numbers={}, reason=reason)
    return Plan(pause_cause=PauseCause.WEEK_STOP, pause_week=stop)


PAUSES = [
    (
        Plan(pause_cause=PauseCause.WARNING_SIGN, pause_day=date(2026, 12, 3)),
        ("Warning sign reported on 3 December 2026.",) * 2,
        ("Señal de alarma informada el 3 de diciembre de 2026.",) * 2,
    ),
    (
        _stop(3, "urgent_warning_sign"),
        (
            "Week 3 has no exercise because in week 2 you reported an urgent warning sign: your "
            "plan is paused until your care team reviews it.",
            "No exercise: an emergency warning sign reported in week 2; paused until reviewed.",
        ),
        (
            "La semana 3 no incluye ejercicio porque en la semana 2 usted indicó una señal de "
            "alarma urgente: su plan de ejercicio está en pausa hasta que su equipo de atención "
            "lo revise.",
            "Sin ejercicio: se indicó una señal de alarma de emergencia en la semana 2; en pausa "
            "hasta su revisión.",
        ),
    ),
    (
        # A STOP week decided before causes were kept: its stored reason, as written.
        _stop(5, "", reason="You reported a warning sign, so your plan is paused."),
        ("You reported a warning sign, so your plan is paused.",) * 2,
        ("You reported a warning sign, so your plan is paused.",) * 2,
    ),
    (
        Plan(pause_cause=PauseCause.CLEARANCE_WITHDRAWN, pause_reason="MRI pending."),
        (
            "Clearance withdrawn by your care team: MRI pending.",
            "Clearance withdrawn: MRI pending.",
        ),
        (
            "Su equipo de atención retiró la autorización: MRI pending.",
            "Autorización retirada: MRI pending.",
        ),
    ),
    (
        Plan(pause_cause=PauseCause.CLINICIAN, pause_reason="Paused by Dr Cho: travelling."),
        ("Paused by Dr Cho: travelling.",) * 2,  # the clinician's words, as typed, in any language
        ("Paused by Dr Cho: travelling.",) * 2,
    ),
    (Plan(), ("", ""), ("", "")),  # never paused
]


@pytest.mark.parametrize(("plan", "english", "spanish"), PAUSES)
def test_the_pause_is_said_in_the_readers_language(plan, english, spanish):
    for language, expected in (("en", english), ("es", spanish)):
        with translation.override(language):
            assert (plan.patient_pause_words, plan.clinician_pause_words) == expected


def test_a_warning_sign_pause_is_stored_as_its_cause_and_day(ana_plan):
    """No sentence is stored (the regex that re-read the old English one is gone): the reader's
    language builds it from the cause and the day, on the plan as loaded from the database."""
    log(ana_plan, patients_today(), red_flags=["saddle_numbness"])
    with translation.override("es"):
        plan = Plan.objects.get(pk=ana_plan.pk)
        assert (plan.pause_cause, plan.pause_day, plan.pause_reason) == (
            PauseCause.WARNING_SIGN,
            patients_today(),
            "",
        )
        assert plan.patient_pause_words.startswith("Señal de alarma informada el ")


def test_the_override_prefix_is_translated_and_the_reason_kept_as_typed():
    event = ClearanceEvent(reason="Override: surgeon agreed by phone")
    assert event.reason_words == "Override: surgeon agreed by phone"
    with translation.override("es"):
        assert event.reason_words == "Excepción: surgeon agreed by phone"
