"""The date a surgical wound was seen healed, on the clearance (issue 18, DESIGN §1 rule 2, §7).

Nothing a patient already had disappears: an approved clearance after surgery or a minimally
invasive procedure that already allows water exercise was the clinician's judgement that the
wound had healed, so it gets its decision's date, audited (`wound_healed_assumed`).
"""

import datetime
from importlib import import_module

from django.db import migrations, models

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


def carry_over(apps, schema_editor):
    Clearance = apps.get_model("recovery", "Clearance")
    AuditEvent = apps.get_model("recovery", "AuditEvent")
    approved = Clearance.objects.filter(
        status="approved",
        treatment__treatment_type__category__in=["surgical", "minimally_invasive"],
        decided_at__isnull=False,
    )
    for clearance in approved:
        if "water" not in (clearance.allowed_activities or []):
            continue
        day = clearance.decided_at.date()
        Clearance.objects.filter(pk=clearance.pk).update(wound_healed_on=day)
        AuditEvent.objects.create(
            action="wound_healed_assumed",
            object_type="recovery.Clearance",
            object_id=str(clearance.pk),
            patient_id=clearance.patient_id,
            detail={"on": day.isoformat()},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0008_stage_gates"),
    ]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name="clearance",
            name="wound_healed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="clearance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("wound_healed_on__gte", datetime.date(2000, 1, 1)),
                        ("wound_healed_on__lte", datetime.date(2100, 12, 31)),
                    ),
                    ("wound_healed_on__isnull", True),
                    _connector="OR",
                ),
                name="clearance_wound_healed_on_range",
            ),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
        # Last: on PostgreSQL the update leaves trigger events pending, and no ALTER may follow.
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
