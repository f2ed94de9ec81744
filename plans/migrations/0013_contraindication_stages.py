"""Contraindications become rows of their own, with the stage they last until, and the starter
library's are filled in (issue 18, DESIGN §7).

The many-to-many table stays where it is: the model takes it over (its columns and unique pair are
the ones Django made), then gains `until_stage`. On existing installs the seeded
contraindications are added to exercises of the starter library's names that staff have given no
contraindications yet; an exercise staff have marked keeps exactly what they chose.
"""

import django.db.models.deletion
from django.db import migrations, models

# Frozen here (not imported) so that this migration does the same thing on every install, whatever
# the starter library says later: (exercise, treatment type, until stage or None for good).
SEEDED = [
    ("Knee-to-chest stretch", "Lumbar fusion", None),
    ("Knee-to-chest stretch", "Disc replacement", None),
    ("Cat-camel", "Lumbar fusion", None),
    ("Cat-camel", "Disc replacement", None),
    ("Lower-trunk rotation", "Lumbar fusion", None),
    ("Lower-trunk rotation", "Disc replacement", None),
    ("Neck side stretch", "Cervical fusion (ACDF)", 3),
]


def seed(apps, schema_editor):
    exercise_model = apps.get_model("plans", "Exercise")
    treatment_type_model = apps.get_model("recovery", "TreatmentType")
    contraindication_model = apps.get_model("plans", "Contraindication")
    kinds = {t.name: t.pk for t in treatment_type_model.objects.all()}
    untouched = {
        e.name.casefold(): e.pk
        for e in exercise_model.objects.filter(contraindication__isnull=True)
    }
    contraindication_model.objects.bulk_create(
        contraindication_model(
            exercise_id=untouched[name.casefold()], treatment_type_id=kinds[kind], until_stage=until
        )
        for name, kind, until in SEEDED
        if name.casefold() in untouched and kind in kinds
    )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0012_stage_override"),
        ("recovery", "0010_precautions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Contraindication",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "exercise",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="plans.exercise"
                            ),
                        ),
                        (
                            "treatment_type",
                            models.ForeignKey(
                                db_column="treatmenttype_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                to="recovery.treatmenttype",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "plans_exercise_contraindicated_for",
                        "unique_together": {("exercise", "treatment_type")},
                    },
                ),
                migrations.AlterField(
                    model_name="exercise",
                    name="contraindicated_for",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="contraindicated_exercises",
                        through="plans.Contraindication",
                        to="recovery.treatmenttype",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="contraindication",
            name="until_stage",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Blank: never shown. A stage (2–4): shown from that stage on.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="contraindication",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("until_stage__isnull", True),
                    models.Q(("until_stage__gte", 2), ("until_stage__lte", 4)),
                    _connector="OR",
                ),
                name="contraindication_until_stage_range",
                violation_error_message=(
                    "A contraindication lasts until stage 2, 3 or 4, or for good."
                ),
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
