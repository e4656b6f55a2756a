"""django CMS pages under releases: registration, copying and page URLs on deploy.

A page is reachable when its :class:`~cms.models.PageUrl` has a path. django CMS derives
PageUrls from *public* content only, so this module rebuilds them whenever a deploy or a
rollback changes which PageContent is live (:func:`rebuild_page_urls`, connected to the
:data:`~.signals.release_deploying` signal and so run inside the deploy transaction, also
in dry runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from .datastructures import VersionableItem, default_copy
from .manifest import changes_by_item
from .models import LIVE_POINTER_PK, Version

if TYPE_CHECKING:
    from cms.models import Page, PageContent, PageUrl
    from django.db import models

    from .manifest import DeployManifest

_BATCH = 500


# -- registration -----------------------------------------------------------------------


def copy_page_content(content: PageContent) -> PageContent:
    """Copy a PageContent: its fields, placeholders with plugins and content extensions.

    The copy has no Version; the service that asked for it attaches one.
    """
    return default_copy(content)


def _option_label(page: Page, language: str) -> str:
    content = page.get_admin_content(language, fallback=True)
    return getattr(content, "title", "") or str(page)


def page_versionable() -> VersionableItem:
    """The VersionableItem registering django CMS' PageContent (grouper ``page`` + language)."""
    from cms.models import PageContent

    return VersionableItem(
        content_model=PageContent,
        grouper_field_name="page",
        extra_grouping_fields=["language"],
        copy_function=copy_page_content,
        grouper_selector_option_label=_option_label,
    )


# -- content of one page in a release ---------------------------------------------------


def working_content(page: Page, language: str) -> PageContent | None:
    """The working release's active content of ``page`` in ``language`` (or None)."""
    from cms.models import PageContent

    return PageContent.admin_manager.current_content(page=page, language=language).first()


def working_placeholders(page: Page, language: str) -> models.QuerySet:
    """Placeholders of the working release's content of ``page`` (none if it has none)."""
    from cms.models import Placeholder

    content = working_content(page, language)
    if content is None:
        return Placeholder.objects.none()
    return Placeholder.objects.get_for_obj(content)


def blocking_versions(contents: Iterable[PageContent] | models.QuerySet) -> models.QuerySet:
    """Versions that forbid deleting ``contents``: those of a locked or the live release."""
    from cms.models import PageContent

    from . import registry

    item = registry.for_model(PageContent)
    ids = contents.values("pk") if hasattr(contents, "values") else [c.pk for c in contents]
    return (
        Version.objects.filter(content_type=item.content_type, object_id__in=ids)
        .filter(Q(release__is_locked=True) | Q(release__live_pointer__pk=LIVE_POINTER_PK))
        .select_related("release")
        .order_by("release__version")
    )


def editable_content(content: PageContent, user: Any) -> PageContent:
    """``content`` if it can be edited in place, else its draft (copy-on-write).

    :raises ValidationError: the release is locked or deprecated, or the content hidden.
    :raises PermissionDenied: ``user`` may not change the page.
    """
    from . import services

    if content.is_editable(None):
        return content
    return services.create_draft(content, user=user)


# -- cms copy lang ----------------------------------------------------------------------


def _new_translation(page: Page, source: PageContent, language: str, user: Any) -> PageContent:
    """A draft of ``page`` in ``language`` with the fields of ``source`` (a free slug)."""
    from cms.models import PageContent
    from cms.utils.page import get_available_slug

    from .copying import concrete_field_values

    base = page.parent.get_path(language) if page.parent_id else ""
    wanted = f"{base}/{source.slug}" if base else source.slug
    fields = concrete_field_values(source)
    fields.update(language=language, slug=get_available_slug(page.site, wanted, language))
    if source.overwrite_url:
        fields["overwrite_url"] = f"{base}/{fields['slug']}" if base else fields["slug"]
    content = PageContent.objects.with_user(user).create(**fields)
    content.rescan_placeholders()
    return content


