"""Stage gates by time since the procedure (issue 18, DESIGN §7): days before stages 2, 3 and 4
on each treatment type. The default types get the table's values; a type staff added keeps the
field defaults (0 / 14 / 42), which they edit in the admin."""

from importlib import import_module

from django.db import migrations, models

from recovery.defaults import stage_gate_fields

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


def fill_gates(apps, schema_editor):
    TreatmentType = apps.get_model("recovery", "TreatmentType")
    for kind in TreatmentType.objects.all():
        gates = stage_gate_fields(kind.name)
        if gates:
            TreatmentType.objects.filter(pk=kind.pk).update(**gates)


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0007_patient_contact"),
    ]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name="treatmenttype",
            name="days_before_stage_2",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Days after the procedure before stage 2 (core stability)."
            ),
        ),
        migrations.AddField(
            model_name="treatmenttype",
            name="days_before_stage_3",
            field=models.PositiveSmallIntegerField(
                default=14,
                help_text="Days after the procedure before stage 3 (challenging core, light resistance, elliptical).",
            ),
        ),
        migrations.AddField(
            model_name="treatmenttype",
            name="days_before_stage_4",
            field=models.PositiveSmallIntegerField(
                default=42,
                help_text="Days after the procedure before stage 4 (running, heavy lifting, contact sport).",
            ),
        ),
        migrations.AddConstraint(
            model_name="treatmenttype",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("days_before_stage_2__lt", models.F("days_before_stage_3")),
                    ("days_before_stage_3__lt", models.F("days_before_stage_4")),
                    ("days_before_stage_4__lte", 3650),
                ),
                name="treatment_type_stage_gates_increase",
            ),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
        # Last: on PostgreSQL the update leaves trigger events pending, and no ALTER may follow.
        migrations.RunPython(fill_gates, migrations.RunPython.noop),
    ]
