"""Each week keeps the cause of its prescription as data, to explain it in its own words
(issue 17). Weeks decided before this keep a blank cause: pages fall back to their reason."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("plans", "0008_date_ranges")]

    operations = [
        migrations.AddField(
            model_name="planweek",
            name="cause",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="planweek",
            name="cause_numbers",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
