"""Answers are stored once: the database refuses to update or delete a response or an answer,
whatever code runs (the models refuse too), as it does for the audit trail (recovery migration
0003). PostgreSQL reuses that migration's `stepwise_refuse_change()`; SQLite gets its own
triggers, so the embedded default keeps the promise as well. Reversible.
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


def sqlite_forward() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table} "
        f"FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {event} refused'); "
        "END"
        for table in TABLES
        for event in ("UPDATE", "DELETE")
    ]


def sqlite_backward() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only_{event}"
        for table in TABLES
        for event in ("update", "delete")
    ]


def run(schema_editor, postgresql, sqlite) -> None:
    """The connection's own triggers (other databases get none)."""
    vendor = schema_editor.connection.vendor
    statements = postgresql() if vendor == "postgresql" else sqlite() if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    run(schema_editor, postgresql_forward, sqlite_forward)


def backward(apps, schema_editor):
    run(schema_editor, postgresql_backward, sqlite_backward)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_instruments_questionnaires_responses"),
        ("recovery", "0003_append_only_triggers"),  # stepwise_refuse_change()
    ]
    operations = [migrations.RunPython(forward, backward)]
