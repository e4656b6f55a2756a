"""What ecosystem apps (djangocms-alias, djangocms-stories, djangocms-text) read from a provider.

:func:`install` is called once from :func:`.integration.install_global`, after every app's
cms_config has been processed. :class:`ContentVersions` is the read-only ``content.versions``
accessor that apps written for djangocms-versioning look at (djangocms-stories' post change
form shows its "refers to a published version" note from it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .constants import APPROVED, DRAFT

if TYPE_CHECKING:
    from django.db import models

    from .models import Version

#: ``Version.state`` values besides ``"draft"`` (which means: editable in place).
STATE_LOCKED = "locked"
STATE_HIDDEN = "hidden"
STATE_SHARED = "shared"


def version_state(version: Version, editable: bool) -> str:
    """The djangocms-versioning style state of ``version``: ``"draft"`` only if editable."""
    if editable:
        return DRAFT
    if version.release.is_locked:
        return STATE_LOCKED
    if not version.active:
        return STATE_HIDDEN
    return APPROVED if version.status == APPROVED else STATE_SHARED


class ContentVersions:
    """``content.versions``: the Versions that reference one content row (read-only).

    The working release's Version comes first, so ``versions.first()`` is the one an
    editor is looking at. Each Version carries ``state`` (see :func:`version_state`).
    Evaluated once, on first use.
    """

    def __init__(self, content: models.Model) -> None:
        self._content = content
        self._versions: list[Version] | None = None

    def _load(self) -> list[Version]:
        if self._versions is None:
            from .context import get_working_release
            from .editing import edit_in_place, versions_of

            versions = versions_of(self._content)
            working = get_working_release() if versions else None
            working_id = working.pk if working is not None else None
            versions.sort(key=lambda version: version.release_id != working_id)
            editable = bool(edit_in_place(self._content)) if versions else False
            for version in versions:
                version.state = version_state(version, editable)
            self._versions = versions
        return self._versions

    def all(self) -> list[Version]:
        return list(self._load())

    def first(self) -> Version | None:
        versions = self._load()
        return versions[0] if versions else None

    def exists(self) -> bool:
        return bool(self._load())

    def count(self) -> int:
        return len(self._load())

    def __iter__(self) -> Iterator[Version]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __bool__(self) -> bool:
        return bool(self._load())


def content_versions(content: models.Model) -> ContentVersions:
    """Getter of the ``versions`` property installed on registered content models."""
    return ContentVersions(content)


def install() -> None:
    """Connect the receivers ecosystem apps need (none are needed beyond registration yet)."""
