# Reserved for scheduled deploys (issue 11); filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0004_release_version_rules"),
    ]

    operations = []
