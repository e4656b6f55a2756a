"""Release names that cannot confuse anyone (DESIGN §9.1, invariant 12).

Adds the name rule to ``Release.version`` and a unique constraint on ``Lower("version")``.

Before the constraint is added, a data step looks at the existing names:

* names that break the rule (whitespace, control or invisible characters) are **reported**
  and left as they are — they keep working, only new releases must follow the rule;
* names that differ only in case (``V1.1.0`` beside ``v1.1.0``) would make the constraint
  fail, so all but one of them are **renamed** with a numbered suffix (``V1.1.0-2``) and
  the rename is reported and noted in the release's description. The live release keeps its
  name; otherwise the oldest release keeps it. Nothing is deleted.

The report is printed (to standard output, inside ``migrate``'s output) and logged to the
``djangocms_release_versioning.migrations`` logger. The migration uses no raw SQL.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import migrations, models
from django.db.models.functions import Lower

import djangocms_release_versioning.validators

logger = logging.getLogger("djangocms_release_versioning.migrations")

RENAME_NOTE = (
    'Renamed from "{old}" by migration 0004: release "{kept}" has the same version ignoring case, '
    "and versions must be unique ignoring case."
)


def _say(message):
    print(f"\n  {message}", end="", flush=True)
    logger.warning(message)


def _free_name(Release, using, version, taken):
    """``version-N`` for the smallest N >= 2 that no release uses, ignoring case."""
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = version[: djangocms_release_versioning.validators.MAX_LENGTH - len(suffix)] + suffix
        lowered = candidate.lower()
        if (
            lowered not in taken
            and not Release.objects.using(using)
            .annotate(lower_version=Lower("version"))
            .filter(lower_version=lowered)
            .exists()
        ):
            taken.add(lowered)
            return candidate
        number += 1


def report_and_resolve_names(apps, schema_editor):
    """Report names breaking the rule; rename all but one of each case-insensitive clash."""
    Release = apps.get_model("djangocms_release_versioning", "Release")
    LiveRelease = apps.get_model("djangocms_release_versioning", "LiveRelease")
    using = schema_editor.connection.alias
    validate = djangocms_release_versioning.validators.validate_release_version
    quote = djangocms_release_versioning.validators.quote_name

    for pk, version in Release.objects.using(using).order_by("pk").values_list("pk", "version"):
        try:
            validate(version)
        except ValidationError as error:
            _say(
                f"Release #{pk} {quote(version)} breaks the release name rule and is kept as it is: "
                f"{' '.join(error.messages)}"
            )

    clashing = (
        Release.objects.using(using)
        .annotate(lower_version=Lower("version"))
        .values("lower_version")
        .annotate(count=models.Count("pk"))
        .filter(count__gt=1)
        .values_list("lower_version", flat=True)
    )
    live_id = LiveRelease.objects.using(using).filter(pk=1).values_list("release_id", flat=True).first()
    taken = set()
    for lowered in list(clashing):
        group = list(
            Release.objects.using(using)
            .annotate(lower_version=Lower("version"))
            .filter(lower_version=lowered)
            .order_by("created_at", "pk")
        )
        kept = next((release for release in group if release.pk == live_id), group[0])
        for release in group:
            if release.pk == kept.pk:
                continue
            old = release.version
            release.version = _free_name(Release, using, old, taken)
            note = RENAME_NOTE.format(old=old, kept=kept.version)
            release.description = f"{release.description}\n\n{note}".strip()
            release.save(update_fields=["version", "description"])
            _say(
                f"Release #{release.pk} {quote(old)} renamed to {quote(release.version)}: release "
                f"#{kept.pk} {quote(kept.version)} has the same version ignoring case. Update "
                f"scripts that name it."
            )


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0003_version_change_tracking"),
    ]

    operations = [
        migrations.RunPython(report_and_resolve_names, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="release",
            name="version",
            field=models.CharField(
                help_text=(
                    "Unique name of the release, e.g. v1.2.0: no spaces or invisible characters, "
                    "unique ignoring case."
                ),
                max_length=100,
                unique=True,
                validators=[djangocms_release_versioning.validators.validate_release_version],
                verbose_name="version",
            ),
        ),
        migrations.AddConstraint(
            model_name="release",
            constraint=models.UniqueConstraint(
                Lower("version"),
                name="release_versioning_version_ci_unique",
                violation_error_code="version_taken",
                violation_error_message=(
                    "A release with this version exists already (versions are compared ignoring case)."
                ),
            ),
        ),
    ]
