"""djangocms-stories posts under releases (stories registers only with djangocms-versioning)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .datastructures import VersionableItem, default_copy

if TYPE_CHECKING:
    from .models import Version


def _language_lookup(*args: Any) -> Any:
    from cms.utils.i18n import get_language_tuple
    from django.contrib.sites.shortcuts import get_current_site

    return get_language_tuple(site_id=get_current_site(args[0] if args else None).pk)


def post_published(version: Version) -> None:
    """Record the first publication date of the post; clear an expired end date."""
    post = version.content.post
    now = timezone.now()
    if not post.date_published:
        post.date_published = now
    if post.date_published_end and post.date_published_end < now:
        post.date_published_end = None
    post.save(update_fields=["date_published", "date_published_end"])


def post_unpublished(version: Version) -> None:
    """When the last live language of a post goes, record the end of publication."""
    from djangocms_stories.models import PostContent

    post = PostContent._base_manager.get(pk=version.object_id).post
    if PostContent.objects.filter(post=post).exists():
        return
    now = timezone.now()
    if not post.date_published_end or post.date_published_end < now:
        post.date_published_end = now
        post.save(update_fields=["date_published_end"])


def stories_versionable() -> VersionableItem:
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
