"""Contact and identity on the patient record (issue 17): phone, date of birth, record number."""

import datetime
import django.db.models.functions.text
from importlib import import_module

from django.db import migrations, models

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0006_email_outbox"),
    ]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name="patientprofile",
            name="date_of_birth",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="phone",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="record_number",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddConstraint(
            model_name="patientprofile",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("date_of_birth__isnull", True),
                    models.Q(
                        ("date_of_birth__gte", datetime.date(1900, 1, 1)),
                        ("date_of_birth__lte", datetime.date(2100, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="patient_date_of_birth_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="patientprofile",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("record_number"),
                condition=models.Q(("record_number", ""), _negated=True),
                name="patient_record_number_unique_ci",
            ),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
    ]
