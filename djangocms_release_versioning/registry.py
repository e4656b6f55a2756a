"""The registered content models (filled by the cms_config extension at start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.db import models

    from .datastructures import VersionableItem

_items: dict[type[models.Model], VersionableItem] = {}
_fallbacks: set[type[models.Model]] = set()


def register(item: VersionableItem, *, fallback: bool = False) -> bool:
    """Add ``item`` to the registry; return False if it was skipped.

    A *fallback* item (this package registering a model on an app's behalf) gives way to
    the app's own registration, whichever comes first.

    :raises ImproperlyConfigured: its content model is registered already.
    """
    model = item.content_model
    if model in _items and (fallback or model in _fallbacks):
        if not fallback:
            _items[model] = item
            _fallbacks.discard(model)
        return not fallback
    if fallback:
        _fallbacks.add(model)
    if model in _items:
        raise ImproperlyConfigured(
            f"{item.content_model._meta.label} is registered for release versioning twice. "
            "Remove one of the VersionableItems from the cms_config.py files that list it."
        )
    _items[model] = item
    return True


def items() -> list[VersionableItem]:
    return list(_items.values())


def is_registered(model: type[models.Model]) -> bool:
    return _concrete(model) in _items


def for_model(model: type[models.Model]) -> VersionableItem | None:
    """Return the VersionableItem of a content model (or of its proxy), else None."""
    return _items.get(_concrete(model))


def for_content(content: models.Model) -> VersionableItem | None:
    return for_model(type(content))


def for_content_type_id(content_type_id: int) -> VersionableItem | None:
    for item in _items.values():
        if item.content_type.pk == content_type_id:
            return item
    return None


def for_grouper_model(model: type[models.Model]) -> list[VersionableItem]:
    return [item for item in _items.values() if item.grouper_model is _concrete(model)]


def _concrete(model: type[models.Model]) -> type[models.Model]:
    return model._meta.concrete_model or model
