"""The one module that changes classes this package does not own.

Everything here is idempotent: installing twice leaves one set of managers, one check
and one receiver per sender.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models, router, transaction
from django.db.models.signals import post_delete, pre_delete, pre_save

from . import enforcement, registry
from .editing import is_editable, placeholder_is_editable
from .indicators import content_indicator
from .managers import AdminManagerMixin, PublicManagerMixin

if TYPE_CHECKING:
    from .datastructures import VersionableItem

_MARK = "_release_versioning_installed"


def _subclass(mixin: type, base: type, prefix: str) -> type:
    if issubclass(base, mixin):
        return base
    return type(f"{prefix}{base.__name__}", (mixin, base), {"__module__": mixin.__module__})


def _replace_manager(model: type[models.Model], name: str, manager: models.Manager) -> None:
    """Put ``manager`` on ``model`` as ``name`` and refresh Django's manager caches."""
    model._meta.local_managers = [m for m in model._meta.local_managers if m.name != name]
    model.add_to_class(name, manager)
    model._meta._expire_cache()


def install_managers(model: type[models.Model]) -> None:
    """Give ``model`` its public ``objects``, ``_original_manager`` and ``admin_manager``.

    ``objects`` keeps its original class (mixin in front) and its creation counter, so it
    stays ``_default_manager`` and related managers filter too.
    """
    if getattr(model, _MARK, False):
        return
    managers = model._meta.managers_map
    objects = managers.get("objects") or model._default_manager
    original_class = type(objects)
    counter = objects.creation_counter

    public = _subclass(PublicManagerMixin, original_class, "Release")()
    public.creation_counter = counter
    _replace_manager(model, "objects", public)

    unfiltered = original_class()
    _replace_manager(model, "_original_manager", unfiltered)

    admin = managers.get("admin_manager")
    admin_class = type(admin) if admin is not None else models.Manager
    from cms.models.managers import ContentAdminManager

    if admin is None:
        admin_class = ContentAdminManager
    _replace_manager(model, "admin_manager", _subclass(AdminManagerMixin, admin_class, "Release")())
    setattr(model, _MARK, True)


