"""PageContent registration: the copy function and one row per release for (page, language)."""

import importlib

import pytest
from cms.models import PageContent
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from djangocms_release_versioning import cms_config, pages, registry, services
from djangocms_release_versioning.copying import concrete_field_values
from djangocms_release_versioning.models import Version
from tests.pages_support import add_text, branch, content_of, make_page, ship, texts
from tests.testapp.models import SeoExtension

MIGRATION = importlib.import_module("djangocms_release_versioning.migrations.0002_pagecontent_drop_unique")


def test_pagecontent_is_registered_with_the_page_copy_function():
    item = registry.for_model(PageContent)
    assert item.grouping_fields == ["page", "language"]
    assert item.copy_function is pages.copy_page_content


@pytest.mark.django_db
def test_the_selector_label_is_the_working_title(admin_user):
    page = make_page("Contact", admin_user)
    assert registry.for_model(PageContent).grouper_selector_option_label(page, "en") == "Contact"


@pytest.mark.django_db
def test_copy_takes_fields_plugins_and_extensions(admin_user):
    page = make_page("Original", admin_user, menu_title="Menu", meta_description="Meta")
    original = content_of(page)
    add_text(original, "<p>one</p>")
    add_text(original, "<p>two</p>")
    SeoExtension.objects.create(extended_object=original, keywords="cms, releases")

    copy = pages.copy_page_content(original)

    skip = {"creation_date", "changed_date"}
    expected = {k: v for k, v in concrete_field_values(original).items() if k not in skip}
    assert {k: v for k, v in concrete_field_values(copy).items() if k not in skip} == expected
    assert copy.pk != original.pk
    assert texts(copy) == ["<p>one</p>", "<p>two</p>"]
    assert texts(original) == ["<p>one</p>", "<p>two</p>"]
    assert SeoExtension.objects.get(extended_object=copy).keywords == "cms, releases"
    assert not Version.objects.for_content(copy).exists()  # the calling service attaches it


@pytest.mark.django_db
def test_a_new_draft_of_live_content_carries_everything(admin_user):
    page = make_page("Original", admin_user)
    add_text(content_of(page), "<p>live</p>")
    SeoExtension.objects.create(extended_object=content_of(page), keywords="live")
    ship("v1")
    v2 = branch("v2", "v1")
    live = content_of(page, release="v1")
    draft = services.create_draft(live, user=admin_user, release=v2)
    assert draft.pk != live.pk
    assert texts(draft) == ["<p>live</p>"]
    assert SeoExtension.objects.get(extended_object=draft).keywords == "live"
    assert content_of(page, release=v2) == draft
    assert content_of(page, release="v1") == live


@pytest.mark.django_db
def test_two_rows_for_one_page_and_language_can_coexist(admin_user):
    page = make_page("Page", admin_user)
    first = content_of(page)
    second = PageContent._original_manager.create(**concrete_field_values(first))
    assert PageContent._base_manager.filter(page=page, language="en").count() == 2
    second.validate_unique()  # no (language, page) uniqueness at runtime either
    assert first.pk != second.pk


def _has_unique_language_page() -> bool:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, PageContent._meta.db_table)
    return any(
        c["unique"] and not c.get("primary_key") and set(c["columns"]) == {"language", "page_id"}
        for c in constraints.values()
    )


def _duplicate_is_refused(page_content: PageContent) -> bool:
    try:
        with transaction.atomic():
            PageContent._original_manager.create(**concrete_field_values(page_content))
    except IntegrityError:
        return True
    PageContent._base_manager.filter(page=page_content.page).exclude(pk=page_content.pk).delete()
    return False


def _apply_like_migrate() -> None:
    """Apply migration 0002 the way ``migrate`` does: the migration's own transaction
    handling (on MySQL/MariaDB, DDL inside a transaction is refused)."""
    key = ("djangocms_release_versioning", "0002_pagecontent_drop_unique")
    migration = MIGRATION.Migration(key[1], key[0])
    state = MigrationLoader(connection).project_state(key, at_end=False)
    with connection.schema_editor(atomic=migration.atomic) as editor:
        migration.apply(state, editor)


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_constraint_and_is_idempotent(admin_user):
    page_content = content_of(make_page("Page", admin_user))
    with connection.schema_editor() as editor:
        editor.alter_unique_together(PageContent, [], [("language", "page")])
    try:
        assert _has_unique_language_page()
        assert _duplicate_is_refused(page_content)
        for _ in range(2):
            _apply_like_migrate()
            assert not _has_unique_language_page()
        assert not _duplicate_is_refused(page_content)
    finally:
        if _has_unique_language_page():
            with connection.schema_editor() as editor:
                MIGRATION.drop_pagecontent_unique(apps, editor)


class _Untouchable:
    """A schema editor stand-in that fails on any use."""

    def __getattr__(self, name):
        raise AssertionError(f"the migration used the schema editor ({name}) although pages are disabled")


def test_pages_can_be_switched_off(settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_PAGES_ENABLED = False
    assert cms_config._page_items() == []
    MIGRATION.drop_pagecontent_unique(apps, _Untouchable())
    settings.DJANGOCMS_RELEASE_VERSIONING_PAGES_ENABLED = True
    assert [item.content_model for item in cms_config._page_items()] == [PageContent]
