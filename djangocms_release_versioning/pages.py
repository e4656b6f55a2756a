"""django CMS pages under releases: registration and URL rebuild on deploy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext

from .datastructures import VersionableItem, default_copy
from .manifest import changes_by_item

if TYPE_CHECKING:
    from cms.models import Page, PageContent

    from .manifest import DeployManifest


def copy_page_content(content: PageContent) -> PageContent:
    """Copy a PageContent with its placeholders, plugins and page-content extensions."""
    return default_copy(content)


def page_versionable() -> VersionableItem:
    from cms.models import PageContent

    return VersionableItem(
        content_model=PageContent,
        grouper_field_name="page",
        extra_grouping_fields=["language"],
        copy_function=copy_page_content,
        grouper_selector_option_label=lambda obj, lang: obj.get_admin_content(lang).title,
    )


def _page_language_pairs(manifest: DeployManifest) -> list[tuple[Page, str]]:
    """The (page, language) pairs whose live content changed, parents before children."""
    from cms.models import Page, PageContent

    pairs: set[tuple[int, str]] = set()
    for item, changes in changes_by_item(manifest):
        if item.content_model is not PageContent:
            continue
        for change in changes:
            values = item.grouping_filter(change.grouping_key)
            pairs.add((values["page_id"], values["language"]))
    if not pairs:
        return []
    pages = Page.objects.in_bulk({page_id for page_id, _ in pairs})
    ordered = sorted(
        (pair for pair in pairs if pair[0] in pages),
        key=lambda pair: (pages[pair[0]].depth, pages[pair[0]].path, pair[1]),
    )
    return [(pages[page_id], language) for page_id, language in ordered]


def rebuild_page_urls(manifest: DeployManifest) -> None:
    """Rebuild the PageUrls of every page whose live content changed (inside the deploy).

    Paths of the changed pages and their descendants are released first, so slug swaps
    between pages of one release do not collide; then URLs are rebuilt parents first.

    :raises ValidationError: two pages of the new release claim the same path.
    """
    from cms.models import PageUrl

    pairs = _page_language_pairs(manifest)
    if not pairs:
        return
    for page, language in pairs:
        descendants = page.get_descendants().values("pk")
        PageUrl.objects.filter(language=language, page=page).update(path=None)
        PageUrl.objects.filter(language=language, page__in=descendants, managed=True).update(path=None)
    for page, language in pairs:
        try:
            page.update_urls_from_content(language)
        except IntegrityError as exc:
            raise ValidationError(
                gettext(
                    "Deploying would give two pages the same URL in %(language)s: page "
                    "%(page)s collides with another page (%(error)s). Change one slug in a "
                    "new release and deploy that."
                )
                % {"language": language, "page": page.pk, "error": exc},
                code="url_collision",
            ) from exc
        page.clear_cache(menu=True)


def on_release_deployed(sender: Any, manifest: DeployManifest, **kwargs: Any) -> None:
    rebuild_page_urls(manifest)
