"""The ``djangocms_versioning`` contract class (VersionableItem) and the default copy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models

DEFAULT_GROUPER_ADMIN_MIXIN = "__default__"


class VersionableItem:
    """Registers one content model for release versioning.

    Accepts every keyword argument djangocms-versioning's ``VersionableItem`` accepts, so
    apps written against the contract (djangocms-alias, djangocms-stories, custom apps)
    register unchanged.

    :param content_model: the content model (e.g. ``PageContent``).
    :param grouper_field_name: name of the foreign key to the grouper (e.g. ``"page"``).
    :param extra_grouping_fields: further fields that together with the grouper identify a
        grouping (e.g. ``["language"]``).
    :param copy_function: ``content -> new content``; default :func:`default_copy`.
    :param on_publish: hook called with the new live Version when a deploy makes it live.
    :param on_unpublish: hook called with the previously live Version when a deploy takes
        its content off the live site.
    :param on_draft_create: hook called with the Version after copy-on-write made a draft.
    :param on_archive: accepted for compatibility; releases have no archived state, so it is
        never called.
    :param preview_url: ``content -> url`` used by the release admin's review links.
    :param grouper_admin_mixin: a mixin class for the grouper admin, or ``"__default__"``.
    :param content_admin_mixin: a mixin class for the content model admin.
    :raises ImproperlyConfigured: the model or a field name is wrong.
    """

    def __init__(
        self,
        content_model: type[models.Model],
        grouper_field_name: str,
        copy_function: Callable[[models.Model], models.Model] | None = None,
        extra_grouping_fields: Iterable[str] | None = None,
        version_list_filter_lookups: dict[str, Any] | None = None,
        on_publish: Callable[[Any], None] | None = None,
        on_unpublish: Callable[[Any], None] | None = None,
        on_draft_create: Callable[[Any], None] | None = None,
        on_archive: Callable[[Any], None] | None = None,
        grouper_selector_option_label: Callable[[Any, str], str] | bool = False,
        grouper_admin_mixin: type | str | None = None,
        content_admin_mixin: type | None = None,
        preview_url: Callable[[models.Model], str] | None = None,
    ) -> None:
        if not (isinstance(content_model, type) and issubclass(content_model, models.Model)):
            raise ImproperlyConfigured(
                f"VersionableItem content_model must be a model class, got {content_model!r}."
            )
        self.content_model = content_model
        self.grouper_field_name = grouper_field_name
        self.extra_grouping_fields = list(extra_grouping_fields or [])
        self.copy_function = copy_function or default_copy
        self.version_list_filter_lookups = dict(version_list_filter_lookups or {})
        self.on_publish = on_publish
        self.on_unpublish = on_unpublish
        self.on_draft_create = on_draft_create
        self.on_archive = on_archive
        self.grouper_selector_option_label = grouper_selector_option_label
        self.grouper_admin_mixin = grouper_admin_mixin
        self.content_admin_mixin = content_admin_mixin
        self.preview_url = preview_url
        for name in self.grouping_fields:
            try:
                content_model._meta.get_field(name)
            except Exception as exc:
                raise ImproperlyConfigured(
                    f"{content_model.__name__} has no field {name!r}; check the "
                    "grouper_field_name and extra_grouping_fields of its VersionableItem."
                ) from exc

    def __repr__(self) -> str:
        return f"<VersionableItem {self.content_model._meta.label}>"

    @property
    def uses_default_grouper_admin_mixin(self) -> bool:
        return self.grouper_admin_mixin == DEFAULT_GROUPER_ADMIN_MIXIN

    @cached_property
    def grouper_field(self) -> models.ForeignKey:
        return self.content_model._meta.get_field(self.grouper_field_name)

    @cached_property
    def grouper_model(self) -> type[models.Model]:
        return self.grouper_field.remote_field.model

    @property
    def grouping_fields(self) -> list[str]:
        return [self.grouper_field_name, *self.extra_grouping_fields]

    @property
    def content_type(self) -> ContentType:
        # ContentType's own cache makes repeated calls free.
        return ContentType.objects.get_for_model(self.content_model)

    def grouping_values(self, content: models.Model) -> dict[str, Any]:
        """Return ``{field: value}`` of the grouping fields of ``content`` (FKs as ids)."""
        values = {self.grouper_field_name: getattr(content, self.grouper_field.attname)}
        for name in self.extra_grouping_fields:
            field = self.content_model._meta.get_field(name)
            values[name] = getattr(content, field.attname)
        return values

    def grouping_key(self, content: models.Model) -> str:
        """Return the denormalised grouping key stored on Version, e.g. ``[12, "en"]``."""
        return grouping_key_for(self.grouping_values(content).values())

    def grouping_filter(self, grouping_key: str) -> dict[str, Any]:
        """Return ORM filter kwargs selecting the content rows of one grouping."""
        values = json.loads(grouping_key)
        names = [self.grouper_field.attname, *self.extra_grouping_fields]
        return dict(zip(names, values, strict=True))


def grouping_key_for(values: Iterable[Any]) -> str:
    return json.dumps(list(values), separators=(",", ":"), default=str)


def default_copy(content: models.Model) -> models.Model:
    """Copy a content row: its concrete fields, placeholders with plugins, and extensions.

    The copy is created through ``_original_manager`` (no Version is attached: the service
    that asked for the copy attaches it).

    :returns: the new, saved content row.
    """
    from .copying import copy_content

    return copy_content(content)
