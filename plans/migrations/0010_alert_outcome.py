"""Closing an alert records what was done (issue 17, DESIGN section 14).

Alerts closed before this keep their who and when, with the outcome "closed before outcomes were
recorded", so the constraint holds for every row.
"""

from importlib import import_module

from django.db import migrations, models
from django.db.models import Q

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


class Migration(migrations.Migration):
    dependencies = [("plans", "0009_week_causes")]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name="alert",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("spoke_advised", "Spoke with the patient and advised them"),
                    ("sent_emergency", "Advised the emergency department or 911"),
                    ("appointment", "Booked an urgent appointment"),
                    ("no_answer", "Called, no answer: left a message"),
                    ("no_contact_needed", "Reviewed the record: no contact needed"),
                    ("other", "Something else (say what in the note)"),
                    ("plan_ended", "Closed when the clinician resumed or replaced the plan"),
                    ("not_recorded", "Closed before outcomes were recorded"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="outcome_note",
            field=models.TextField(blank=True, default="", max_length=1000),
        ),
        migrations.RunSQL(
            "UPDATE plans_alert SET outcome = 'not_recorded' WHERE acknowledged_at IS NOT NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, outcome="")
                | Q(
                    acknowledged_at__isnull=False,
                    outcome__in=[
                        "spoke_advised",
                        "sent_emergency",
                        "appointment",
                        "no_answer",
                        "no_contact_needed",
                        "other",
                        "plan_ended",
                        "not_recorded",
                    ],
                ),
                name="alert_closed_with_outcome",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.CheckConstraint(
                condition=~Q(outcome="other") | ~Q(outcome_note=""),
                name="alert_other_outcome_has_note",
            ),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
    ]
