"""``rebase_release``: bring an open release up to date with the live release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from djangocms_release_versioning import registry, services

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from djangocms_release_versioning.lineage import DivergedRow

#: How many groupings of each kind the command names.
LISTED = 20


class Command(ReleaseCommand):
    help = (
        "Rebase the open release --release-version onto the live release: groupings the live "
        "line changed since the release was branched, and the release did not, take the live "
        "content (no copies); groupings both changed are listed as conflicts and keep the "
        "release's content."
    )
    operation = "rebase"

    def run(self, version: str, *, user: AbstractBaseUser | None, **options: Any) -> None:
        report = services.rebase_release(version, user=user)
        if not report.changed:
            self.say(f"Release {version} is up to date with the live release; nothing to do.", success=True)
            return
        self.say(
            f"Rebased release {version} onto {report.base.version} "
            f"(was based on {report.previous_base.version if report.previous_base else 'nothing'}).",
            success=True,
        )
        self.say(f"{len(report.taken)} grouping(s) taken from the live release:")
        self._list(report.taken)
        if report.conflicts:
            self.say(
                f"{len(report.conflicts)} conflict(s): changed live and in {version}; {version} keeps "
                f"its own content. Compare them on the release page and take the live content "
                f"where it should win:"
            )
            self._list(report.conflicts)
        self.say(f"Review it, then lock it with lock_release --release-version {version}.")

    def _list(self, rows: list[DivergedRow]) -> None:
        names = _names(rows)
        for row in rows[:LISTED]:
            live = names.get((row.content_type_id, row.live.object_id)) if row.live else None
            mine = names.get((row.content_type_id, row.mine.object_id)) if row.mine else None
            label = mine or live or row.grouping_key
            self.say(f"  {label}: live {_shown(live, row.live)}, release {_shown(mine, row.mine)}")
        if len(rows) > LISTED:
            self.say(f"  … and {len(rows) - LISTED} more.")


def _names(rows: list[DivergedRow]) -> dict[tuple[int, int], str]:
    """``{(content type, content row): str(content)}``, one query per model."""
    wanted: dict[int, set[int]] = {}
    for row in rows[:LISTED]:
        for version in (row.live, row.mine):
            if version is not None:
                wanted.setdefault(row.content_type_id, set()).add(version.object_id)
    names = {}
    for content_type_id, ids in wanted.items():
        item = registry.for_content_type_id(content_type_id)
        if item is not None:
            for pk, content in item.content_model._base_manager.in_bulk(ids).items():
                names[(content_type_id, pk)] = str(content)
    return names


def _shown(name: str | None, version: Any) -> str:
    if version is None:
        return "none"
    text = f'"{name}"' if name else f"#{version.object_id}"
    if not version.active:
        return f"{text} (hidden)"
    return f"{text} ({version.status})"
