"""The shipped instruments (pain, PSFS, PGIC) and the default schedule for every existing
treatment type (DESIGN section 8). Going back removes nothing staff may have built on: the
instruments and schedule rows are left for the schema migration before this one to drop."""

from django.db import migrations

from outcomes.defaults import load_default_schedule, load_shipped_instruments


def forward(apps, schema_editor):
    Instrument = apps.get_model("outcomes", "Instrument")
    load_shipped_instruments(
        Instrument, apps.get_model("outcomes", "Item"), apps.get_model("outcomes", "Option")
    )
    load_default_schedule(
        apps.get_model("recovery", "TreatmentType"),
        Instrument,
        apps.get_model("outcomes", "ScheduledInstrument"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_responses_append_only"),
        ("recovery", "0002_default_treatment_types"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
