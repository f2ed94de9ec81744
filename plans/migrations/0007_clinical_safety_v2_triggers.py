"""Triggers for the version 2 tables, like those of the tables before them.

- Page revisions (migrations 0003 and 0004): a symptom report or a pain follow-up changes what
  the patient's and their clinician's cached pages show, so it raises the patient's number.
- Append-only on PostgreSQL (recovery migration 0003): a pain follow-up and a symptom report are
  what the patient said, and are never rewritten: UPDATE is refused. DELETE is left to the
  cascade when a patient (and so their plans and sessions) is deleted.

Existing unacknowledged alerts are given the moment the on-call inbox is due them (an emergency
at once, a same-day alert ALERT_ESCALATE_HOURS after it was raised), so none stays unread after
the upgrade. Acknowledged ones are left alone.
"""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import migrations
from django.db.models import F

rev0003 = import_module("plans.migrations.0003_page_revision_triggers")
rev0004 = import_module("plans.migrations.0004_patient_records_raise_the_patients_revision")

PATIENT_ROWS = {
    "plans_symptomreport": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.id = {r}.patient_id",
    ),
    "plans_painfollowup": (
        ("INSERT", "UPDATE", "DELETE"),
        "plans_sessionlog l JOIN plans_plan p ON p.id = l.plan_id "
        "JOIN recovery_patientprofile pp ON pp.id = p.patient_id WHERE l.id = {r}.session_log_id",
    ),
}

APPEND_ONLY = ("plans_symptomreport", "plans_painfollowup")


def postgresql_forward() -> str:
    parts = []
    for table, (events, rows) in PATIENT_ROWS.items():
        name = f"stepwise_rev_{table}"
        parts.append(
            rev0004._pg_one_patient_function(name, rows)
            + f"CREATE CONSTRAINT TRIGGER {table}_page_revision AFTER {' OR '.join(events)} "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}();\n"
        )
    for table in APPEND_ONLY:
        # stepwise_refuse_change() comes from recovery migration 0003.
        parts.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION stepwise_refuse_change();\n"
        )
    return "\n".join(parts)


def postgresql_backward() -> str:
    parts = []
    for table in PATIENT_ROWS:
        parts.append(f"DROP TRIGGER IF EXISTS {table}_page_revision ON {table};")
        parts.append(f"DROP FUNCTION IF EXISTS stepwise_rev_{table}();")
    for table in APPEND_ONLY:
        parts.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    return "\n".join(parts)


def sqlite_forward() -> list[str]:
    statements = []
    for table, (events, rows) in PATIENT_ROWS.items():
        for name, event, r in rev0004._sqlite_names(table, events):
            statements.append(
                rev0003._sqlite_trigger(name, event, table, rev0004.patients(rows, r))
            )
    return statements


def sqlite_backward() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}"
        for table, (events, _rows) in PATIENT_ROWS.items()
        for name, _event, _r in rev0004._sqlite_names(table, events)
    ]


def forward(apps, schema_editor):
    rev0003.run(schema_editor, postgresql_forward, sqlite_forward)
    Alert = apps.get_model("plans", "Alert")
    unread = Alert.objects.filter(acknowledged_at__isnull=True, escalate_at__isnull=True)
    unread.filter(tier="emergency").update(escalate_at=F("created_at"))
    unread.filter(tier="same_day").update(
        escalate_at=F("created_at") + timedelta(hours=settings.ALERT_ESCALATE_HOURS)
    )


def backward(apps, schema_editor):
    rev0003.run(schema_editor, postgresql_backward, sqlite_backward)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0006_clinical_safety_v2"),
        ("recovery", "0003_append_only_triggers"),
    ]
    operations = [migrations.RunPython(forward, backward)]
