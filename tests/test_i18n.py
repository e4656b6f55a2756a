"""The package in the editor's language: German and French catalogs that are complete and
compiled, and the German admin and toolbar (issue 13 item 3)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry
from tests.test_toolbar_support import content_in, element, live_site, make_user, release_url

PACKAGE = Path(__file__).resolve().parent.parent / "djangocms_release_versioning"
LANGUAGES = ["de", "fr"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifxXr%]")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# -- the catalogs --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy_or_obsolete(language):
    po = catalog(language)
    assert len(po) > 400
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert [entry.msgid for entry in po.obsolete_entries()] == []
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    wrong = []
    for entry in catalog(language):
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        wrong += [(source, text) for source, text in pairs if placeholders(source) != placeholders(text)]
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_holds_exactly_the_po_file(language):
    """The .mo is compiled from the current .po (run scripts/makemessages after editing it)."""
    po = catalog(language)
    mo = polib.mofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def table(entries) -> dict:
        return {
            (entry.msgid, entry.msgid_plural): (
                tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
            )
            for entry in entries
            if entry.msgid
        }

    assert table(mo) == table(po.translated_entries())


# -- the German admin and toolbar ----------------------------------------------------------


@pytest.fixture
def german(client, db):
    user = make_user("redakteurin", superuser=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    before = translation.get_language()
    yield user
    # LocaleMiddleware leaves German active in this thread: later tests expect the default
    translation.activate(before)


def page_of(client, url: str, *, admin: bool = True) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert not admin or '<html lang="de"' in html  # the admin's own templates say the language
    return html


def test_the_german_release_list_shows_german_labels(client, german):
    live_site(german)
    html = page_of(client, reverse("admin:djangocms_release_versioning_release_changelist"))
    for label in ("Zustand", "Basiert auf", "Inhalte", "Entwürfe", "live geschaltet", "Gesperrt, nicht live"):
        assert label in html, label
    # the state filter's "Open" is an adjective: django CMS' "Öffne" (a verb) must not win
    assert ">Offen</a>" in html and ">Öffne</a>" not in html


def test_the_german_release_page_shows_german_labels_and_names_objects(client, german):
    page, _v1, v2 = live_site(german)
    with use_release(v2):
        services.create_draft(content_in(page, v2), user=german)
    html = page_of(client, release_url("change", v2))
    labels = ("Release v2", "Ihr Arbeits-Release", "Release sperren", "Alle Entwürfe freigeben", "Protokoll")
    for label in labels:
        assert label in html, label
    trail = html[html.index('id="rv-audit"') :]
    assert "Release abgezweigt" in trail and "Entwurf erstellt" in trail  # the actions, in German
    assert "About (en)" in trail  # the object by its name
    assert '[1,"en"]' not in trail and "pagecontent" not in trail
    # states in German, release names as they are
    assert "freigegeben → Entwurf" in trail and "v1 → offen" in trail
    assert "approved" not in trail and "draft" not in trail


def test_the_german_toolbar_shows_the_release_menu_in_german(client, german):
    page, _v1, _v2 = live_site(german)
    html = page_of(client, page.get_absolute_url("en") + "?edit", admin=False)
    menu = element(html, "cms-release-menu")
    for label in ("Release wechseln", "Alle Releases", "Releases verwalten", "Neues Release"):
        assert label in menu, label
    assert "Switch release" not in menu


def test_the_audit_trail_names_the_content_not_its_grouping_key(german):
    page, _v1, v2 = live_site(german)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=german)
        services.transition(draft, "mark_future", user=german)
    entry = AuditEntry.objects.filter(release=v2, action="status_change").latest("pk")
    assert entry.object_repr == "About (en)"


# -- readable everywhere -------------------------------------------------------------------


def test_the_page_tree_names_the_release_it_shows(client, german):
    _page, v1, v2 = live_site(german)
    tree = reverse("admin:cms_pagecontent_changelist")
    line = element(page_of(client, tree), "rv-tree-release")
    assert "zeigt Release" in line and f'href="{release_url("change", v2)}">v2</a>' in line
    assert "Live-Release ist v1" in line
    client.post(release_url("select", v1))
    line = element(page_of(client, tree), "rv-tree-release")
    assert f'href="{release_url("change", v1)}">v1</a>' in line and "das Live-Release" in line
