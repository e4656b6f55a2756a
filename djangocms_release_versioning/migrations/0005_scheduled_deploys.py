# Scheduled deploys (issue 11, DESIGN §9.3) and the audit actions of scheduling and pruning.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0004_release_version_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
                ],
                max_length=32,
                verbose_name="action",
            ),
        ),
        migrations.CreateModel(
            name="ScheduledDeploy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(verbose_name="deploy at")),
                ("rollback", models.BooleanField(default=False, verbose_name="rollback")),
                (
                    "confirmations",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='Deploy guards confirmed when it was scheduled, e.g. {"allow_offline": true}.',
                        verbose_name="confirmed",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("done", "Deployed"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="scheduled")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ("failure_code", models.CharField(blank=True, max_length=64, verbose_name="failure code")),
                ("failure_reason", models.TextField(blank=True, verbose_name="failure reason")),
                (
                    "cancelled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="cancelled by",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="scheduled by",
                    ),
                ),
                (
                    "deployment",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="schedule",
                        to="djangocms_release_versioning.deployment",
                        verbose_name="deployment",
                    ),
                ),
                (
                    "pending_key",
                    models.PositiveBigIntegerField(blank=True, editable=False, null=True, unique=True),
                ),
                (
                    "release",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="scheduled_deploys",
                        to="djangocms_release_versioning.release",
                        verbose_name="release",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheduled deploy",
                "verbose_name_plural": "scheduled deploys",
                "ordering": ("-at", "-pk"),
                "indexes": [models.Index(fields=["status", "at"], name="release_versioning_due")],
            },
        ),
    ]
