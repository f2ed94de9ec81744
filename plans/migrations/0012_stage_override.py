"""Why a plan's stage was allowed before its gate (issue 18, DESIGN §7)."""

from importlib import import_module

from django.db import migrations, models

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0011_session_corrections"),
    ]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name="plan",
            name="stage_override_reason",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
    ]
