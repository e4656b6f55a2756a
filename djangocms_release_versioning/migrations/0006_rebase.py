# Reserved for rebase (issue 10); filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0005_scheduled_deploys"),
    ]

    operations = []
