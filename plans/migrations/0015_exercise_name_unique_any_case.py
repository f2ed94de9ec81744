"""An exercise name is unique in any case, held by the database (issue 19): "Bird-dog" and
"bird-dog" were kept apart only by the admin form and the CSV import."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0014_drop_page_revision_triggers'),
        ('recovery', '0011_remove_user_page_revision'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exercise',
            name='name',
            field=models.CharField(max_length=100),
        ),
        migrations.AddConstraint(
            model_name='exercise',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='exercise_name_unique_any_case', violation_error_message='The library already has an exercise of this name (in upper or lower case).'),
        ),
    ]
