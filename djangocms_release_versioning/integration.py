"""The one module that changes classes this package does not own.

Everything here is idempotent: installing twice leaves one set of managers, one check
and one receiver per sender.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
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


def install_content_methods(model: type[models.Model]) -> None:
    """``is_editable(request)`` and ``content_indicator()`` as django CMS expects them."""
    model.is_editable = is_editable
    model.content_indicator = content_indicator


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
    drop_unique_together(model)
    uid = f"release_versioning_{model._meta.label_lower}"
    pre_save.connect(enforcement.content_pre_save, sender=model, dispatch_uid=f"{uid}_save")
    pre_delete.connect(enforcement.content_pre_delete, sender=model, dispatch_uid=f"{uid}_delete")
    post_delete.connect(enforcement.content_post_delete, sender=model, dispatch_uid=f"{uid}_deleted")
    pre_delete.connect(
        enforcement.grouper_pre_delete,
        sender=item.grouper_model,
        dispatch_uid=f"release_versioning_grouper_{item.grouper_model._meta.label_lower}",
    )


def install_global() -> None:
    """Guards on every plugin and extension model (called once all apps are configured)."""
    from cms.extensions.models import BaseExtension
    from cms.models import CMSPlugin

    install_placeholder_check()
    from cms.models import PageContent

    from .pages import on_release_deployed
    from .signals import release_deployed

    if registry.is_registered(PageContent):
        release_deployed.connect(on_release_deployed, dispatch_uid="release_versioning_page_urls")
    from . import ecosystem
    from .admin_integration import replace_content_admins

    replace_content_admins()
    ecosystem.install()
    for model in apps.get_models():
        label = model._meta.label_lower
        if issubclass(model, CMSPlugin):
            receiver = enforcement.plugin_pre_write
        elif issubclass(model, BaseExtension) and registry.for_model(
            model._meta.get_field("extended_object").remote_field.model
        ):
            receiver = enforcement.extension_pre_write
        else:
            continue
        pre_save.connect(receiver, sender=model, dispatch_uid=f"release_versioning_{label}_save")
        pre_delete.connect(receiver, sender=model, dispatch_uid=f"release_versioning_{label}_delete")
