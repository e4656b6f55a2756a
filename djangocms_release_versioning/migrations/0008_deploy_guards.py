# Reserved for deploy guards (issues 8.7, 10.1, 15.3); filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0007_live_snapshot"),
    ]

    operations = []
