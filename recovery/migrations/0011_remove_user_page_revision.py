"""`User.page_revision` keyed the page cache, which is gone (issue 19); its triggers went first
(plans migration 0014)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0010_precautions"),
        ("plans", "0014_drop_page_revision_triggers"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="page_revision"),
    ]
