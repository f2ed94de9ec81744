"""Session logs and prescribed weeks lose the single-column index Django gave their plan key.

Each table has composite indexes that lead with the plan (sessions: (plan, week, date),
(plan, -date, -id) and the unique (plan, submission_token); weeks: the unique (plan, week)), so
the plan's own index only cost writes: one more entry, and one more page to write and log, for
every session logged. Only the indexes go; the foreign keys stay as they are (Django's own
AlterField would drop and re-add them, checking every row again).
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's names for these indexes, the same on PostgreSQL and SQLite.
INDEXES = {
    "plans_planweek": "plans_planweek_plan_id_61645d9f",
    "plans_sessionlog": "plans_sessionlog_plan_id_35571cea",
}


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_patient_records_raise_the_patients_revision"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}",
                    reverse_sql=f"CREATE INDEX {index} ON {table} (plan_id)",
                )
                for table, index in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="planweek",
                    name="plan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="weeks",
                        to="plans.plan",
                    ),
                ),
                migrations.AlterField(
                    model_name="sessionlog",
                    name="plan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to="plans.plan",
                    ),
                ),
            ],
        )
    ]