def _copy_plugins(source: PageContent, target: PageContent, user: Any, *, only_empty: bool) -> int:
    """Copy ``source``'s plugins into ``target`` slot by slot; return how many were copied."""
    from cms.models import CMSPlugin, Placeholder
    from cms.utils.plugins import copy_plugins_to_placeholder, downcast_plugins

    plugins_by_slot = {}
    for placeholder in Placeholder.objects.get_for_obj(source):
        plugins = list(
            downcast_plugins(
                CMSPlugin.objects.filter(placeholder=placeholder, language=source.language).order_by(
                    "position"
                )
            )
        )
        if plugins:
            plugins_by_slot[placeholder.slot] = plugins
    if only_empty:
        filled = set(
            CMSPlugin.objects.filter(
                placeholder__in=Placeholder.objects.get_for_obj(target), language=target.language
            ).values_list("placeholder__slot", flat=True)
        )
        plugins_by_slot = {slot: plugins for slot, plugins in plugins_by_slot.items() if slot not in filled}
    if not plugins_by_slot:
        return 0
    target = editable_content(target, user)
    targets = target.rescan_placeholders()
    copied = 0
    for slot, plugins in plugins_by_slot.items():
        if slot in targets:
            copy_plugins_to_placeholder(
                plugins, targets[slot], language=target.language, plugins_are_downcast=True
            )
            copied += len(plugins)
    return copied


def copy_translations(
    from_language: str,
    to_language: str,
    *,
    site_id: int,
    user: Any,
    only_empty: bool = True,
    copy_content: bool = True,
) -> tuple[int, int]:
    """Copy every page's ``from_language`` content of the working release to ``to_language``.

    Missing translations are created as drafts of the working release; plugins are copied
    into the working release's content (copy-on-write where it is approved or shared).
    Atomic: on any error nothing changes.

    :returns: ``(translations created, plugins copied)``.
    :raises ValidationError: no editable working release, or a write was refused.
    """
    from cms.models import Page, PageContent

    from .context import get_working_release

    release = get_working_release()
    if release is None or not release.is_editable:
        raise ValidationError(
            gettext(
                "There is no open release to copy the content into (working release: %(release)s). "
                "Create one with create_release."
            )
            % {"release": release or "-"},
            code="no_open_release",
        )
    created = copied = 0
    with transaction.atomic():
        for page in Page.objects.on_site(site_id).order_by("path"):
            source = working_content(page, from_language)
            if source is None:
                continue
            target = working_content(page, to_language)
            if target is None:
                if PageContent.admin_manager.latest_content(page=page, language=to_language).exists():
                    continue  # hidden in this release: leave it alone
                target = _new_translation(page, source, to_language, user)
                created += 1
            if copy_content:
                copied += _copy_plugins(source, target, user, only_empty=only_empty)
    return created, copied


def copy_lang_handle(command: Any, *args: Any, **options: Any) -> None:
    """``cms copy lang`` under releases (replaces ``CopyLangCommand.handle``)."""
    from cms.management.commands.subcommands.copy import get_user
    from cms.utils import get_language_list
    from django.contrib.sites.models import Site
    from django.core.management import CommandError

    site_id = int(options["site"]) if options.get("site") else Site.objects.get_current().pk
    from_language, to_language = options["from_lang"], options["to_lang"]
    languages = get_language_list(site_id)
    if from_language not in languages or to_language not in languages:
        raise CommandError(
            "Both languages have to be present in settings.LANGUAGES and settings.CMS_LANGUAGES"
        )
    try:
        created, copied = copy_translations(
            from_language,
            to_language,
            site_id=site_id,
            user=get_user(options),
            only_empty=options.get("only_empty", True),
            copy_content=options.get("copy_content", True),
        )
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from error
    command.stdout.write(
        f"Created {created} translation(s) and copied {copied} plugin(s) from {from_language} to "
        f"{to_language} in the working release. Approve and deploy it to publish them.\nall done"
    )


