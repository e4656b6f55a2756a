"""Reviewing a release against the live release, its base or any other release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .. import registry
from ..lineage import divergence
from ..manifest import ADDED, CHANGED, REMOVED, change_keys, differing_keys, fetch_versions, page_changes
from ..models import Release, Version
from .common import admin_context, get_release, require_view
from .content import compare_url, preview_url

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


# -- release page and review ----------------------------------------------------------


@dataclass
class ReviewRow:
    """One grouping that differs between a release and the release it is compared with."""

    kind: str
    model_label: str
    grouping_key: str
    mine: Version | None
    theirs: Version | None
    mine_content: Any = None
    theirs_content: Any = None
    item: Any = None
    #: Deploying would revert what the live line changed here since the fork (``would_revert``).
    reverts: bool = False

    @property
    def kind_label(self) -> str:
        return str(REVIEW_KINDS.get(self.kind, self.kind))

    @property
    def content(self) -> Any:
        return self.mine_content if self.mine_content is not None else self.theirs_content

    @property
    def mine_url(self) -> str | None:
        return preview_url(self.mine_content, self.item) if self.mine_content is not None else None

    @property
    def theirs_url(self) -> str | None:
        return preview_url(self.theirs_content, self.item) if self.theirs_content is not None else None

    @property
    def compare_url(self) -> str | None:
        if self.mine is None or self.theirs is None or self.mine.object_id == self.theirs.object_id:
            return None
        return compare_url(self.mine.content_type_id, self.theirs.object_id, self.mine.object_id)


REVIEW_KINDS = {
    f"live_{ADDED}": _("Goes live"),
    f"live_{CHANGED}": _("Changes"),
    f"live_{REMOVED}": _("Goes offline"),
    ADDED: _("Added"),
    CHANGED: _("Changed"),
    REMOVED: _("Removed"),
    "hidden": _("Hidden"),
    "restored": _("Restored"),
    "status": _("Status changed"),
}


def _review_kind(mine: Version | None, theirs: Version | None) -> str:
    if theirs is None:
        return ADDED
    if mine is None:
        return REMOVED
    if mine.object_id != theirs.object_id:
        return CHANGED
    if mine.active != theirs.active:
        return "restored" if mine.active else "hidden"
    return "status"


#: Rows per page of the review's two lists.
REVIEW_PAGE_SIZE = 100


def review_keys(release: Release, other: Release | None) -> list[tuple[int, str]]:
    """The ``(content type id, grouping key)`` of every grouping whose Version differs
    between ``release`` and ``other``, sorted; the database computes the differences
    (the review page reads a page of them only, see :func:`.manifest.differing_keys`)."""
    return list(differing_keys(release, other))


def review_rows(
    release: Release, other: Release | None, keys: list[tuple[int, str]] | None = None
) -> list[ReviewRow]:
    """The review rows of ``keys`` (default: every grouping that differs, see
    :func:`review_keys`): Versions and content rows are loaded for those keys only, in one
    query per model, so a page of a large review costs the same as a small review."""
    keys = review_keys(release, other) if keys is None else keys
    related = ("modified_by",)
    mine = fetch_versions(release, set(keys), select_related=related)
    theirs = fetch_versions(other, set(keys), select_related=related)
    rows = []
    for key in keys:
        item = registry.for_content_type_id(key[0])
        label = str(item.content_model._meta.verbose_name) if item else str(key[0])
        rows.append(
            ReviewRow(
                _review_kind(mine.get(key), theirs.get(key)), label, key[1], mine.get(key), theirs.get(key)
            )
        )
        rows[-1].item = item
    _attach_contents(rows)
    return rows


def _attach_contents(rows: list[ReviewRow]) -> None:
    """Load the content rows of the review in one query per model."""
    wanted: dict[int, set[int]] = {}
    for row in rows:
        for version in (row.mine, row.theirs):
            if version is not None:
                wanted.setdefault(version.content_type_id, set()).add(version.object_id)
    loaded: dict[tuple[int, int], Any] = {}
    for content_type_id, ids in wanted.items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            continue
        for obj in item.content_model._base_manager.filter(pk__in=ids):
            loaded[(content_type_id, obj.pk)] = obj
    for row in rows:
        if row.mine is not None:
            row.mine_content = loaded.get((row.mine.content_type_id, row.mine.object_id))
        if row.theirs is not None:
            row.theirs_content = loaded.get((row.theirs.content_type_id, row.theirs.object_id))


def _reverting_keys(manifest: Any) -> set[tuple[int, str]]:
    """The groupings the ``would_revert`` guard found for ``manifest`` (its findings)."""
    return {
        (row.content_type_id, row.grouping_key)
        for finding in getattr(manifest, "findings", None) or []
        if finding.code == "would_revert"
        for row in finding.rows
    }


def _manifest_rows(
    manifest: Any, reverting: set[tuple[int, str]] | None = None, changes: Any = None
) -> list[ReviewRow]:
    """The changes of a deploy manifest as review rows (what goes live); the rows that
    would revert a live change (``reverting``, default: the manifest's findings) are marked.
    ``changes``: a page of ``manifest.changes`` (default: all of them; ``manifest`` may be
    None when ``changes`` and ``reverting`` are given)."""
    reverting = _reverting_keys(manifest) if reverting is None else reverting
    rows = []
    for change in manifest.changes if changes is None else changes:
        item = registry.for_content_type_id(change.content_type_id)
        label = str(item.content_model._meta.verbose_name) if item else change.model_label
        row = ReviewRow(f"live_{change.kind}", label, change.grouping_key, change.new, change.old)
        row.item = item
        row.reverts = (change.content_type_id, change.grouping_key) in reverting
        rows.append(row)
    _attach_contents(rows)
    return rows


def _reverting(release: Release, live: Release | None) -> set[tuple[int, str]]:
    """What deploying ``release`` now would revert (see :mod:`..lineage`); not for releases
    deployed before (going back to them is a rollback, the intended revert)."""
    if live is None or release.is_deployed:
        return set()
    return {row.key for row in divergence(release, live.pk).reverting}


@xframe_options_sameorigin
def review(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """What a release changes: what goes live against the live release, and every
    difference against the live release or its base (``?against=live|base|<pk>``)."""
    require_view(request, model_admin)
    release = get_release(pk)
    live = Release.objects.live()
    against_param = request.GET.get("against") or ("live" if live and live.pk != release.pk else "base")
    if against_param == "live":
        other = live
    elif against_param == "base":
        other = release.based_on
    else:
        other = Release.objects.filter(pk=against_param if against_param.isdigit() else None).first()
    # Both lists: the database counts the differing groupings and hands over one page of
    # their keys; Versions and content are loaded for that page only (issue 11.4).
    goes_live = live is None or live.pk != release.pk
    number, live_number = request.GET.get("page"), request.GET.get("live_page")
    keys = differing_keys(release, other).expect(number, REVIEW_PAGE_SIZE)
    page = Paginator(keys, REVIEW_PAGE_SIZE).get_page(number)
    rows = review_rows(release, other, list(page.object_list))
    live_keys = change_keys(live, release).expect(live_number, REVIEW_PAGE_SIZE) if goes_live else []
    live_page = Paginator(live_keys, REVIEW_PAGE_SIZE).get_page(live_number)
    context = admin_context(
        request,
        model_admin,
        title=gettext("Review release %(release)s") % {"release": release.version},
        release=release,
        live=live,
        other=other,
        against=against_param,
        goes_live=(
            _manifest_rows(
                None, _reverting(release, live), page_changes(live, release, list(live_page.object_list))
            )
            if goes_live
            else []
        ),
        live_page=live_page,
        rows=rows,
        page=page,
        choices=Release.objects.exclude(pk=release.pk).not_deprecated(),
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/review.html", context)
