"""Every stored date lies in [2000-01-01, 2100-12-31] (issue 16, finding 2).

A procedure date of 9999-12-31 or a plan start of 9999-12-25 used to be accepted, and from then on
every page that adds days to it (the clearance's earliest day, a plan's week bounds) answered 500
with `OverflowError`. The forms and services now refuse such dates; these check constraints make
sure no other writer (admin, shell, import, raw SQL) can store one.

Rows stored before: a date outside the range is clamped to the nearest bound (9999-12-31 becomes
2100-12-31, year 1 becomes 2000-01-01), so the pages that failed answer again and show the date
plainly wrong rather than hiding the row; each repair is written to the audit log
(`date_repaired`, with the field, the old and the new value) so the clinic can find the record and
put it right (a clinician can pause and resume a plan, which restarts it today; a pending
clearance can be declined and requested again). Nothing else about the row changes.
"""

from datetime import date

from django.db import migrations, models

FLOOR = date(2000, 1, 1)
CEILING = date(2100, 12, 31)


def clamp_dates(apps, schema_editor, targets):
    """Clamp each (app, model, field, patient path) date into [FLOOR, CEILING], audited."""
    AuditEvent = apps.get_model("recovery", "AuditEvent")
    for app_label, model_name, field, patient_path in targets:
        model = apps.get_model(app_label, model_name)
        wild = model.objects.filter(
            models.Q(**{f"{field}__lt": FLOOR}) | models.Q(**{f"{field}__gt": CEILING})
        ).values_list("pk", field, patient_path)
        for pk, before, patient_id in list(wild):
            after = FLOOR if before < FLOOR else CEILING
            model.objects.filter(pk=pk).update(**{field: after})
            AuditEvent.objects.create(
                action="date_repaired",
                object_type=f"{app_label}.{model._meta.object_name}",
                object_id=str(pk),
                patient_id=patient_id,
                detail={"field": field, "before": before.isoformat(), "after": after.isoformat()},
            )
    if schema_editor.connection.vendor == "postgresql":
        # The page-revision triggers are deferred to COMMIT; PostgreSQL refuses to ALTER a table
        # with trigger events pending, so they run now, before the constraints are added.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# SQLite rebuilds a table to add a check constraint, and a trigger naming the table forbids the
# rebuild (and the rebuild would drop the table's own triggers): every trigger comes off before
# and goes back on, exactly as it was, after. PostgreSQL needs neither.
_sqlite_triggers: list[tuple[str, str]] = []


def sqlite_triggers_off(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        _sqlite_triggers[:] = cursor.fetchall()
    for name, _sql in _sqlite_triggers:
        schema_editor.execute(f'DROP TRIGGER "{name}"')


def sqlite_triggers_on(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for _name, sql in _sqlite_triggers:
        schema_editor.execute(sql)
    _sqlite_triggers.clear()


def repair(apps, schema_editor):
    clamp_dates(
        apps,
        schema_editor,
        [
            ("recovery", "Treatment", "procedure_date", "patient_id"),
            ("recovery", "Clearance", "start_date", "patient_id"),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0004_user_page_revision"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop),
        migrations.RunPython(sqlite_triggers_off, sqlite_triggers_on),
        migrations.AddConstraint(
            model_name="treatment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("procedure_date__gte", date(2000, 1, 1)),
                    ("procedure_date__lte", date(2100, 12, 31)),
                ),
                name="treatment_procedure_date_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="clearance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("start_date__gte", date(2000, 1, 1)),
                        ("start_date__lte", date(2100, 12, 31)),
                    ),
                    ("start_date__isnull", True),
                    _connector="OR",
                ),
                name="clearance_start_date_range",
            ),
        ),
        migrations.RunPython(sqlite_triggers_on, sqlite_triggers_off),
    ]