# -- page URLs on deploy ----------------------------------------------------------------


@dataclass
class _Target:
    """The URL one page should have in one language after the deploy."""

    page: Page
    url: PageUrl | None
    slug: str | None = None
    path: str | None = None
    managed: bool = True

    @property
    def has_url(self) -> bool:
        return self.url is not None or self.slug is not None

    @property
    def changes(self) -> bool:
        if self.url is None:
            return self.slug is not None
        return (self.url.slug, self.url.path, self.url.managed) != (self.slug, self.path, self.managed)

    @property
    def moves(self) -> bool:
        """True if the path changes (so the paths of all descendants may change too)."""
        return self.has_url and (self.url is None or self.url.path != self.path)


def _live_changes(manifest: DeployManifest) -> dict[str, dict[int, PageContent | None]]:
    """``{language: {page id: newly live content or None}}`` for every changed page."""
    from cms.models import PageContent

    changed: dict[str, dict[int, int | None]] = {}
    for item, changes in changes_by_item(manifest):
        if item.content_model is not PageContent:
            continue
        for change in changes:
            values = item.grouping_filter(change.grouping_key)
            object_id = change.new.object_id if change.new is not None else None
            changed.setdefault(values["language"], {})[values["page_id"]] = object_id
    object_ids = [pk for pages in changed.values() for pk in pages.values() if pk is not None]
    contents = _in_batches(PageContent._base_manager.all(), object_ids)
    return {
        language: {page_id: contents.get(pk) if pk else None for page_id, pk in pages.items()}
        for language, pages in changed.items()
    }


def _in_batches(queryset: models.QuerySet, ids: Iterable[int], field: str = "pk") -> dict[int, Any]:
    """``{id: object}`` of the objects whose ``field`` is in ``ids`` (a query per 500 ids)."""
    ids = sorted(set(ids))
    attname = "pk" if field == "pk" else field
    found: dict[int, Any] = {}
    for start in range(0, len(ids), _BATCH):
        for obj in queryset.filter(**{f"{field}__in": ids[start : start + _BATCH]}):
            found[getattr(obj, attname)] = obj
    return found


def _descendants(pages: Iterable[Page]) -> list[Page]:
    """All descendants of ``pages`` (one query per 500 subtrees)."""
    from cms.models import Page

    paths = sorted({page.path for page in pages if not page.is_leaf()})
    found: list[Page] = []
    for start in range(0, len(paths), _BATCH):
        condition = Q()
        for path in paths[start : start + _BATCH]:
            condition |= Q(path__startswith=path) & ~Q(path=path)
        found.extend(Page.objects.filter(condition))
    return found


class _PathResolver:
    """Paths of pages outside the rebuilt set, read once (a fallback language if needed)."""

    def __init__(self, language: str, pages: list[Page], computed: dict[int, _Target]) -> None:
        from cms.models import Page, PageUrl

        self.language = language
        self.computed = computed
        ids = {page.pk for page in pages}
        outside = {page.parent_id for page in pages if page.parent_id and page.parent_id not in ids}
        self.parents = _in_batches(Page.objects.all(), outside)
        self.urls: dict[tuple[int, str], str | None] = {}
        outside = sorted(outside)
        for start in range(0, len(outside), _BATCH):
            chunk = outside[start : start + _BATCH]
            for url in PageUrl.objects.filter(page_id__in=chunk).only("page_id", "language", "path"):
                self.urls[(url.page_id, url.language)] = url.path

    def is_home(self, page_id: int) -> bool:
        target = self.computed.get(page_id)
        page = target.page if target is not None else self.parents.get(page_id)
        return bool(page and page.is_home)

    def path_of(self, page_id: int) -> str | None:
        """The path ``page_id`` has after the deploy (its fallback languages' if it has none)."""
        from cms.utils.i18n import get_fallback_languages

        target = self.computed.get(page_id)
        if target is not None:
            return target.path if target.has_url else None
        if (page_id, self.language) in self.urls:
            return self.urls[(page_id, self.language)]
        parent = self.parents.get(page_id)
        if parent is None:
            return None
        for language in get_fallback_languages(self.language, site_id=parent.site_id):
            if (page_id, language) in self.urls:
                return self.urls[(page_id, language)]
        return None

    def derived_path(self, page: Page, slug: str) -> str | None:
        """The managed path of ``page`` with ``slug`` below its (rebuilt) parent."""
        if page.is_home:
            return ""
        if page.parent_id is None or self.is_home(page.parent_id):
            return slug
        base = self.path_of(page.parent_id)
        return f"{base}/{slug}" if base else None


