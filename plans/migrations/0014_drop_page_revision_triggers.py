"""The page cache is gone (issue 19), and with it the triggers that raised `User.page_revision`
for it (migrations 0003, 0004 and 0007) and their functions. The append-only triggers stay.

Reversible: going back re-creates them as those migrations did.
"""

from importlib import import_module

from django.db import migrations

rev0003 = import_module("plans.migrations.0003_page_revision_triggers")
rev0004 = import_module("plans.migrations.0004_patient_records_raise_the_patients_revision")
rev0007 = import_module("plans.migrations.0007_clinical_safety_v2_triggers")

PG_TRIGGERS = r"""
SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgname LIKE '%page\_revision%'
"""
PG_FUNCTIONS = r"""
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema()
  AND (p.proname LIKE 'stepwise\_rev\_%' OR p.proname = 'stepwise_page_revision_rises')
"""
SQLITE_TRIGGERS = r"""
SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%page\_revision%' ESCAPE '\'
"""


def drop(apps, schema_editor):
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_TRIGGERS)
            statements = [f"DROP TRIGGER {quote(t)} ON {quote(table)}" for t, table in cursor]
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(PG_FUNCTIONS)
            for (function,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION {quote(function)}()")
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_TRIGGERS)
            for (trigger,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER {quote(trigger)}")


def _pg_revision_part_of_0007() -> str:
    return "\n".join(
        rev0004._pg_one_patient_function(f"stepwise_rev_{table}", rows)
        + f"CREATE CONSTRAINT TRIGGER {table}_page_revision AFTER {' OR '.join(events)} "
        f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "
        f"stepwise_rev_{table}();\n"
        for table, (events, rows) in rev0007.PATIENT_ROWS.items()
    )


def restore(apps, schema_editor):
    rev0003.forward(apps, schema_editor)
    rev0004.forward(apps, schema_editor)
    rev0003.run(schema_editor, _pg_revision_part_of_0007, rev0007.sqlite_forward)


class Migration(migrations.Migration):
    dependencies = [("plans", "0013_contraindication_stages")]
    operations = [migrations.RunPython(drop, restore)]
