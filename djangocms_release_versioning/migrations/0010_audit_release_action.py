# A release's audit entries of one action: lock_release reads the base's lock entry (its
# row count, issue 11.3) and verify_release its own, without reading every entry of the
# release (a release whose content was created in it has one entry per content row).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0009_inherited_trigger"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["release", "action"], name="release_versioning_audit_act"),
        ),
    ]