def _compute(language: str, pages: list[Page], changed: dict[int, PageContent | None]) -> list[_Target]:
    """The URL of each of ``pages`` in ``language``, parents before children."""
    from cms.models import PageUrl

    urls = _in_batches(PageUrl.objects.filter(language=language), [page.pk for page in pages], "page_id")
    computed: dict[int, _Target] = {}
    resolver = _PathResolver(language, pages, computed)
    for page in sorted(pages, key=lambda page: page.path):
        target = _Target(page=page, url=urls.get(page.pk))
        computed[page.pk] = target
        content = changed.get(page.pk)
        if content is not None:
            target.slug = content.slug
            if content.overwrite_url and not page.is_home:
                target.path, target.managed = content.overwrite_url.strip("/"), False
            else:
                target.path = resolver.derived_path(page, content.slug)
        elif target.url is not None:
            target.slug, target.managed = target.url.slug, target.url.managed
            if page.pk in changed:  # no live content any more: stop resolving, keep the slug
                target.path = None
            elif target.managed:
                target.path = resolver.derived_path(page, target.url.slug)
            else:
                target.path = target.url.path
    return list(computed.values())


def _targets(language: str, changed: dict[int, PageContent | None]) -> list[_Target]:
    """The URLs of the changed pages, and of the descendants of those whose path moves."""
    from cms.models import Page

    pages = list(_in_batches(Page.objects.all(), changed).values())
    targets = _compute(language, pages, changed)
    moved = [target.page for target in targets if target.moves]
    if not moved:
        return targets
    by_id = {page.pk: page for page in pages}
    for page in _descendants(moved):
        by_id.setdefault(page.pk, page)
    return _compute(language, list(by_id.values()), changed)


def _page_label(page: Page, language: str) -> str:
    from cms.models import PageContent

    content = PageContent.objects.filter(page=page, language=language).first()
    title = content.title if content is not None else gettext("untitled")
    return gettext('"%(title)s" (page %(id)s)') % {"title": title, "id": page.pk}


def _collision_error(language: str, path: str, page: Page, other: Page) -> ValidationError:
    return ValidationError(
        gettext(
            'Deploying would give two pages the URL "/%(path)s" in %(language)s: %(page)s and '
            "%(other)s. Nothing was deployed. Change the slug of one of them in a new release "
            "and deploy that."
        )
        % {
            "path": path,
            "language": language,
            "page": _page_label(page, language),
            "other": _page_label(other, language),
        },
        code="url_collision",
    )


