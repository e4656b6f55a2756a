# Rebase (issue 10, DESIGN §9.2): the audit actions "Release rebased" and "Live content taken".
# The choices list every action known when this was written, so that the state stays complete
# whichever of the parallel migrations runs last.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0005_scheduled_deploys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create_release", "Release created"),
                    ("branch_release", "Release branched"),
                    ("approve_release", "Release approved"),
                    ("lock_release", "Release locked"),
                    ("unlock_release", "Release unlocked"),
                    ("deploy_release", "Release deployed"),
                    ("rollback_release", "Release rolled back to"),
                    ("deprecate_release", "Release deprecated"),
                    ("undeprecate_release", "Release restored"),
                    ("create_content", "Content created"),
                    ("create_draft", "Draft created"),
                    ("delete_content", "Unreferenced content deleted"),
                    ("status_change", "Status changed"),
                    ("deactivate", "Hidden in release"),
                    ("reactivate", "Restored in release"),
                    ("schedule_deploy", "Deploy scheduled"),
                    ("cancel_schedule", "Scheduled deploy cancelled"),
                    ("schedule_failed", "Scheduled deploy failed"),
                    ("prune_release", "Release pruned"),
                    ("prune_releases", "Releases pruned"),
                    ("rebase_release", "Release rebased"),
                    ("take_live", "Live content taken"),
                    ("import_release", "Release imported from djangocms-versioning"),
                    ("import_version", "Version imported from djangocms-versioning"),
                ],
                max_length=32,
                verbose_name="action",
            ),
        ),
    ]
