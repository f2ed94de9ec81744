"""Answers are stored once: PostgreSQL refuses to update or delete a response or an answer,
whatever code runs (the models refuse too), as it does for the audit trail (recovery migration
0003, whose `stepwise_refuse_change()` this reuses). Like that migration, SQLite (the embedded
development default) gets none: Django empties a SQLite database with DELETE (`flush`, for
`seed_demo --reset` and the tests), which a row trigger would refuse, where PostgreSQL's
TRUNCATE fires no row trigger. Reversible.
"""

from django.db import migrations

TABLES = ("outcomes_response", "outcomes_answer")


def postgresql_forward() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION stepwise_refuse_change()"
        for table in TABLES
    ]


def postgresql_backward() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES]


def run(schema_editor, statements) -> None:
    """PostgreSQL's triggers; other databases get none."""
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements():
            schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    run(schema_editor, postgresql_forward)


def backward(apps, schema_editor):
    run(schema_editor, postgresql_backward)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_instruments_questionnaires_responses"),
        ("recovery", "0003_append_only_triggers"),  # stepwise_refuse_change()
    ]
    operations = [migrations.RunPython(forward, backward)]
