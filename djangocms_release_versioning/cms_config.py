"""The ``djangocms_versioning`` contract and this package's own registrations."""

from __future__ import annotations

from collections.abc import Iterable

from cms.app_base import CMSAppConfig, CMSAppExtension
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from . import conf, integration, registry
from .datastructures import VersionableItem


def refuse_djangocms_versioning() -> None:
    """:raises ImproperlyConfigured: djangocms-versioning is installed as well."""
    if apps.is_installed("djangocms_versioning"):
        raise ImproperlyConfigured(
            "djangocms_release_versioning and djangocms_versioning are both in INSTALLED_APPS. "
            "Both would version the same content; remove djangocms_versioning from "
            "INSTALLED_APPS to use release versioning."
        )


class ReleaseVersioningExtension(CMSAppExtension):
    """Processes the ``versioning`` lists of every app that opts in to the contract."""

    contract = "djangocms_versioning", VersionableItem

    def __init__(self) -> None:
        refuse_djangocms_versioning()

    def configure_app(self, cms_config: CMSAppConfig) -> None:
        """Register and wire each VersionableItem of ``cms_config``.

        :raises ImproperlyConfigured: ``versioning`` is not a list of VersionableItems, or
            a model is registered twice.
        """
        items = getattr(cms_config, "versioning", [])
        if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
            raise ImproperlyConfigured(
                f"{type(cms_config).__name__}.versioning must be a list of VersionableItem."
            )
        for item in items:
            if not isinstance(item, VersionableItem):
                raise ImproperlyConfigured(
                    f"{type(cms_config).__name__}.versioning contains {item!r}; every entry "
                    "must be a VersionableItem from get_contract('djangocms_versioning')."
                )
            if registry.register(item, fallback=getattr(item, "release_fallback", False)):
                integration.install(item)

    def ready(self) -> None:
        integration.install_global()


def _stories_items() -> list[VersionableItem]:
    """PostContent of djangocms-stories, which only registers itself with djangocms-versioning."""
    if not (conf.STORIES_ENABLED and apps.is_installed("djangocms_stories")):
        return []
    from djangocms_stories.models import PostContent

    if registry.is_registered(PostContent):
        return []
    from .stories import stories_versionable

    item = stories_versionable()
    item.release_fallback = True  # djangocms-stories' own registration wins
    return [item]


def _snippet_items() -> list[VersionableItem]:
    """Snippet of djangocms-snippet, which only registers itself with djangocms-versioning."""
    if not (conf.SNIPPET_ENABLED and apps.is_installed("djangocms_snippet")):
        return []
    from djangocms_snippet.models import Snippet

    if registry.is_registered(Snippet):
        return []
    from .snippet import snippet_versionable

    return [snippet_versionable()]


def _page_items() -> list[VersionableItem]:
    if not conf.PAGES_ENABLED:
        return []
    from .pages import page_versionable

    return [page_versionable()]


class ReleaseVersioningCMSConfig(CMSAppConfig):
    """Registers django CMS pages (and djangocms-stories posts, djangocms-snippet snippets)."""

    djangocms_versioning_enabled = True

    def __init__(self, django_app_config: object) -> None:
        super().__init__(django_app_config)
        self.versioning = _page_items() + _stories_items() + _snippet_items()
