# Reserved for one release per response (issue 9); filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0006_rebase"),
    ]

    operations = []
