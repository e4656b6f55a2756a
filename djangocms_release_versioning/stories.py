"""djangocms-stories posts under releases.

djangocms-stories only registers ``PostContent`` with djangocms-versioning, so this package
registers it (see :mod:`.cms_config`), sets the publication dates stories expects when a
deploy changes what is live, and provides what stories shows only with djangocms-versioning:
the toolbar's "View live" button (:func:`add_view_live_button`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .datastructures import VersionableItem, default_copy

if TYPE_CHECKING:
    from cms.toolbar.toolbar import CMSToolbar
    from djangocms_stories.models import Post, PostContent

    from .models import Version


def _language_lookup(*args: Any) -> Any:
    """Language filter choices; called with ``(request, model_admin)`` or nothing."""
    from cms.utils.i18n import get_language_tuple
    from django.contrib.sites.shortcuts import get_current_site

    return get_language_tuple(site_id=get_current_site(args[0] if args else None).pk)


def _post_of(version: Version) -> Post:
    from djangocms_stories.models import PostContent

    return PostContent._base_manager.select_related("post").get(pk=version.object_id).post


def is_post_live(post: Post) -> bool:
    """True if some language of ``post`` is approved and active in the live release."""
    from djangocms_stories.models import PostContent

    from .models import Release

    live = Release.objects.live()
    return live is not None and PostContent.admin_manager.approved(live).filter(post=post).exists()


def post_published(version: Version) -> None:
    """``on_publish``: record the first publication date; clear an end date that has passed.

    Called by ``deploy_release`` for every post language that goes live or changes; not
    while existing content is adopted (it was public before, its dates stay as they are).
    """
    from .services.adopt import adopting

    if adopting():
        return
    post = _post_of(version)
    now = timezone.now()
    if not post.date_published:
        post.date_published = now
    if post.date_published_end and post.date_published_end < now:
        post.date_published_end = None
    post.save(update_fields=["date_published", "date_published_end"])


def post_unpublished(version: Version) -> None:
    """``on_unpublish``: when the last live language of a post leaves, record the end date.

    Runs inside the deploy after the live pointer switched, so "live" is the new release.
    """
    post = _post_of(version)
    if is_post_live(post):
        return
    now = timezone.now()
    if not post.date_published_end or post.date_published_end < now:
        post.date_published_end = now
        post.save(update_fields=["date_published_end"])


def stories_versionable() -> VersionableItem:
    """The VersionableItem djangocms-stories would register with djangocms-versioning."""
    from djangocms_stories.models import PostContent

    return VersionableItem(
        content_model=PostContent,
        grouper_field_name="post",
        extra_grouping_fields=["language"],
        version_list_filter_lookups={"language": _language_lookup},
        grouper_selector_option_label=lambda obj, lang: obj.get_title(lang),
        copy_function=default_copy,
        grouper_admin_mixin="__default__",
        on_publish=post_published,
        on_unpublish=post_unpublished,
    )


def live_post_url(content: PostContent, language: str | None = None) -> str:
    """URL of the live version of ``content``'s post in ``language`` ("" if not live)."""
    from djangocms_stories.models import PostContent

    language = language or content.language
    live = (
        PostContent.objects.filter(post_id=content.post_id, language=language)
        .select_related("post__app_config")
        .first()
    )
    if live is None:
        return ""
    return live.get_absolute_url(language) or ""


def add_view_live_button(toolbar: CMSToolbar) -> bool:
    """Add "View live" for a post being edited or previewed; return whether it was added.

    djangocms-stories offers "View Published" only when djangocms-versioning is installed;
    this is the release-versioning equivalent, for the provider's toolbar to call.
    """
    from cms.toolbar.items import ButtonList
    from djangocms_stories.models import PostContent

    content = toolbar.get_object()
    if not isinstance(content, PostContent):
        return False
    if not (toolbar.edit_mode_active or toolbar.preview_mode_active):
        return False
    url = live_post_url(content)
    if not url:
        return False
    buttons = ButtonList(side=toolbar.RIGHT)
    buttons.add_button(
        _("View live"), url=url, disabled=False, extra_classes=["cms-btn", "cms-btn-switch-save"]
    )
    toolbar.add_item(buttons)
    return True


def live_feed_items(items: Callable[..., Iterable[Post]]) -> Callable[..., list[Post]]:
    """Wrap a stories feed's ``items()`` so that it lists only posts live in the current language.

    djangocms-stories' feeds list every ``Post`` (groupers are not versioned), so a post that
    was never deployed would show up as an empty item. Idempotent.
    """
    if getattr(items, "release_live_only", False):
        return items

    @wraps(items)
    def live_items(feed: Any, obj: Any = None) -> list[Post]:
        from djangocms_stories.models import PostContent

        posts = list(items(feed, obj))
        live = set(
            PostContent.objects.filter(post__in=[post.pk for post in posts], language=get_language())
            .order_by()
            .values_list("post_id", flat=True)
        )
        return [post for post in posts if post.pk in live]

    live_items.release_live_only = True
    return live_items
