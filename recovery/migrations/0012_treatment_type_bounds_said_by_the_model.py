"""Treatment type bounds said by the model (issue 19): validators beside each field, and the
database constraints report what relates two fields with a message of their own. No table
changes."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recovery', '0011_remove_user_page_revision'),
    ]

    operations = [
        migrations.AlterField(
            model_name='treatmenttype',
            name='days_before_stage_2',
            field=models.PositiveSmallIntegerField(default=0, help_text='Days after the procedure before stage 2 (core stability).', validators=[django.core.validators.MinValueValidator(0, message='Days before stage 2 must be between 0 and 3650.'), django.core.validators.MaxValueValidator(3650, message='Days before stage 2 must be between 0 and 3650.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='days_before_stage_3',
            field=models.PositiveSmallIntegerField(default=14, help_text='Days after the procedure before stage 3 (challenging core, light resistance, elliptical).', validators=[django.core.validators.MinValueValidator(0, message='Days before stage 3 must be between 0 and 3650.'), django.core.validators.MaxValueValidator(3650, message='Days before stage 3 must be between 0 and 3650.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='days_before_stage_4',
            field=models.PositiveSmallIntegerField(default=42, help_text='Days after the procedure before stage 4 (running, heavy lifting, contact sport).', validators=[django.core.validators.MinValueValidator(0, message='Days before stage 4 must be between 0 and 3650.'), django.core.validators.MaxValueValidator(3650, message='Days before stage 4 must be between 0 and 3650.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_lifting_limit_kg',
            field=models.DecimalField(blank=True, decimal_places=1, help_text='Lifting limit (kg) for the same weeks; empty for none.', max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.5'), message='A lifting limit (kg) must be between 0.5 and 50.'), django.core.validators.MaxValueValidator(Decimal('50'), message='A lifting limit (kg) must be between 0.5 and 50.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_max_increment',
            field=models.PositiveSmallIntegerField(default=10, validators=[django.core.validators.MinValueValidator(5, message='The largest step must be between 5 and 10.'), django.core.validators.MaxValueValidator(10, message='The largest step must be between 5 and 10.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_max_stage',
            field=models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1, message='The highest default stage must be between 1 and 4.'), django.core.validators.MaxValueValidator(4, message='The highest default stage must be between 1 and 4.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_min_increment',
            field=models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(5, message='The smallest step must be between 5 and 10.'), django.core.validators.MaxValueValidator(10, message='The smallest step must be between 5 and 10.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_sessions_per_week',
            field=models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1, message='Sessions per week must be between 1 and 7.'), django.core.validators.MaxValueValidator(7, message='Sessions per week must be between 1 and 7.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_start_minutes',
            field=models.PositiveSmallIntegerField(default=15, validators=[django.core.validators.MinValueValidator(10, message="The first week's session length (minutes) must be between 10 and 15."), django.core.validators.MaxValueValidator(15, message="The first week's session length (minutes) must be between 10 and 15.")]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='default_target_minutes',
            field=models.PositiveSmallIntegerField(default=45, validators=[django.core.validators.MinValueValidator(10, message='The target (minutes per session) must be between 10 and 120.'), django.core.validators.MaxValueValidator(120, message='The target (minutes per session) must be between 10 and 120.')]),
        ),
        migrations.AlterField(
            model_name='treatmenttype',
            name='precaution_weeks',
            field=models.PositiveSmallIntegerField(default=0, help_text='Weeks after the procedure with no bending, lifting or twisting.', validators=[django.core.validators.MinValueValidator(0, message='Weeks of precautions must be between 0 and 104.'), django.core.validators.MaxValueValidator(104, message='Weeks of precautions must be between 0 and 104.')]),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_category_valid',
            constraint=models.CheckConstraint(condition=models.Q(('category__in', ['conservative', 'injection', 'minimally_invasive', 'surgical'])), name='treatment_type_category_valid', violation_error_message='Choose a category from the list.'),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_start_range',
            constraint=models.CheckConstraint(condition=models.Q(('default_start_minutes__gte', 10), ('default_start_minutes__lte', 15)), name='treatment_type_start_range', violation_error_message="The first week's session length must be between 10 and 15 minutes."),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_increment_range',
            constraint=models.CheckConstraint(condition=models.Q(('default_max_increment__lte', 10), ('default_min_increment__gte', 5), ('default_min_increment__lte', models.F('default_max_increment'))), name='treatment_type_increment_range', violation_error_message='The smallest weekly step cannot be larger than the largest step.'),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_target_range',
            constraint=models.CheckConstraint(condition=models.Q(('default_target_minutes__gte', models.F('default_start_minutes')), ('default_target_minutes__lte', 120)), name='treatment_type_target_range', violation_error_message="The target must be at least the first week's session length."),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_sessions_range',
            constraint=models.CheckConstraint(condition=models.Q(('default_sessions_per_week__gte', 1), ('default_sessions_per_week__lte', 7)), name='treatment_type_sessions_range', violation_error_message='Sessions per week must be between 1 and 7.'),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_stage_range',
            constraint=models.CheckConstraint(condition=models.Q(('default_max_stage__gte', 1), ('default_max_stage__lte', 4)), name='treatment_type_stage_range', violation_error_message='The highest default stage must be between 1 and 4.'),
        ),
        migrations.AlterConstraint(
            model_name='treatmenttype',
            name='treatment_type_stage_gates_increase',
            constraint=models.CheckConstraint(condition=models.Q(('days_before_stage_2__lt', models.F('days_before_stage_3')), ('days_before_stage_3__lt', models.F('days_before_stage_4')), ('days_before_stage_4__lte', 3650)), name='treatment_type_stage_gates_increase', violation_error_message='Each stage must come later than the one before it: fewer days before stage 2 than before stage 3, and before stage 3 than stage 4.'),
        ),
    ]
