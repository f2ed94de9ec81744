"""Plan starts and session dates lie in [2000-01-01, 2100-12-31] (issue 16, finding 2).

As recovery migration 0005: a stored date outside the range is clamped to the nearest bound and
the repair audited (`date_repaired`), then the check constraints are added. A plan start of
9999-12-25 (accepted at approval before) becomes 2100-12-31: the record page answers again, and
the clinician can pause and resume the plan to restart it today.
"""

from datetime import date
from importlib import import_module

from django.db import migrations, models

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


def repair(apps, schema_editor):
    recovery0005.clamp_dates(
        apps,
        schema_editor,
        [
            ("plans", "Plan", "start_date", "patient_id"),
            ("plans", "SessionLog", "date", "plan__patient_id"),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0007_clinical_safety_v2_triggers"),
        ("recovery", "0005_date_ranges"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop),
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("start_date__gte", date(2000, 1, 1)), ("start_date__lte", date(2100, 12, 31))
                ),
                name="plan_start_date_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="sessionlog",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("date__gte", date(2000, 1, 1)), ("date__lte", date(2100, 12, 31))
                ),
                name="sessionlog_date_range",
            ),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
    ]
