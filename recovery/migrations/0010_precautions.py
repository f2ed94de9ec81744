"""Precautions as data (issue 18, DESIGN §7): no bending, lifting or twisting until a date and a
lifting limit until a date on the clearance, with defaults per treatment type (fusion, ACDF and
disc replacement: 6 weeks, 4.5 kg). Existing clearances get none: their free-text restrictions
stay as they were, and the clinician adds structured ones on the clearance page."""

from importlib import import_module

import datetime
from django.db import migrations, models

from recovery.defaults import precaution_fields

recovery0005 = import_module("recovery.migrations.0005_date_ranges")


def fill_defaults(apps, schema_editor):
    TreatmentType = apps.get_model("recovery", "TreatmentType")
    for kind in TreatmentType.objects.all():
        fields = precaution_fields(kind.name)
        if fields:
            TreatmentType.objects.filter(pk=kind.pk).update(**fields)


class Migration(migrations.Migration):

    dependencies = [
        ('recovery', '0009_wound_healed'),
    ]

    operations = [
        # SQLite only: the triggers come off for the table rebuild (recovery migration 0005).
        migrations.RunPython(recovery0005.sqlite_triggers_off, recovery0005.sqlite_triggers_on),
        migrations.AddField(
            model_name='clearance',
            name='lifting_limit_kg',
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True),
        ),
        migrations.AddField(
            model_name='clearance',
            name='lifting_limit_until',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='clearance',
            name='no_bending_until',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='treatmenttype',
            name='default_lifting_limit_kg',
            field=models.DecimalField(blank=True, decimal_places=1, help_text='Lifting limit (kg) for the same weeks; empty for none.', max_digits=4, null=True),
        ),
        migrations.AddField(
            model_name='treatmenttype',
            name='precaution_weeks',
            field=models.PositiveSmallIntegerField(default=0, help_text='Weeks after the procedure with no bending, lifting or twisting.'),
        ),
        migrations.AddConstraint(
            model_name='clearance',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('no_bending_until__gte', datetime.date(2000, 1, 1)), ('no_bending_until__lte', datetime.date(2100, 12, 31))), ('no_bending_until__isnull', True), _connector='OR'), name='clearance_no_bending_until_range'),
        ),
        migrations.AddConstraint(
            model_name='clearance',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('lifting_limit_until__gte', datetime.date(2000, 1, 1)), ('lifting_limit_until__lte', datetime.date(2100, 12, 31))), ('lifting_limit_until__isnull', True), _connector='OR'), name='clearance_lifting_limit_until_range'),
        ),
        migrations.AddConstraint(
            model_name='clearance',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('lifting_limit_kg__isnull', True), ('lifting_limit_until__isnull', True)), models.Q(('lifting_limit_kg__gte', 0.5), ('lifting_limit_kg__lte', 50), ('lifting_limit_until__isnull', False)), _connector='OR'), name='clearance_lifting_limit_complete'),
        ),
        migrations.RunPython(recovery0005.sqlite_triggers_on, recovery0005.sqlite_triggers_off),
        # Last: on PostgreSQL the update leaves trigger events pending, and no ALTER may follow.
        migrations.RunPython(fill_defaults, migrations.RunPython.noop),
    ]
