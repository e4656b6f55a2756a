"""The djangocms_versioning contract: lookup, VersionableItem, registration, checks."""

import pytest
from cms.app_base import CMSAppConfig
from cms.models import PageContent
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from djangocms_release_versioning import registry
from djangocms_release_versioning.cms_config import ReleaseVersioningExtension
from djangocms_release_versioning.datastructures import VersionableItem, default_copy
from tests.testapp.models import ArticleContent, SnippetContent


def test_contract_lookup_returns_our_versionable_item():
    assert CMSAppConfig.get_contract("djangocms_versioning") is VersionableItem


def test_accepts_every_djangocms_versioning_keyword():
    item = VersionableItem(
        content_model=SnippetContent,
        grouper_field_name="snippet",
        extra_grouping_fields=[],
        version_list_filter_lookups={"language": lambda: []},
        copy_function=default_copy,
        grouper_selector_option_label=lambda obj, lang: str(obj),
        grouper_admin_mixin="__default__",
        on_publish=print,
        on_unpublish=print,
        on_draft_create=print,
        on_archive=print,
        content_admin_mixin=object,
        preview_url=lambda content: "/",
    )
    assert item.uses_default_grouper_admin_mixin
    assert item.grouper_model.__name__ == "Snippet"


def test_bad_field_names_raise_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="has no field 'nope'"):
        VersionableItem(content_model=SnippetContent, grouper_field_name="nope")
    with pytest.raises(ImproperlyConfigured, match="extra_grouping_fields"):
        VersionableItem(
            content_model=ArticleContent, grouper_field_name="article", extra_grouping_fields=["x"]
        )
    with pytest.raises(ImproperlyConfigured, match="model class"):
        VersionableItem(content_model="testapp.ArticleContent", grouper_field_name="article")


class _Config:
    def __init__(self, versioning):
        self.versioning = versioning


def test_duplicate_registration_raises():
    extension = ReleaseVersioningExtension()
    duplicate = VersionableItem(content_model=ArticleContent, grouper_field_name="article")
    with pytest.raises(ImproperlyConfigured, match="twice"):
        extension.configure_app(_Config([duplicate]))


def test_empty_versioning_list_is_accepted():
    ReleaseVersioningExtension().configure_app(_Config([]))


@pytest.mark.parametrize("versioning", ["PageContent", [object()]])
def test_bad_versioning_attribute_raises(versioning):
    with pytest.raises(ImproperlyConfigured):
        ReleaseVersioningExtension().configure_app(_Config(versioning))


def test_fallback_registration_gives_way():
    original = registry.for_model(SnippetContent)
    fallback = VersionableItem(content_model=SnippetContent, grouper_field_name="snippet")
    assert registry.register(fallback, fallback=True) is False
    assert registry.for_model(SnippetContent) is original


def test_refuses_djangocms_versioning_next_to_it(settings):
    from django.apps import apps

    from djangocms_release_versioning.cms_config import refuse_djangocms_versioning

    real = apps.is_installed
    apps.is_installed = lambda name: name == "djangocms_versioning" or real(name)
    try:
        with pytest.raises(ImproperlyConfigured, match="remove djangocms_versioning"):
            refuse_djangocms_versioning()
    finally:
        apps.is_installed = real


def test_registered_models():
    labels = {item.content_model._meta.label for item in registry.items()}
    assert {"cms.PageContent", "djangocms_alias.AliasContent", "djangocms_stories.PostContent"} <= labels


def test_pagecontent_unique_together_dropped_at_runtime():
    assert PageContent._meta.unique_together == ()


@pytest.mark.django_db
def test_pagecontent_unique_constraint_dropped_in_database():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, PageContent._meta.db_table)
    pairs = [set(c["columns"]) for c in constraints.values() if c["unique"] and not c.get("primary_key")]
    assert {"language", "page_id"} not in pairs


@pytest.mark.django_db
def test_system_checks_pass_for_this_setup():
    ids = {message.id for message in run_checks() if message.id.startswith("djangocms_release_versioning")}
    assert ids == set()


@pytest.mark.django_db
def test_missing_middleware_warns(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "release_versioning" not in m]
    ids = {message.id for message in run_checks()}
    assert "djangocms_release_versioning.W001" in ids
