"""Behind live (DESIGN §9.2): the release page's notice and rows, the take-live endpoint.

A release is *behind* when the live line changed groupings since its fork point that it does
not have (see :mod:`~djangocms_release_versioning.lineage`). The release list, the release
page and the toolbar say so; the release page lists the groupings (what a rebase would take,
the conflicts it would keep) and, after a rebase, the conflicts it kept with an action that
takes the live content instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import registry, services
from ..constants import Action
from ..lineage import BEHIND, CONFLICT, Divergence, divergence, fetch_rows, row_value
from ..models import AuditEntry, Release
from .common import admin_url, get_release, next_url, refused, require_post, succeeded
from .review import ReviewRow, _attach_contents

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

KINDS = {
    BEHIND: _("Taken from live by a rebase"),
    CONFLICT: _("Conflict: changed here and live"),
}


@dataclass
class DivergenceRow(ReviewRow):
    """A grouping the live line changed: ``mine`` is the release's row, ``theirs`` the live one."""

    take_url: str = ""

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


def behind_title(count: int) -> str:
    """``2 changes live since this release was branched``."""
    return ngettext(
        "%(count)s change live since this release was branched",
        "%(count)s changes live since this release was branched",
        count,
    ) % {"count": count}


def behind_message(count: int, *, locked: bool = False) -> str:
    """``2 changes live since this release was branched — Rebase`` (what to do follows)."""
    text = behind_title(count)
    if locked:
        return text + " — " + gettext("deploying it would revert them; branch a new release instead")
    return text + " — " + gettext("Rebase")


def _rows(release: Release, items: list[tuple[str, Any, Any, Any]]) -> list[DivergenceRow]:
    rows = []
    for kind, key, mine, theirs in items:
        item = registry.for_content_type_id(key[0])
        label = str(item.content_model._meta.verbose_name) if item else str(key[0])
        row = DivergenceRow(kind, label, key[1], mine, theirs)
        row.item = item
        if kind == CONFLICT and not release.is_locked:
            row.take_url = admin_url("take_live", release.pk)
        rows.append(row)
    _attach_contents(rows)
    return rows


def divergence_rows(release: Release, found: Divergence) -> list[DivergenceRow]:
    """The rows of a divergence, with their content loaded (one query per model)."""
    return _rows(release, [(row.kind, row.key, row.mine, row.live) for row in found.rows])


def kept_conflicts(release: Release, live: Release | None) -> list[DivergenceRow]:
    """The conflicts the release's last rebase kept that still differ from the live release."""
    if live is None or release.is_locked or release.based_on_id != live.pk:
        return []
    entry = (
        AuditEntry.objects.filter(release=release, action=Action.REBASE_RELEASE)
        .order_by("-created_at", "-pk")
        .only("details")
        .first()
    )
    keys = [tuple(key) for key in (entry.details.get("conflicts") or [])] if entry else []
    if not keys:
        return []
    rows = fetch_rows([release.pk, live.pk], keys)
    items = []
    for key in sorted(keys):
        mine, theirs = rows.get((release.pk, *key)), rows.get((live.pk, *key))
        if row_value(mine) != row_value(theirs):
            items.append((CONFLICT, key, mine, theirs))
    return _rows(release, items)


def behind_context(release: Release, live: Release | None) -> dict[str, Any]:
    """What the release page shows about the live line: ``behind_rows`` (what a rebase would
    do), ``behind_count``, ``fork`` and ``kept_conflicts`` (after a rebase)."""
    if live is None or release.pk == live.pk or release.is_deployed:
        return {"behind_rows": [], "behind_count": 0, "kept_conflicts": []}
    found = divergence(release, live.pk)
    return {
        "behind_rows": divergence_rows(release, found),
        "behind_count": len(found),
        "behind_title": behind_title(len(found)),
        "fork": Release.objects.filter(pk=found.fork_id).first() if found.rows else None,
        "kept_conflicts": kept_conflicts(release, live),
    }


def rebased_message(report: services.RebaseReport) -> str:
    if not report.changed:
        return gettext("Release %(release)s is up to date with the live release.") % {
            "release": report.release.version
        }
    return gettext(
        "Release %(release)s is now based on %(live)s: %(taken)s taken from the live release, "
        "%(conflicts)s conflict(s) kept with this release's content."
    ) % {
        "release": report.release.version,
        "live": report.base.version,
        "taken": len(report.taken),
        "conflicts": len(report.conflicts),
    }


def take_live(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """Resolve one conflict: the release takes the live content of a grouping (POST
    ``content_type`` and ``grouping_key``)."""
    not_allowed = require_post(request)
    if not_allowed:
        return not_allowed
    release = get_release(pk)
    back = next_url(request, admin_url("change", release.pk))
    try:
        content_type_id = int(request.POST.get("content_type", ""))
    except ValueError:
        raise Http404 from None
    grouping_key = request.POST.get("grouping_key", "")
    try:
        services.take_live(release, content_type_id, grouping_key, user=request.user)
    except ValidationError as error:
        return refused(request, error, back)
    message = gettext("Release %(release)s now has the live content of %(grouping)s.") % {
        "release": release.version,
        "grouping": grouping_key,
    }
    return succeeded(request, message, back)
