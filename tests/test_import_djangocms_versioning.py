"""import_djangocms_versioning: the service and the command on a djangocms-versioning table.

The table is created here with the columns djangocms-versioning 2.x has; the end-to-end
test against a site built by djangocms-versioning itself is tests/test_import_dv_site.py.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT, Action
from djangocms_release_versioning.models import AuditEntry, Deployment, Release, Version
from tests.testapp.models import Article, ArticleContent, Snippet, SnippetContent

# transaction=True: MariaDB commits DDL at once, so the table and its rows must be cleaned up
# by flushing, not by rolling back.
pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)


def _create_table() -> None:
    timestamp = {"postgresql": "timestamp with time zone", "mysql": "datetime(6)"}.get(
        connection.vendor, "datetime"
    )
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {qn('djangocms_versioning_version')} ("
            f"{qn('id')} integer PRIMARY KEY, {qn('created')} {timestamp} NOT NULL, "
            f"{qn('modified')} {timestamp} NOT NULL, {qn('created_by_id')} integer NOT NULL, "
            f"{qn('number')} varchar(11) NOT NULL, {qn('content_type_id')} integer NOT NULL, "
            f"{qn('object_id')} integer NOT NULL, {qn('state')} varchar(100) NOT NULL, "
            f"{qn('locked_by_id')} integer NULL, {qn('source_id')} integer NULL)"
        )


def _drop_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name('djangocms_versioning_version')}")


class DVSite:
    """Rows of djangocms-versioning's table, one content row each, as that package leaves them."""

    def __init__(self, author) -> None:
        self.author = author
        self.next_id = 1

    def version(self, content, state: str, *, number: int, days: int) -> None:
        when = T0 + dt.timedelta(days=days)
        content_type = ContentType.objects.get_for_model(content)
        qn = connection.ops.quote_name
        columns = [
            "id",
            "created",
            "modified",
            "created_by_id",
            "number",
            "content_type_id",
            "object_id",
            "state",
        ]
        values = [self.next_id, when, when + dt.timedelta(hours=1), self.author.pk, str(number)]
        values += [content_type.pk, content.pk, state]
        adapted = [
            connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in values
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn('djangocms_versioning_version')} ({', '.join(qn(c) for c in columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                adapted,
            )
        self.next_id += 1


def article(slug: str, *states: tuple[str, str]) -> dict[str, ArticleContent]:
    """An article with one English content row per (state, title)."""
    grouper = Article.objects.create(slug=slug)
    return {
        state: ArticleContent._original_manager.create(article=grouper, language="en", title=title)
        for state, title in states
    }


@pytest.fixture
def dv_site(django_user_model):
    _create_table()
    author = django_user_model.objects.create_user("alice", "alice@example.com", "pw")
    site = DVSite(author)
    rows = {
        # published, with a newer draft and an older archived version
        "a": article("a", ("archived", "A0"), ("published", "A1"), ("draft", "A2")),
        # published only
        "b": article("b", ("published", "B1")),
        # never published
        "c": article("c", ("draft", "C1")),
        # taken offline: unpublished, with an older archived version
        "d": article("d", ("archived", "D0"), ("unpublished", "D1")),
        # published, with two older versions (history depth 2)
        "e": article("e", ("archived", "E0"), ("unpublished", "E1"), ("published", "E2")),
    }
    for slug, contents in rows.items():
        for number, (state, content) in enumerate(contents.items(), start=1):
            site.version(content, state, number=number, days=number + ord(slug))
    snippet = SnippetContent._original_manager.create(snippet=Snippet.objects.create(name="s"), text="S1")
    site.version(snippet, "published", number=1, days=1)
    site.rows = rows
    site.snippet = snippet
    yield site
    _drop_table()


def content_ids(release: Release) -> dict[str, tuple[str, bool]]:
    """title -> (status, active) of the article rows of ``release``."""
    result = {}
    for version in Version.objects.filter(
        release=release, content_type=ContentType.objects.get_for_model(ArticleContent)
    ):
        title = ArticleContent._base_manager.get(pk=version.object_id).title
        result[title] = (version.status, version.active)
    return result


def test_import_creates_the_live_the_open_and_the_history_releases(dv_site):
    report = services.import_djangocms_versioning()
    assert (report.live, report.hidden, report.drafts) == (4, 1, 2)  # a b e + snippet live; d hidden
    imported = Release.objects.get(version="imported")
    assert imported.is_locked and Release.objects.live() == imported
    assert content_ids(imported) == {
        "A1": (APPROVED, True),
        "B1": (APPROVED, True),
        "D1": (DRAFT, False),  # present, not live: editors can restore it
        "E2": (APPROVED, True),
    }
    assert sorted(ArticleContent.objects.values_list("title", flat=True)) == ["A1", "B1", "E2"]
    assert list(SnippetContent.objects.values_list("text", flat=True)) == ["S1"]

    drafts = Release.objects.get(version="imported-drafts")
    assert drafts.based_on == imported and not drafts.is_locked
    assert content_ids(drafts) == {
        "A2": (DRAFT, True),
        "B1": (APPROVED, True),  # shared with the live release, not copied
        "C1": (DRAFT, True),
        "D1": (DRAFT, False),
        "E2": (APPROVED, True),
    }
    history = Release.objects.filter(version__startswith="imported-history-").order_by("version")
    assert [r.version for r in history] == ["imported-history-1", "imported-history-2"]
    assert all(r.is_locked and r.is_deprecated and not r.is_deployed for r in history)
    assert content_ids(history[0]) == {"A0": (APPROVED, True), "D0": (APPROVED, True), "E1": (APPROVED, True)}
    assert content_ids(history[1]) == {"E0": (APPROVED, True)}
    # Every content row is in a release (invariant 7), none was deleted.
    referenced = set(Version.objects.values_list("object_id", "content_type_id"))
    for contents in dv_site.rows.values():
        for content in contents.values():
            assert (content.pk, ContentType.objects.get_for_model(content).pk) in referenced
    assert services.verify_release(imported) == []
    assert Deployment.objects.count() == 1


def test_authors_dates_and_numbers_go_into_the_audit_trail(dv_site):
    services.import_djangocms_versioning()
    a1 = dv_site.rows["a"]["published"]
    entry = AuditEntry.objects.get(action=Action.IMPORT_VERSION, object_id=a1.pk, release_version="imported")
    assert entry.user == dv_site.author
    assert entry.created_at == T0 + dt.timedelta(days=2 + ord("a"))
    assert entry.details["djangocms_versioning"]["number"] == "2"
    assert entry.details["djangocms_versioning"]["state"] == "published"
    version = Version.objects.get(release__version="imported", object_id=a1.pk)
    assert version.modified_by == dv_site.author


def test_drafts_are_edited_in_place_in_the_open_release(dv_site):
    services.import_djangocms_versioning()
    a2 = dv_site.rows["a"]["draft"]
    editable = services.create_draft(a2, user=None, release="imported-drafts")
    assert editable.pk == a2.pk
    b1 = dv_site.rows["b"]["published"]
    copy = services.create_draft(b1, user=None, release="imported-drafts")
    assert copy.pk != b1.pk  # shared with the live release: copy-on-write


def test_dry_run_writes_nothing(dv_site):
    report = services.import_djangocms_versioning(dry_run=True)
    assert (
        report.dry_run
        and report.drafts == 2
        and report.history_releases
        == [
            "imported-history-1",
            "imported-history-2",
        ]
    )
    assert not Release.objects.exists() and not AuditEntry.objects.exists()


def test_running_it_twice_changes_nothing(dv_site):
    services.import_djangocms_versioning()
    counts = (Release.objects.count(), Version.objects.count(), AuditEntry.objects.count())
    report = services.import_djangocms_versioning()
    assert report.already_imported
    assert (Release.objects.count(), Version.objects.count(), AuditEntry.objects.count()) == counts


def test_refused_when_releases_already_hold_content(dv_site):
    release = services.create_release("v1")
    Version.objects.create(
        release=release,
        content_type=ContentType.objects.get_for_model(SnippetContent),
        object_id=dv_site.snippet.pk,
        grouping_key=f"[{dv_site.snippet.snippet_id}]",
    )
    before = (Release.objects.count(), Version.objects.count(), AuditEntry.objects.count())
    with transaction.atomic():
        with pytest.raises(ValidationError) as error:
            services.import_djangocms_versioning()
        assert error.value.code == "releases_not_empty" and "v1" in error.value.messages[0]
        assert (Release.objects.count(), Version.objects.count(), AuditEntry.objects.count()) == before


def test_refused_without_the_djangocms_versioning_table():
    with pytest.raises(ValidationError) as error:
        services.import_djangocms_versioning()
    assert error.value.code == "no_djangocms_versioning"
    with pytest.raises(CommandError, match="no djangocms-versioning table"):
        call_command("import_djangocms_versioning")


def test_needs_the_permissions_of_a_release_manager(dv_site, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", "c@example.com", "pw", is_staff=True)
    with pytest.raises(PermissionDenied):
        services.import_djangocms_versioning(user=clerk)
    assert not Release.objects.exists()


def test_command_prints_what_it_created(dv_site):
    out = StringIO()
    call_command("import_djangocms_versioning", "--dry-run", stdout=out)
    assert "Would create from 11 djangocms-versioning version(s)" in out.getvalue()
    assert "Nothing was written" in out.getvalue()
    out = StringIO()
    call_command("import_djangocms_versioning", "--release-version", "v-old", stdout=out)
    assert "imported (locked, live)" not in out.getvalue()
    assert "v-old (locked, live): 4 published grouping(s), 1 present but hidden" in out.getvalue()
    assert "v-old-drafts (open, based on v-old): 2 draft(s)" in out.getvalue()
    out = StringIO()
    call_command("import_djangocms_versioning", "--release-version", "v-old", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["already_imported"] is True


def test_unregistered_content_is_skipped_and_reported(dv_site):
    qn = connection.ops.quote_name
    user_type = ContentType.objects.get(app_label="auth", model="user")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn('djangocms_versioning_version')} SET {qn('content_type_id')} = %s "
            f"WHERE {qn('id')} = %s",
            [user_type.pk, dv_site.next_id - 1],
        )
    report = services.import_djangocms_versioning()
    assert report.skipped == {"auth.user": 1}


@pytest.mark.parametrize(
    ("names", "code"),
    [
        ({"release_version": "two words"}, "version_invalid_character"),
        ({"open_release_version": "x" * 101}, "version_too_long"),
        ({"release_version": "v" + "x" * 95}, "version_too_long"),  # its history names are too long
        ({"open_release_version": "TAKEN"}, "version_taken"),
    ],
)
def test_names_follow_the_release_name_rule(dv_site, names, code):
    services.create_release("taken")
    with pytest.raises(ValidationError) as error:
        services.import_djangocms_versioning(**names)
    assert error.value.code == code
    assert list(Release.objects.values_list("version", flat=True)) == ["taken"]
