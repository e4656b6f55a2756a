"""Can a content row be edited in place? (DESIGN §3.3, §3.4 and §4)

Used by ``is_editable()``, the placeholder checks that guard the plugin endpoints, and the
signal handlers that refuse writes to locked, approved or shared content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from . import registry
from .constants import APPROVED

if TYPE_CHECKING:
    from django.db import models

    from .models import Version


class ReasonedBool:
    """A boolean that carries the reason it is False (``str()`` gives the reason)."""

    __slots__ = ("reason", "value")

    def __init__(self, value: bool, reason: str = "") -> None:
        self.value = value
        self.reason = reason

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"ReasonedBool({self.value!r}, {self.reason!r})"


def versions_of(content: models.Model) -> list[Version]:
    """All Versions that reference ``content`` (with their releases)."""
    from .models import Version

    if content.pk is None:
        return []
    return list(Version.objects.for_content(content).select_related("release").order_by("pk"))


def _names(versions: list[Version]) -> str:
    return ", ".join(sorted(v.release.version for v in versions))


def write_refusal(versions: list[Version], *, deleting: bool = False) -> ValidationError | None:
    """The error a direct write to content referenced by ``versions`` must raise, if any.

    Deleting is refused for locked or shared content only: removing an approved row from
    an open release (e.g. deleting a page that was never locked) is allowed.
    """
    locked = [v for v in versions if v.release.is_locked]
    if locked:
        return ValidationError(
            gettext(
                "This content belongs to locked release %(releases)s and cannot change. "
                "Work in an open release and use Edit in the toolbar (create_draft()) to "
                "get an editable copy there."
            )
            % {"releases": _names(locked)},
            code="release_locked",
        )
    if len(versions) > 1:
        return ValidationError(
            gettext(
                "This content is shared by releases %(releases)s and is never edited in "
                "place. Use Edit in the toolbar (create_draft()) to get an editable copy."
            )
            % {"releases": _names(versions)},
            code="content_shared",
        )
    if versions and versions[0].status == APPROVED and not deleting:
        return ValidationError(
            gettext(
                "This content is approved in release %(releases)s and cannot change. "
                "Use Edit in the toolbar (create_draft()) to get an editable copy as a new "
                "draft."
            )
            % {"releases": _names(versions)},
            code="content_approved",
        )
    return None


def edit_in_place(content: models.Model) -> ReasonedBool:
    """Whether ``content`` may be edited as it is (no copy needed), with the reason if not."""
    if registry.for_content(content) is None:
        return ReasonedBool(True)
    return editable_with_versions(versions_of(content))


def editable_with_versions(versions: list[Version]) -> ReasonedBool:
    """:func:`edit_in_place` for a content row whose Versions (with releases) are known."""
    refusal = write_refusal(versions)
    if refusal is not None:
        return ReasonedBool(False, refusal.messages[0])
    if versions:
        version = versions[0]
        if not version.active:
            return ReasonedBool(
                False,
                gettext("This content is hidden in release %(release)s; restore it first.")
                % {"release": version.release.version},
            )
        if version.release.is_deprecated:
            return ReasonedBool(
                False,
                gettext("Release %(release)s is deprecated; it cannot be edited.")
                % {"release": version.release.version},
            )
    return ReasonedBool(True)


def is_editable(content: models.Model, request: object = None) -> ReasonedBool:
    """``is_editable(request)`` as django CMS calls it on content models (cached per row)."""
    cached = getattr(content, "_release_editable", None)
    if cached is None:
        if registry.for_content(content) is None or content.pk is None:
            cached = edit_in_place(content)
            content._release_editable = cached
            return cached
        from .indicators import prefetch_indicators  # also caches indicator and Versions

        prefetch_indicators([content])
        cached = content._release_editable
    return cached


def placeholder_is_editable(placeholder: object, user: object) -> bool:
    """``PlaceholderRelationField.default_checks`` entry: plugin edits need editable content."""
    source = getattr(placeholder, "source", None)
    if source is None or registry.for_content(source) is None:
        return True
    return bool(edit_in_place(source))
