"""A patient's records raise the patient's page revision only, no longer their clinician's.

Migration 0003 raised both. The clinician's only cached page that lists patients, the triage,
is now keyed by the clinician's own revision and the sum of their patients' revisions
(`plans.triage.panel_revision`): each patient's number only rises, and who is on the panel
changes only with a patient profile, which still raises the clinician's own number (the old
clinician's and the new one's). So any change to a patient on the list still gives the triage
a new key, while a patient's log no longer writes their clinician's user row.

Measured on the log POST (benchmark data, 16 connections): the second row bump and its ordered
lock cost ~10 % of the requests per second; the triage pays one indexed sum over its panel.

Still raising the clinician as before: clinician profiles (0003's recovery_clinicianprofile),
patient profiles (membership) and names (recovery_user). Unchanged on SQLite but for the same
patients-only rule.

Also: the user table's "never lower" trigger now runs only when an update would not raise the
number (WHEN), instead of calling its function for every bump.
"""

from importlib import import_module

from django.db import migrations

rev0003 = import_module("plans.migrations.0003_page_revision_triggers")

# Tables whose rows are one patient's records: they raise that patient's number only.
PATIENT_ONLY = {
    table: spec
    for table, spec in rev0003.PATIENT_ROWS.items()
    if table != "recovery_clinicianprofile"
}


def patients(rows_sql: str, r: str) -> str:
    """The user ids of the patients whose profiles `rows_sql` binds as `pp`."""
    return f"SELECT pp.user_id FROM {rows_sql.format(r=r)}"  # noqa: S608 (0003's constants)


RISES_WHEN = """
DROP TRIGGER IF EXISTS recovery_user_page_revision_rises ON recovery_user;
CREATE TRIGGER recovery_user_page_revision_rises BEFORE UPDATE ON recovery_user
    FOR EACH ROW WHEN (NEW.page_revision <= OLD.page_revision)
    EXECUTE FUNCTION stepwise_page_revision_rises();
"""


# Rows that belong to one patient (all but treatment types, shared by many): an insert or a
# delete raises one user row, needing no ordered lock of several first.
MANY_PATIENTS = {"recovery_treatmenttype"}

PG_BUMP_ONE = """
    UPDATE recovery_user SET page_revision = page_revision + 1 WHERE id = ({user});"""


def _pg_one_patient_function(name: str, rows: str) -> str:
    new, old = patients(rows, "NEW"), patients(rows, "OLD")
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN"
        f"\n    IF TG_OP = 'INSERT' THEN{PG_BUMP_ONE.format(user=new)}"
        f"\n    ELSIF TG_OP = 'DELETE' THEN{PG_BUMP_ONE.format(user=old)}"
        f"\n    ELSE{rev0003.PG_BUMP.format(users=f'{new} UNION {old}')}"
        "\n    END IF;\n    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;\n"
    )


def postgresql_forward() -> str:
    # The triggers call these functions by name: replacing the functions is enough.
    parts = [
        rev0003._pg_function(
            f"stepwise_rev_{table}", patients(rows, "NEW"), patients(rows, "OLD")
        )
        if table in MANY_PATIENTS
        else _pg_one_patient_function(f"stepwise_rev_{table}", rows)
        for table, (_events, rows) in PATIENT_ONLY.items()
    ]
    parts.append(RISES_WHEN)
    return "\n".join(parts)


def _sqlite_names(table: str, events) -> list[tuple[str, str, str]]:
    return [
        (f"{table}_page_revision_{event.lower()}_{r.lower()}", event, r)
        for event, r in rev0003._changed_rows(events)
    ]


def sqlite_forward() -> list[str]:
    statements = []
    for table, (events, rows) in PATIENT_ONLY.items():
        for name, event, r in _sqlite_names(table, events):
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            statements.append(rev0003._sqlite_trigger(name, event, table, patients(rows, r)))
    return statements


def forward(apps, schema_editor):
    rev0003.run(schema_editor, postgresql_forward, sqlite_forward)


def backward(apps, schema_editor):
    """Back to 0003's triggers exactly."""
    rev0003.backward(apps, schema_editor)
    rev0003.forward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("plans", "0003_page_revision_triggers")]
    operations = [migrations.RunPython(forward, backward)]
