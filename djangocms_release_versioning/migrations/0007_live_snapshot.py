# One release per response (issue 9): the live pointer counts its switches, so every cache
# entry built from public content can be keyed by the deployment that was live.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0006_rebase"),
    ]

    operations = [
        migrations.AddField(
            model_name="liverelease",
            name="generation",
            field=models.PositiveBigIntegerField(
                default=0,
                editable=False,
                help_text="Counts the switches of the pointer; keys every cache that holds public content.",
            ),
        ),
    ]
