"""Release-aware behaviour for the admins of registered content models.

Each registered content model's ModelAdmin is re-registered with
:class:`ReleaseContentAdminMixin` in front of its own class (``get_content_admin_mixin``
chooses a model-specific mixin, e.g. for PageContent). Called from :mod:`.integration`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from . import registry
from .enforcement import check_deletable
from .managers import unfiltered_objects
from .views.common import next_url, refused

AdminView = Callable[..., HttpResponse]


def answer_refusals(view: AdminView) -> AdminView:
    """Decorate an admin view: a refusal (``ValidationError``) escaping it is answered with
    ``views.common.refused`` (a message and a redirect back, or an escaped 400 to AJAX
    requests) instead of a 500. The refusal came before anything was written (DESIGN §9.1.9).
    """

    @functools.wraps(view)
    def answered(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(self, request, *args, **kwargs)
        except ValidationError as error:
            return refused(request, error, next_url(request, self.refusal_url(request)))

    return answered


class RefusalAnswersMixin:
    """Admin views of versioned content and groupers answer refusals, never with a 500.

    A delete that would be refused is refused on the confirmation page already; a refusal
    raised while saving or deleting (a release locked meanwhile, a bulk delete action)
    becomes an error message.
    """

    def refusal_url(self, request: HttpRequest) -> str:
        """Where a refused request goes back to: the changelist (the admin index if none)."""
        opts = self.model._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            return reverse("admin:index")

    @answer_refusals
    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().add_view(request, *args, **kwargs)

    @answer_refusals
    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().change_view(request, *args, **kwargs)

    @answer_refusals
    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changelist_view(request, *args, **kwargs)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Refused with a message (back to the changelist) if the delete would be refused."""
        try:
            if request.method != "POST":
                obj = self.get_object(request, unquote(object_id))
                if obj is not None and self.has_delete_permission(request, obj):
                    check_deletable(obj)
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            return refused(request, error, self.refusal_url(request))


class ReleaseContentAdminMixin(RefusalAnswersMixin):
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
    Every grouper admin gets :class:`RefusalAnswersMixin` (refused deletes answer with a
    message, not a 500).
    """
    from .grouper_admin import ReleaseGrouperAdminMixin

    site = site or admin.site
    for item in registry.items():
        mixin = item.grouper_admin_mixin
        if item.uses_default_grouper_admin_mixin:
            mixin = ReleaseGrouperAdminMixin
        model_admin = site._registry.get(item.grouper_model)
        if model_admin is None:
            continue
        mixins: list[type] = []
        applies = isinstance(mixin, type) and hasattr(model_admin, "get_content_obj")
        if applies and not isinstance(model_admin, mixin):
            mixins.append(mixin)
        if not isinstance(model_admin, RefusalAnswersMixin) and not any(
            issubclass(extra, RefusalAnswersMixin) for extra in mixins
        ):
            mixins.append(RefusalAnswersMixin)
        if not mixins:
            continue
        admin_class = type(
            f"Release{type(model_admin).__name__}",
            (*mixins, type(model_admin)),
            {"__module__": mixins[0].__module__},
        )
        site.unregister(item.grouper_model)
        site.register(item.grouper_model, admin_class)
