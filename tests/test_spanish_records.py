"""Records stay English, readers read their language (issue 23): a correction's "before" is
stored in English whatever the patient's language (it is a record), and the sentences the system
stores in English (a warning sign's pause reason, the clearance override prefix) are said in the
reader's language when shown, old rows included."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from plans.models import SessionLogRevision
from plans.models.plan import pause_reason_words, warning_sign_pause_reason
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


def test_the_stored_pause_reason_is_read_in_the_readers_language():
    stored = warning_sign_pause_reason(date(2026, 12, 3))
    assert stored == "Warning sign reported on 3 December 2026."  # as old rows hold it
    assert pause_reason_words(stored) == stored
    with translation.override("es"):
        assert pause_reason_words(stored) == "Señal de alarma informada el 3 de diciembre de 2026."
        assert (
            pause_reason_words("Paused by Dr Cho: travelling.") == "Paused by Dr Cho: travelling."
        )


def test_the_override_prefix_is_translated_and_the_reason_kept_as_typed():
    event = ClearanceEvent(reason="Override: surgeon agreed by phone")
    assert event.reason_words == "Override: surgeon agreed by phone"
    with translation.override("es"):
        assert event.reason_words == "Excepción: surgeon agreed by phone"
