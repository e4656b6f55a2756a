"""Release-aware behaviour for the admins of registered content models.

Each registered content model's ModelAdmin is re-registered with
:class:`ReleaseContentAdminMixin` in front of its own class (``get_content_admin_mixin``
chooses a model-specific mixin, e.g. for PageContent). Called from :mod:`.integration`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models, transaction
from django.http import HttpRequest

from . import registry
from .managers import unfiltered_objects


class ReleaseContentAdminMixin:
    """All rows reachable in the admin; non-editable content is read-only with its reason."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        with unfiltered_objects():
            return super().get_queryset(request)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or bool(obj.is_editable(request))

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            editable = obj.is_editable(request)
            if not editable:
                messages.warning(request, str(editable))
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        """New rows created through the admin join the working release as drafts."""
        from .models import Version
        from .services import attach_new_content

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change and not Version.objects.for_content(obj).exists():
                attach_new_content(obj, user=request.user)


def _mixin_for(model: type[models.Model]) -> type:
    from cms.models import PageContent

    if model is PageContent:
        from .page_admin import PageContentAdminMixin

        return PageContentAdminMixin
    return ReleaseContentAdminMixin


def replace_content_admins(site: admin.AdminSite | None = None) -> None:
    """Re-register the admin of every registered content model with its release mixin."""
    site = site or admin.site
    for item in registry.items():
        model = item.content_model
        model_admin = site._registry.get(model)
        if model_admin is None:
            continue
        mixin = _mixin_for(model)
        if isinstance(model_admin, mixin):
            continue
        extra = [item.content_admin_mixin] if isinstance(item.content_admin_mixin, type) else []
        admin_class = type(
            f"Release{type(model_admin).__name__}",
            (*extra, mixin, type(model_admin)),
            {"__module__": mixin.__module__},
        )
        site.unregister(model)
        site.register(model, admin_class)
    replace_grouper_admins(site)


def replace_grouper_admins(site: admin.AdminSite | None = None) -> None:
    """Re-register grouper admins of items with a ``grouper_admin_mixin`` in front of it.

    ``"__default__"`` means :class:`.grouper_admin.ReleaseGrouperAdminMixin`; a class is
    used instead of it. Only ``GrouperModelAdmin``-like admins (``get_content_obj``) qualify.
    """
    from .grouper_admin import ReleaseGrouperAdminMixin

    site = site or admin.site
    for item in registry.items():
        mixin = item.grouper_admin_mixin
        if item.uses_default_grouper_admin_mixin:
            mixin = ReleaseGrouperAdminMixin
        model_admin = site._registry.get(item.grouper_model)
        if not isinstance(mixin, type) or model_admin is None or isinstance(model_admin, mixin):
            continue
        if not hasattr(model_admin, "get_content_obj"):
            continue
        admin_class = type(
            f"Release{type(model_admin).__name__}",
            (mixin, type(model_admin)),
            {"__module__": mixin.__module__},
        )
        site.unregister(item.grouper_model)
        site.register(item.grouper_model, admin_class)
