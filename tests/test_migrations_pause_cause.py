"""plans 0018: a plan's pause reason, once English text, becomes its cause as data, and back.

Rows are written at the latest migration, the migration is reversed (the old English text is
rebuilt from each cause), old-style rows the services used to write are added as text, and the
migration is applied again (each text becomes its cause, with its day or its STOP week).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from plans.models import PauseCause, Plan, PlanStatus, PlanWeek

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("plans", "0017_starter_doses")
STOP_REASON = "You reported an urgent warning sign, so your plan is paused until reviewed."


def migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def leaf() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def stored_text() -> dict[int, str]:
    """`pause_reason` of every plan, read with SQL (the models are ahead of the schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, pause_reason FROM plans_plan")
        return dict(cursor.fetchall())


def set_text(pk: int, text: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE plans_plan SET pause_reason = %s WHERE id = %s", [text, pk])


def causes() -> dict[int, tuple]:
    return {
        plan.pk: (plan.pause_cause, plan.pause_day, plan.pause_week_id, plan.pause_reason)
        for plan in Plan.objects.all()
    }


def ended_copy(plan: Plan, **pause) -> Plan:
    """Another plan of the same patient, ended after a pause (one open plan per patient)."""
    copy = Plan.objects.get(pk=plan.pk)
    copy.pk = None
    for name, value in {"status": PlanStatus.COMPLETED, **pause}.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def stop_week(plan: Plan, week: int, reason: str = STOP_REASON) -> PlanWeek:
    return PlanWeek.objects.create(
        plan=plan,
        week=week,
        minutes=0,
        sessions_per_week=0,
        decision="stop",
        reason=reason,
        cause="urgent_warning_sign",
    )


@pytest.fixture
def migrated_back_and_forth():
    """Leave the schema at the latest migration, however the test ends."""
    yield
    migrate(leaf())


def test_pause_causes_become_text_and_text_becomes_causes(ana_plan, migrated_back_and_forth):
    sign = ended_copy(ana_plan, pause_cause=PauseCause.WARNING_SIGN, pause_day=date(2026, 12, 3))
    engine_stop = ended_copy(ana_plan)
    stop = stop_week(engine_stop, 4)
    PlanWeek.objects.filter(plan=ana_plan, week=1).update(reason="Starts gently.")
    Plan.objects.filter(pk=engine_stop.pk).update(pause_cause=PauseCause.WEEK_STOP, pause_week=stop)
    withdrawn = ended_copy(
        ana_plan, pause_cause=PauseCause.CLEARANCE_WITHDRAWN, pause_reason="MRI pending."
    )
    typed = ended_copy(ana_plan, pause_cause=PauseCause.CLINICIAN, pause_reason="Travelling.")
    # Old rows that only look like a system sentence are a clinician's words: no such day, a
    # week's reason of another plan, the prefix with nothing after it, a misspelt month.
    odd = {
        ended_copy(ana_plan).pk: "Warning sign reported on 31 February 2026.",
        ended_copy(ana_plan).pk: "Starts gently.",
        ended_copy(ana_plan).pk: "Clearance withdrawn by your care team: ",
        ended_copy(ana_plan).pk: "Warning sign reported on 3 Decembre 2026.",
    }
    at_leaf = causes()
    assert at_leaf[ana_plan.pk] == ("", None, None, "")  # never paused

    migrate([BEFORE])  # reversed: the English text the services used to store
    assert stored_text() == {
        ana_plan.pk: "",
        sign.pk: "Warning sign reported on 3 December 2026.",
        engine_stop.pk: STOP_REASON,
        withdrawn.pk: "Clearance withdrawn by your care team: MRI pending.",
        typed.pk: "Travelling.",
        **dict.fromkeys(odd, ""),
    }
    for pk, text in odd.items():
        set_text(pk, text)
    set_text(sign.pk, "Warning sign reported on 29 February 2028.")  # a leap day

    migrate(leaf())
    after = causes()
    assert after == {
        **at_leaf,
        sign.pk: (PauseCause.WARNING_SIGN, date(2028, 2, 29), None, ""),
        **{pk: (PauseCause.CLINICIAN, None, None, text) for pk, text in odd.items()},
    }
    with_week = Plan.objects.select_related("pause_week").get(pk=engine_stop.pk)
    assert with_week.clinician_pause_words == (
        "No exercise: an emergency warning sign reported in week 3; paused until reviewed."
    )


def test_a_reason_equal_to_a_week_reason_takes_the_stop_week(ana_plan, migrated_back_and_forth):
    """The same sentence on a STOP week and an earlier week: the STOP week is the cause."""
    paused = ended_copy(ana_plan)
    stop = stop_week(paused, 5)
    PlanWeek.objects.create(
        plan=paused, week=1, minutes=15, sessions_per_week=3, decision="start", reason=STOP_REASON
    )
    migrate([BEFORE])
    set_text(paused.pk, STOP_REASON)
    migrate(leaf())
    assert causes()[paused.pk] == (PauseCause.WEEK_STOP, None, stop.pk, "")