def _check_collisions(language: str, targets: list[_Target]) -> None:
    """:raises ValidationError: two pages would share a path (naming both)."""
    from cms.models import Page, PageUrl

    claimed: dict[tuple[int, str], Page] = {}
    for target in targets:
        if target.path is None or (target.url is None and target.slug is None):
            continue
        key = (target.page.site_id, target.path)
        if key in claimed:
            raise _collision_error(language, target.path, claimed[key], target.page)
        claimed[key] = target.page
    # The URLs of the rebuilt pages are all rewritten, so only another page's URL can clash.
    # Filtering them out here, not with NOT IN (every rebuilt id) in each batch's query,
    # keeps the check linear in the number of rebuilt pages.
    rebuilt = {target.page.pk for target in targets}
    by_site: dict[int, list[str]] = {}
    for site_id, path in claimed:
        by_site.setdefault(site_id, []).append(path)
    for site_id, paths in by_site.items():
        for start in range(0, len(paths), _BATCH):
            holders = PageUrl.objects.filter(
                site_id=site_id, language=language, path__in=paths[start : start + _BATCH]
            ).values_list("path", "page_id")
            for path, page_id in holders:
                if page_id not in rebuilt:
                    page = claimed[(site_id, path)]
                    raise _collision_error(language, path, page, Page.objects.get(pk=page_id))


def _write(language: str, targets: list[_Target]) -> None:
    """Apply the computed URLs: free the old paths first, so swaps cannot collide."""
    from cms.models import PageUrl

    changed = [target for target in targets if target.changes]
    moving = [target.url.pk for target in changed if target.url is not None and target.url.path is not None]
    for start in range(0, len(moving), _BATCH):
        PageUrl.objects.filter(pk__in=moving[start : start + _BATCH]).update(path=None)
    updated, created = [], []
    for target in changed:
        if target.url is None:
            created.append(
                PageUrl(
                    page=target.page,
                    site_id=target.page.site_id,
                    language=language,
                    slug=target.slug,
                    path=target.path,
                    managed=target.managed,
                )
            )
        else:
            target.url.slug, target.url.path, target.url.managed = target.slug, target.path, target.managed
            updated.append(target.url)
    PageUrl.objects.bulk_update(updated, ["slug", "path", "managed"], batch_size=_BATCH)
    PageUrl.objects.bulk_create(created, batch_size=_BATCH)


def rebuild_page_urls(manifest: DeployManifest) -> None:
    """Give every page whose live content changed the URL of its new live content.

    Runs inside the deploy (or rollback) transaction. For each changed (page, language),
    parents before children, the PageUrl takes the slug / overwrite URL of the newly live
    content; pages that are no longer live keep their slug but lose their path (404);
    descendants' managed paths follow their parent. Slug swaps between pages of one
    release are fine: old paths are freed before new ones are written. The page cache and
    menus are cleared when the deploy commits (see ``services.deploy_release``).

    The work grows with the number of changed pages and their descendants.

    :raises ValidationError: two pages would get the same URL; nothing is written.
    """
    planned = [
        (language, _targets(language, changed)) for language, changed in _live_changes(manifest).items()
    ]
    for language, targets in planned:
        _check_collisions(language, targets)
    for language, targets in planned:
        _write(language, targets)


def _reload_apphooks_if_needed(manifest: DeployManifest) -> None:
    """A changed page with an apphook: every process rebuilds its URLconf.

    The new URLconf revision is written inside the deploy transaction (not after commit),
    so it is part of the deploy even if the deploying process dies right after COMMIT.
    ``application_urls`` is nullable: a page without an apphook has NULL or "".
    """
    from cms.models import Page
    from cms.utils.apphook_reload import mark_urlconf_as_changed

    page_ids = {page_id for pages in _live_changes(manifest).values() for page_id in pages}
    if (
        page_ids
        and Page.objects.filter(pk__in=page_ids, application_urls__isnull=False)
        .exclude(application_urls="")
        .exists()
    ):
        mark_urlconf_as_changed()


def on_release_deployed(sender: Any, manifest: DeployManifest, **kwargs: Any) -> None:
    """``release_deploying`` receiver (deploys, rollbacks and dry runs)."""
    rebuild_page_urls(manifest)
    _reload_apphooks_if_needed(manifest)


def iter_page_contents(pages: Iterable[Page], attr: str = "filtered_translations") -> Iterator[PageContent]:
    """Every prefetched PageContent of ``pages`` (as the page tree prefetches them)."""
    for page in pages:
        yield from getattr(page, attr, ())
