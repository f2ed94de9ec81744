"""plans.wording: each week explained about itself, for the patient and for the clinician."""

from __future__ import annotations

import re

import pytest

from plans import engine
from plans.engine import Cause, Rules, SessionSummary, WeekLog
from plans.wording import AUDIENCES, explain, week_explanation

RULES = Rules(start_minutes=15, min_increment=5, max_increment=10, target_minutes=45,
              sessions_per_week=3)  # fmt: skip


def ok(minutes: int, pain: int = 1, before: int = 1, **extra) -> SessionSummary:
    return SessionSummary(minutes=minutes, pain=pain, pain_before=before, **extra)


# One closed history per cause: the engine decides the week after it with that cause.
HISTORIES: dict[Cause, tuple[list[WeekLog], dict]] = {
    Cause.START: ([], {}),
    Cause.RESUME: ([], {"start_at": 20}),
    Cause.WARNING_SIGN: ([WeekLog(30, (ok(30, red_flags={"fever"}),))], {}),
    Cause.URGENT_WARNING_SIGN: ([WeekLog(30, (ok(30, red_flags={"both_legs"}),))], {}),
    Cause.SHARP_PAIN: ([WeekLog(30, (ok(30, sharp_pain=True),))], {}),
    Cause.PAIN_HIGH: ([WeekLog(30, (ok(30, pain=8),))], {}),
    Cause.PAIN_HIGH_LASTED: ([WeekLog(30, (ok(30, pain=7, pain_lasted_hours=36),))], {}),
    Cause.PAIN_ROSE: ([WeekLog(30, (ok(30, pain=6, before=1),))], {}),
    Cause.PAIN_LASTED: ([WeekLog(30, (ok(30, pain=3, pain_lasted_hours=12),))], {}),
    Cause.NO_SESSIONS: ([WeekLog(30), WeekLog(30)], {}),
    Cause.OVERDOING_SESSION: ([WeekLog(20, (ok(50),))], {}),
    Cause.OVERDOING_WEEK: ([WeekLog(20, (ok(35), ok(35), ok(35)))], {}),
    Cause.TOO_FEW: ([WeekLog(30, (ok(30),))], {}),
    Cause.AT_TARGET: ([WeekLog(45, (ok(45),) * 3)], {}),
    Cause.TARGET_LOWERED: ([WeekLog(50, (ok(50),) * 3)], {}),
    Cause.COMFORTABLE: ([WeekLog(20, (ok(20),) * 3)], {}),
    Cause.NOT_ALWAYS_COMFORTABLE: ([WeekLog(20, (ok(20, pain=4),) * 3)], {}),
    Cause.PAIN_NOT_GIVEN: ([WeekLog(20, (SessionSummary(minutes=20),) * 3)], {}),
}


def prescription(cause: Cause) -> engine.Prescription:
    history, options = HISTORIES[cause]
    made = engine.next_week(RULES, history, **options)
    assert made.cause is cause, f"the history for {cause} decides {made.cause}"
    return made


def test_every_cause_has_a_history_here():
    assert set(HISTORIES) == set(Cause) - {Cause.NONE}


@pytest.mark.parametrize("cause", [c for c in Cause if c is not Cause.NONE], ids=str)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_cause_is_explained_for_both_audiences_with_its_numbers(cause, audience):
    made = prescription(cause)
    for week in (None, made.week):
        sentence = week_explanation(made.cause, made.cause_numbers, audience=audience, week=week)
        assert sentence, f"{cause} has no sentence for the {audience}"
        assert sentence[0].isupper() and sentence.endswith(".")
        assert "next week" not in sentence  # said about the week it explains
        assert str(made.minutes) in sentence or made.decision is engine.Decision.STOP
        # The numbers the patient's own week is judged by are named.
        for name in ("completed", "pain", "rise", "session_minutes", "total", "planned_total"):
            if name in dict(made.cause_numbers):
                assert re.search(rf"\b{dict(made.cause_numbers)[name]}\b", sentence), name
        if audience == "patient":
            assert sentence.startswith("This week" if week is None else f"Week {made.week}")
        else:
            assert " you" not in f" {sentence.lower()}", "the clinician's words are third person"


def test_the_patient_hears_this_week_and_last_week():
    made = prescription(Cause.TOO_FEW)
    numbers = dict(made.cause_numbers)
    assert numbers["minutes"] == 30 and numbers["completed"] == 1
    patient = week_explanation(made.cause, made.cause_numbers, audience="patient")
    assert patient.startswith(
        "This week stays at 30 minutes because last week you completed 1 of 3 sessions."
    )
    clinician = week_explanation(made.cause, made.cause_numbers, audience="clinician")
    assert clinician.startswith("Stays at 30 minutes: completed 1 of 3 sessions last week")


def test_named_weeks_point_at_the_week_before():
    made = prescription(Cause.TOO_FEW)
    patient = week_explanation(made.cause, made.cause_numbers, audience="patient", week=4)
    assert patient.startswith("Week 4 stays at 30 minutes because in week 3 you completed 1 of 3")
    clinician = week_explanation(made.cause, made.cause_numbers, audience="clinician", week=4)
    assert "completed 1 of 3 sessions in week 3" in clinician
    empty = prescription(Cause.NO_SESSIONS)
    assert "in weeks 4 and 5" in week_explanation(
        empty.cause, empty.cause_numbers, audience="patient", week=6
    )


def test_a_reduction_says_from_what_to_what_and_who_was_told():
    made = prescription(Cause.PAIN_HIGH_LASTED)
    patient = week_explanation(made.cause, made.cause_numbers, audience="patient")
    assert patient == (
        "This week eases back from 30 to 20 minutes because last week your pain reached 7 out "
        "of 10 and lasted more than 24 hours, and your care team has been told."
    )
    clinician = week_explanation(made.cause, made.cause_numbers, audience="clinician")
    assert clinician == (
        "Eases back from 30 to 20 minutes: pain reached 7/10 and lasted more than 24 hours "
        "last week (severe pain, flagged for review)."
    )


def test_no_cause_falls_back_to_the_stored_reason():
    assert week_explanation(Cause.NONE, {}, audience="patient") == ""
    assert week_explanation("retired_code", {}, audience="clinician") == ""
    assert explain("", {}, "Stored sentence.", audience="patient") == "Stored sentence."
    made = prescription(Cause.START)
    assert explain("start", '{"minutes": 15}', made.reason, audience="patient").startswith(
        "This week starts gently at 15 minutes"
    )
    with pytest.raises(ValueError, match="audience"):
        week_explanation(Cause.START, {"minutes": 15}, audience="nurse")
