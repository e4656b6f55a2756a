"""djangocms-rest (django CMS' headless API) under releases.

djangocms-rest reads ``objects`` for visitors and, under ``?preview``, ``admin_manager`` for
staff (it refuses ``?preview`` to others), so visitors get the live release and staff previews
the working release without help. What it cannot know: a page new in the working release has
no :class:`~cms.models.PageUrl` yet (PageUrls follow the live release, see :mod:`.pages`).
This module gives such a page the path it has in the working release, for the API links of a
staff preview (:func:`preview_api_endpoint`) and for the page detail endpoint
(:func:`preview_get_object`), both active only in requests marked by
:func:`install_preview_marks`. :func:`prefetch_menu_urls` keeps staff menus at one PageUrl
query. :mod:`.integration` installs them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cms.models import Page
    from django.contrib.sites.models import Site

#: The language of the djangocms-rest ``?preview`` request being served, once it passed the
#: staff check (None otherwise).
_staff_preview: ContextVar[str | None] = ContextVar("release_versioning_rest_preview", default=None)


def working_path(page: Page, language: str) -> str | None:
    """The path ``page`` has in ``language`` in the working release (None if it has none).

    The home page has ``""``; an overwritten URL wins; else the parent's working path and
    the working content's slug (a page directly below the home page or the root: the slug).
    """
    from .pages import working_content

    if page.is_home:
        return ""
    content = working_content(page, language)
    if content is None:
        return None
    if content.overwrite_url:
        return content.overwrite_url.strip("/")
    parent = page.parent
    if parent is None or parent.is_home:
        return content.slug
    base = working_path(parent, language)
    return f"{base}/{content.slug}" if base else None


def page_for_working_path(site: Site, language: str, path: str) -> Page | None:
    """The page of ``site`` whose working path in ``language`` is ``path`` (or None)."""
    from cms.models import PageContent
    from django.db.models import Q

    path = path.strip("/")
    slug = path.rpartition("/")[2]
    candidates = (
        PageContent.admin_manager.current_content(language=language, page__site=site)
        .filter(Q(slug=slug) | Q(overwrite_url__in=[path, f"/{path}", f"{path}/", f"/{path}/"]))
        .select_related("page")
    )
    return next((row.page for row in candidates if working_path(row.page, language) == path), None)


def preview_api_endpoint(original: Callable[..., str | None]) -> Callable[..., str | None]:
    """Wrap djangocms-rest's ``Page.get_api_endpoint``: a page without a live URL gets the
    endpoint of its working path (None stays None if it has no path there either)."""
    if getattr(original, "release_working_path", False):
        return original

    @functools.wraps(original)
    def get_api_endpoint(page: Page, language: str | None = None, fallback: bool = True) -> str | None:
        endpoint = original(page, language, fallback)
        if endpoint is not None or _staff_preview.get() is None:
            return endpoint
        from django.urls import NoReverseMatch, reverse

        language = language or _staff_preview.get()
        path = working_path(page, language)
        if not path:
            return None
        try:
            return reverse("page-detail", kwargs={"language": language, "path": path})
        except NoReverseMatch:
            return None

    get_api_endpoint.release_working_path = True
    return get_api_endpoint


def preview_get_object(original: Callable[[Site, str], Page]) -> Callable[[Site, str], Page]:
    """Wrap djangocms-rest's ``get_object(site, path)``: in a staff preview, a path that no
    live page has resolves to the page that has it in the working release.

    :raises Http404: no page has ``path`` (live, or in the working release when previewing).
    """
    if getattr(original, "release_working_path", False):
        return original

    @functools.wraps(original)
    def get_object(site: Site, path: str) -> Page:
        from cms.models import PageUrl
        from django.http import Http404

        try:
            return original(site, path)
        except Http404:
            language = _staff_preview.get()
            if language is None:
                raise
            page = page_for_working_path(site, language, path)
            if page is None:
                raise
            page.urls_cache = {language: PageUrl(page=page, language=language, path=path.strip("/"))}
            return page

    get_object.release_working_path = True
    return get_object


def install_preview_marks(mixin: type) -> None:
    """Give djangocms-rest's views (``mixin``: its ``BaseAPIMixin``) a request-scoped mark of
    staff previews, set once DRF's permission checks passed (djangocms-rest requires a staff
    user for ``?preview``) and cleared when the response is done. Idempotent."""
    from rest_framework.views import APIView

    if getattr(mixin, "release_working_path", False):
        return

    def initial(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        APIView.initial(self, request, *args, **kwargs)
        if self._preview_requested() and request.user.is_staff:
            from django.utils.translation import get_language

            _staff_preview.set(kwargs.get("language") or get_language())

    def dispatch(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        token = _staff_preview.set(None)
        try:
            return APIView.dispatch(self, request, *args, **kwargs)
        finally:
            _staff_preview.reset(token)

    mixin.initial = initial
    mixin.dispatch = dispatch
    mixin.release_working_path = True


def prefetch_menu_urls(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap django CMS' ``cms_menus.get_visible_page_contents``: in edit and preview mode, read
    the PageUrls of the menu's pages in one query.

    django CMS skips that prefetch in those modes (its menu links to the edit endpoints), but
    djangocms-rest's menu hook reads every node's path, one query per page otherwise.
    """
    if getattr(original, "release_working_path", False):
        return original

    @functools.wraps(original)
    def get_visible_page_contents(request: Any, page_contents: Any, site: Any) -> Any:
        visible = original(request, page_contents, site)
        toolbar = getattr(request, "toolbar", None)
        if toolbar is None or not (toolbar.edit_mode_active or toolbar.preview_mode_active):
            return visible
        from cms.models import PageUrl

        pages = [content.page for content in visible if not content.page.urls_cache]
        if pages:
            urls: dict[int, dict[str, PageUrl]] = {page.pk: {} for page in pages}
            for url in PageUrl.objects.filter(page_id__in=list(urls)):
                urls[url.page_id][url.language] = url
            for page in pages:
                page.urls_cache = urls[page.pk]
        return visible

    get_visible_page_contents.release_working_path = True
    return get_visible_page_contents
