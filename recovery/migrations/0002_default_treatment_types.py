"""The default treatment types of DESIGN.md §1 (staff edit them in admin afterwards).

Where sources disagree the more cautious value is used. Swimming is contraindicated by default
after surgery and minimally invasive procedures until the clinician says the wound has healed.
"""

from django.db import migrations

from recovery.defaults import load_treatment_types


def load(apps, schema_editor):
    load_treatment_types(apps.get_model("recovery", "TreatmentType"))


class Migration(migrations.Migration):
    dependencies = [("recovery", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
