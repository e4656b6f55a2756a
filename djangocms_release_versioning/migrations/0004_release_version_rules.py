# Reserved for release names (issue 8.5); filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0003_version_change_tracking"),
    ]

    operations = []
