"""Copying one content row with everything that hangs off it."""

from __future__ import annotations

from typing import Any

from django.db import models


def concrete_field_values(content: models.Model) -> dict[str, Any]:
    """Return the concrete, non-primary-key field values of ``content`` by attname."""
    return {
        field.attname: getattr(content, field.attname)
        for field in content._meta.concrete_fields
        if not field.primary_key
    }


def placeholder_fields(model: type[models.Model]) -> list[Any]:
    """Return the PlaceholderRelationFields declared on ``model``."""
    from cms.models.fields import PlaceholderRelationField

    return [f for f in model._meta.private_fields if isinstance(f, PlaceholderRelationField)]


def extension_relations(model: type[models.Model]) -> list[Any]:
    """Return the reverse relations of ``model`` that are django CMS content extensions."""
    from cms.extensions.models import BaseExtension

    return [
        rel
        for rel in model._meta.related_objects
        if issubclass(rel.related_model, BaseExtension) and rel.field.name == "extended_object"
    ]


def copy_placeholders(source: models.Model, target: models.Model) -> None:
    """Copy every placeholder of ``source`` and its plugins (all languages) onto ``target``."""
    from cms.models import Placeholder

    for field in placeholder_fields(type(source)):
        for placeholder in getattr(source, field.name).all():
            new_placeholder = Placeholder.objects.create(
                slot=placeholder.slot,
                default_width=placeholder.default_width,
                source=target,
            )
            placeholder.copy_plugins(new_placeholder)


def copy_extensions(source: models.Model, target: models.Model) -> None:
    """Copy the content extensions (e.g. SEO fields) of ``source`` onto ``target``."""
    language = getattr(source, "language", None)
    for rel in extension_relations(type(source)):
        for extension in rel.related_model._base_manager.filter(extended_object=source):
            extension.copy(target, language)


def copy_content(content: models.Model) -> models.Model:
    """Copy the row's fields, placeholders with plugins, and extensions.

    :returns: the new row (created without a Version).
    """
    model = type(content)
    manager = getattr(model, "_original_manager", model._base_manager)
    new_content = manager.create(**concrete_field_values(content))
    copy_placeholders(content, new_content)
    copy_extensions(content, new_content)
    return new_content
