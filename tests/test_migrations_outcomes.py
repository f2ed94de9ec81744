"""The outcomes migrations on a database that had none of them: an existing install gets the
shipped instruments and every treatment type the default schedule; the triggers that keep
answers append-only come and go with the migration (reversible)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outcomes.defaults import DEFAULT_SCHEDULE, SHIPPED
from outcomes.models import Instrument, ScheduledInstrument
from recovery.models import TreatmentType

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: list[tuple[str, str | None]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor


def leaf() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_an_existing_install_gets_the_instruments_and_the_default_schedule():
    migrate([("outcomes", None)])
    # Added by staff before the upgrade, when no outcomes app listened (bulk_create sends no
    # post_save: the outcomes tables do not exist at this migration).
    TreatmentType.objects.bulk_create(
        [TreatmentType(name="Kyphoplasty", category="minimally_invasive", min_days_to_clearance=7)]
    )
    migrate(leaf())
    assert set(Instrument.objects.values_list("code", flat=True)) == set(SHIPPED)
    assert not Instrument.objects.filter(kind="clinic").exists()
    rows = sum(len(codes) for codes in DEFAULT_SCHEDULE.values())
    for treatment_type in TreatmentType.objects.all():
        assert ScheduledInstrument.objects.filter(treatment_type=treatment_type).count() == rows


def triggers() -> set[str]:
    """The append-only triggers on the outcome tables, as PostgreSQL lists them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname LIKE 'outcomes%%'"
        )
        return {name for (name,) in cursor.fetchall()}


def test_the_append_only_triggers_are_reversible(postgres):
    assert triggers()
    migrate([("outcomes", "0001_instruments_questionnaires_responses")])
    assert triggers() == set()
    migrate(leaf())
    assert triggers() == {"outcomes_response_append_only", "outcomes_answer_append_only"}
