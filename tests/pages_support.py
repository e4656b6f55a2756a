"""Helpers shared by the ``test_pages_*`` modules (this module holds no tests)."""

from __future__ import annotations

from cms.api import add_plugin, create_page, create_page_content
from cms.models import CMSPlugin, Page, PageContent, PageUrl, Placeholder

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release


def make_page(
    title: str,
    user,
    *,
    parent: Page | None = None,
    slug: str | None = None,
    template: str = "page.html",
    **kwargs,
) -> Page:
    """A page with English content (a draft in the working release), shown in menus."""
    kwargs.setdefault("in_navigation", True)
    return create_page(title, template, "en", created_by=user, parent=parent, slug=slug, **kwargs)


def translate(page: Page, language: str, title: str, user, **kwargs) -> PageContent:
    return create_page_content(language, title, page, created_by=user, template="page.html", **kwargs)


def content_of(page: Page, language: str = "en", release: Release | str | None = None) -> PageContent:
    """The content of ``page`` in ``release`` (default: the working release)."""
    if release is None:
        return PageContent.admin_manager.latest_content(page=page, language=language).get()
    return PageContent.admin_manager.all_rows(release).get(page=page, language=language)


def add_text(content: PageContent, body: str, slot: str = "content") -> CMSPlugin:
    placeholder = content.get_placeholders().get(slot=slot)
    return add_plugin(placeholder, "TextPlugin", content.language, body=body)


def texts(content: PageContent) -> list[str]:
    """Bodies of the text plugins of ``content`` (all placeholders), in order."""
    placeholders = Placeholder.objects.get_for_obj(content)
    plugins = CMSPlugin.objects.filter(placeholder__in=placeholders, language=content.language)
    return [plugin.get_bound_plugin().body for plugin in plugins.order_by("placeholder__slot", "position")]


def ship(release: Release | str) -> Release:
    """Approve, lock and deploy ``release``; return it fresh."""
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)
    return Release.objects.get(version=str(release))


def branch(version: str, base: Release | str) -> Release:
    return services.create_release(version, based_on=base)


def edit(page: Page, user, release: Release | str, language: str = "en", **fields) -> PageContent:
    """Give ``page`` a draft in ``release`` with ``fields`` changed (copy-on-write)."""
    with use_release(release):
        draft = services.create_draft(content_of(page, language), user=user)
        for name, value in fields.items():
            setattr(draft, name, value)
        if fields:
            draft.save()
    return draft


def paths(language: str = "en") -> dict[int, str | None]:
    """``{page id: path}`` of every PageUrl in ``language``."""
    return dict(PageUrl.objects.filter(language=language).values_list("page_id", "path"))


def url_rows() -> list[tuple]:
    return list(
        PageUrl.objects.order_by("page_id", "language").values_list(
            "page_id", "language", "slug", "path", "managed"
        )
    )
