# The index of changed rows gains the ``inherited`` column: MariaDB and MySQL ignore an index
# condition, and there a plain index on (release, inherited) still finds only changed rows
# (issue 14). On PostgreSQL and SQLite it stays a partial index. (This number was reserved for
# the deploy guards, which needed no schema change.)

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0007_live_snapshot"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="version", name="release_versioning_changed"),
        migrations.AddIndex(
            model_name="version",
            index=models.Index(
                condition=models.Q(("inherited", False)),
                fields=["release", "inherited"],
                name="release_versioning_changed",
            ),
        ),
    ]