def atomic_writes(model: type[models.Model]) -> None:
    """Run ``model.save()`` / ``delete()`` in a transaction when none is open.

    The write guards take a shared row lock on the releases involved; outside a
    transaction no lock could be held, and a concurrent ``lock_release`` could commit
    between the guard and the write. Inside an open transaction nothing changes (no
    savepoint query, and a refused save leaves the outer transaction usable).
    """
    for name in ("save", "delete"):
        original = getattr(model, name)
        if getattr(original, "_release_atomic", False):
            continue

        def wrapper(self: models.Model, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            if transaction.get_connection(using).in_atomic_block:
                return _original(self, *args, **kwargs)
            with transaction.atomic(using=using):
                return _original(self, *args, **kwargs)

        functools.update_wrapper(wrapper, original)
        wrapper._release_atomic = True
        setattr(model, name, wrapper)


def install_deletion_guard() -> None:
    """Check guarded deletes before Django's deletion collector opens its transaction block.

    ``Collector.delete`` sends ``pre_delete`` inside ``atomic(savepoint=False)``: a refusal
    raised there would leave the caller's transaction unusable (``TransactionManagementError``
    on the next query). The wrapper runs the delete guards of :mod:`.enforcement` first, for
    ``Model.delete()``, ``QuerySet.delete()`` and cascades alike. Collectors without a
    guarded model are untouched; outside a transaction the check and the delete share one
    (so the guards' row locks are held until the delete commits).
    """
    from django.db.models.deletion import Collector

    original = Collector.delete
    if getattr(original, "_release_guarded", False):
        return

    def delete(self: Collector) -> tuple[int, dict[str, int]]:
        if not enforcement.guards_deletion(self):
            return original(self)
        if transaction.get_connection(self.using).in_atomic_block:
            checked = enforcement.check_deletion(self)
            with enforcement.checked_deletion(checked):
                return original(self)
        with transaction.atomic(using=self.using):
            checked = enforcement.check_deletion(self)
            with enforcement.checked_deletion(checked):
                return original(self)

    functools.update_wrapper(delete, original)
    delete._release_guarded = True
    Collector.delete = delete


def _plugin_tree_method(original: Any, targets: Any) -> Any:
    def method(self: models.Model, *args: Any, **kwargs: Any) -> Any:
        placeholders = [self, *targets(*args, **kwargs)]
        using = router.db_for_write(type(self), instance=self)
        if transaction.get_connection(using).in_atomic_block:
            with enforcement.plugin_tree_write(*placeholders):
                return original(self, *args, **kwargs)
        with transaction.atomic(using=using), enforcement.plugin_tree_write(*placeholders):
            return original(self, *args, **kwargs)

    functools.update_wrapper(method, original)
    method._release_guarded = True
    return method


def _move_targets(plugin: Any = None, target_position: Any = None, target_placeholder: Any = None, **kw: Any):
    return [target_placeholder] if target_placeholder is not None else []


def install_placeholder_guards() -> None:
    """``Placeholder.add_plugin`` / ``move_plugin`` / ``delete_plugin(s)`` check first.

    They shift plugin positions with ``QuerySet.update()`` (no signal) before or instead of
    saving a plugin, so the signal receivers alone would refuse too late (positions already
    shifted) or never (a move). A refusal now comes before anything is written.
    """
    from cms.models import Placeholder

    for name, targets in (
        ("add_plugin", lambda *args, **kwargs: []),
        ("move_plugin", _move_targets),
        ("delete_plugin", lambda *args, **kwargs: []),
        ("delete_plugins", lambda *args, **kwargs: []),
    ):
        original = getattr(Placeholder, name, None)
        if original is None or getattr(original, "_release_guarded", False):
            continue
        setattr(Placeholder, name, _plugin_tree_method(original, targets))


def _placeholder_change_permission(original: Any) -> Any:
    """Wrap ``has_placeholder_change_permission``: placeholders of content that cannot be
    edited in place are read-only whatever the user may do (endpoints such as
    djangocms-text's check only this method, not the placeholder checks)."""

    def has_placeholder_change_permission(self: models.Model, user: Any) -> bool:
        if original is not None:
            allowed = original(self, user)
        else:
            opts = self._meta
            allowed = user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        return bool(allowed) and bool(is_editable(self))

    has_placeholder_change_permission._release_wrapped = True
    has_placeholder_change_permission._release_original = original
    return has_placeholder_change_permission


def install_content_methods(model: type[models.Model]) -> None:
    """``is_editable(request)``, ``content_indicator()``, a read-only ``versions`` and a
    ``has_placeholder_change_permission`` that respects editability."""
    model.is_editable = is_editable
    model.content_indicator = content_indicator
    original = getattr(model, "has_placeholder_change_permission", None)
    if not getattr(original, "_release_wrapped", False):
        model.has_placeholder_change_permission = _placeholder_change_permission(original)
    if not hasattr(model, "versions"):  # what apps written for djangocms-versioning read
        from .ecosystem import content_versions

        model.versions = property(content_versions)


def install_placeholder_check() -> None:
    """Plugin endpoints refuse content that cannot be edited in place."""
    from cms.models.fields import PlaceholderRelationField

    if placeholder_is_editable not in PlaceholderRelationField.default_checks:
        PlaceholderRelationField.default_checks.append(placeholder_is_editable)


def drop_unique_together(model: type[models.Model]) -> None:
    """Allow several content rows per grouping (one per release) at runtime."""
    model._meta.unique_together = ()


def install(item: VersionableItem) -> None:
    """Wire one registered content model (called from the cms_config extension)."""
    model = item.content_model
    install_managers(model)
    install_content_methods(model)
    atomic_writes(model)
    drop_unique_together(model)
    uid = f"release_versioning_{model._meta.label_lower}"
    pre_save.connect(enforcement.content_pre_save, sender=model, dispatch_uid=f"{uid}_save")
    pre_delete.connect(enforcement.content_pre_delete, sender=model, dispatch_uid=f"{uid}_delete")
    enforcement.register_delete_guard(model, enforcement.content_pre_delete)
    post_delete.connect(enforcement.content_post_delete, sender=model, dispatch_uid=f"{uid}_deleted")
    pre_delete.connect(
        enforcement.grouper_pre_delete,
        sender=item.grouper_model,
        dispatch_uid=f"release_versioning_grouper_{item.grouper_model._meta.label_lower}",
    )
    enforcement.register_delete_guard(item.grouper_model, enforcement.grouper_pre_delete)
    install_deletion_guard()


def install_global() -> None:
    """Guards on every plugin and extension model (called once all apps are configured)."""
    from cms.extensions.models import BaseExtension
    from cms.models import CMSPlugin

    install_placeholder_check()
    install_placeholder_guards()
    atomic_writes(CMSPlugin)
    from cms.models import PageContent

    from .pages import on_release_deployed
    from .signals import release_deploying

    if registry.is_registered(PageContent):
        from cms.management.commands.subcommands.copy import CopyLangCommand

        from .page_admin import replace_page_admin
        from .pages import copy_lang_handle

        release_deploying.connect(on_release_deployed, dispatch_uid="release_versioning_page_urls")
        replace_page_admin()
        CopyLangCommand.handle = copy_lang_handle  # core reads and writes the *public* rows
    from . import ecosystem
    from .admin_integration import replace_content_admins

    replace_content_admins()
    ecosystem.install()
    install_cache_keys()
    install_stories_feeds()
    install_rest_preview()
    for model in apps.get_models():
        label = model._meta.label_lower
        if issubclass(model, CMSPlugin):
            receiver = enforcement.plugin_pre_write
        elif issubclass(model, BaseExtension) and registry.for_model(
            model._meta.get_field("extended_object").remote_field.model
        ):
            receiver = enforcement.extension_pre_write
            atomic_writes(model)
        else:
            continue
        pre_save.connect(receiver, sender=model, dispatch_uid=f"release_versioning_{label}_save")
        pre_delete.connect(receiver, sender=model, dispatch_uid=f"release_versioning_{label}_delete")
        enforcement.register_delete_guard(model, receiver)
    install_deletion_guard()


def install_cache_keys() -> None:
    """Key every cache of public content by the live deployment (see :mod:`.caching`).

    django CMS' page, placeholder, page-URL and menu caches build their keys from
    ``get_cms_setting("CACHE_PREFIX")``, which calls the function registered for a name in
    ``cms.utils.conf.COMPLEX``: one entry there covers them all. djangocms-stories' feed
    cache keys posts by their grouper only, so its key gets the token too.
    """
    from cms.utils import conf as cms_conf

    from .caching import cms_cache_prefix, public_cache_key

    cms_conf.COMPLEX["CACHE_PREFIX"] = cms_cache_prefix
    if not apps.is_installed("djangocms_stories"):
        return
    from djangocms_stories.models import Post

    original = Post.get_cache_key
    if getattr(original, "_release_keyed", False):
        return

    def get_cache_key(self: models.Model, language: str, prefix: str) -> str:
        return public_cache_key(original(self, language, prefix))

    functools.update_wrapper(get_cache_key, original)
    get_cache_key._release_keyed = True
    Post.get_cache_key = get_cache_key


def install_stories_feeds() -> None:
    """djangocms-stories' RSS feeds list every post; make them list live posts only."""
    if not apps.is_installed("djangocms_stories"):
        return
    from djangocms_stories import feeds
    from djangocms_stories.models import PostContent

    from .stories import live_feed_items

    if not registry.is_registered(PostContent):
        return
    for feed in (feeds.LatestEntriesFeed, feeds.TagFeed, feeds.FBInstantArticles):
        feed.items = live_feed_items(feed.__dict__["items"])


def install_rest_preview() -> None:
    """djangocms-rest: staff previews link and serve pages new in the working release (see
    :mod:`.rest`); without this its page serializer fails on a page that has no live URL."""
    if not apps.is_installed("djangocms_rest"):
        return
    from cms import cms_menus
    from cms.models import Page
    from djangocms_rest import views, views_base

    from .rest import install_preview_marks, prefetch_menu_urls, preview_api_endpoint, preview_get_object

    cms_menus.get_visible_page_contents = prefetch_menu_urls(cms_menus.get_visible_page_contents)
    install_preview_marks(views_base.BaseAPIMixin)
    views.get_object = preview_get_object(views.get_object)
    if hasattr(Page, "get_api_endpoint"):
        Page.get_api_endpoint = preview_api_endpoint(Page.get_api_endpoint)
