"""Release names that cannot confuse anyone (DESIGN §9.1, invariant 12; issue 8 item 5).

The rule lives on the model (a validator and a database constraint on ``Lower("version")``)
and every way of creating a release goes through it: ``full_clean``, the admin form, the
``create_release`` command, ``services.create_release`` and the hotfix names of Publish now.
Migration 0004 reports existing names that break the rule and renames case-insensitive clashes.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from djangocms_release_versioning.validators import quote_name, validate_release_version
from tests.helpers import live_release
from tests.test_concurrency import TIMEOUT, needs_row_locks, start, waits_for_lock
from tests.test_toolbar_support import make_user

pytestmark = pytest.mark.django_db

BAD_NAMES = {
    "\u200b": "version_invalid_character",  # zero-width space: invisible
    "v3\nv4": "version_invalid_character",
    "two words": "version_invalid_character",
    " v1.2 ": "version_invalid_character",
    "v1\t": "version_invalid_character",
    "v1\u00a0": "version_invalid_character",  # no-break space
    "v\u202e1": "version_invalid_character",  # right-to-left override
    "v1\x00": "version_invalid_character",
    "v1\u2028": "version_invalid_character",  # line separator
    "v\ue0001": "version_invalid_character",  # private use
    "v\u31641": "version_invalid_character",  # Hangul filler, a "letter" that renders as nothing
    "": "version_required",
    "v" * 101: "version_too_long",
}
GOOD_NAMES = ["v1", "V1.2.0", "2025-06-spring", "frühling-2025", "release_1+build.5", "v" * 100]


def code_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        (errors,) = error.error_dict.values()
        (error,) = errors
    return error.code


# -- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("name,code", BAD_NAMES.items(), ids=repr)
def test_validator_refuses(name, code):
    with pytest.raises(ValidationError) as caught:
        validate_release_version(name)
    assert caught.value.code == code


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_validator_accepts(name):
    validate_release_version(name)


def test_error_for_a_huge_name_quotes_a_short_prefix():
    name = "x" * 10_000
    with pytest.raises(ValidationError) as caught:
        services.create_release(name)
    (message,) = caught.value.messages
    assert len(message) < 200
    assert f'"{"x" * 40}…"' in message and "10000 characters" in message


def test_error_makes_invisible_characters_visible_and_stays_on_one_line():
    with pytest.raises(ValidationError) as caught:
        services.create_release("v3\nv4")
    (message,) = caught.value.messages
    assert "\n" not in message
    assert '"v3\\u000av4"' in message and "position 3" in message
    with pytest.raises(ValidationError, match="ZERO WIDTH SPACE"):
        services.create_release("v1\u200b")


def test_quote_name():
    assert quote_name("v1") == '"v1"'
    assert quote_name("a" * 41) == f'"{"a" * 40}…"'
    assert quote_name("a\u200bb") == '"a\\u200bb"'


# -- services and the model ----------------------------------------------------------------


@pytest.mark.parametrize("name,code", BAD_NAMES.items(), ids=repr)
def test_create_release_refuses_and_creates_nothing(name, code):
    with pytest.raises(ValidationError) as caught:
        services.create_release(name)
    assert caught.value.code == code
    assert not Release.objects.exists()


def test_names_are_unique_ignoring_case():
    services.create_release("v1.1.0")
    with pytest.raises(ValidationError) as caught:
        services.create_release("V1.1.0")
    assert caught.value.code == "version_taken"
    assert '"v1.1.0" exists already' in caught.value.messages[0]
    with pytest.raises(ValidationError, match="exists already") as caught:
        services.create_release("v1.1.0")
    assert caught.value.code == "version_taken"
    assert list(Release.objects.values_list("version", flat=True)) == ["v1.1.0"]


def test_refusal_inside_a_transaction_leaves_it_usable():
    services.create_release("v1")
    with transaction.atomic():
        for name in ("V1", "two words"):
            with pytest.raises(ValidationError):
                services.create_release(name)
        assert services.create_release("v2").version == "v2"
    assert Release.objects.count() == 2


def test_database_refuses_a_case_insensitive_duplicate():
    """The constraint holds even for writes that bypass every check."""
    Release.objects.create(version="v1.1.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.create(version="V1.1.0")
    assert Release.objects.count() == 1


def test_full_clean_validates_the_name():
    with pytest.raises(ValidationError) as caught:
        Release(version="two words").full_clean()
    assert code_of(caught.value) == "version_invalid_character"
    Release.objects.create(version="v1")
    with pytest.raises(ValidationError) as caught:
        Release(version="V1").full_clean()
    assert code_of(caught.value) == "version_taken"
    assert caught.value.message_dict == {
        "version": [
            'A release called "v1" exists already, and versions that differ only in case would be '
            'confused; choose another version than "V1".'
        ]
    }
    existing = Release.objects.get()
    existing.full_clean()  # its own name is no clash


def test_constraint_is_checked_by_validate_constraints():
    Release.objects.create(version="v1")
    with pytest.raises(ValidationError) as caught:
        Release(version="V1").validate_constraints()
    assert code_of(caught.value) == "version_taken"


# -- admin form and command -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["two words", " v1 ", "v3\nv4", "\u200b", "<b>x</b> y", "V1"])
def test_admin_form_refuses(client, name):
    Release.objects.create(version="v1")
    client.force_login(make_user("boss", superuser=True))
    response = client.post(reverse("admin:djangocms_release_versioning_release_add"), {"version": name})
    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page
    assert "<b>x</b>" not in page  # the quoted name is escaped
    assert list(Release.objects.values_list("version", flat=True)) == ["v1"]


def test_admin_form_error_for_a_huge_name_is_short(client):
    client.force_login(make_user("boss", superuser=True))
    response = client.post(
        reverse("admin:djangocms_release_versioning_release_add"), {"version": "y" * 10_000}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("y" * 10_000) == 1  # the input keeps what was typed
    assert "y" * 41 not in page.replace("y" * 10_000, "")  # the error quotes only a prefix
    assert f"{'y' * 40}…" in page
    assert not Release.objects.exists()


@pytest.mark.parametrize("name", ["two words", " v1.2 ", "v3\nv4", "V1"])
def test_command_refuses_with_a_clear_message(name):
    Release.objects.create(version="v1")
    with pytest.raises(CommandError) as caught:
        call_command("create_release", "--release-version", name)
    assert "version" in str(caught.value)
    assert Release.objects.count() == 1


def test_command_creates_a_good_name():
    call_command("create_release", "--release-version", "v1.2.0", verbosity=0)
    assert Release.objects.get().version == "v1.2.0"


# -- hotfix names ------------------------------------------------------------------------


def test_hotfix_name_skips_a_name_taken_in_another_case():
    release, (content,) = live_release({})
    Release.objects.create(version="V1-HOTFIX-1")
    with use_release(release):
        services.publish_now(content, user=None)
    assert Release.objects.live().version == "v1-hotfix-2"


def test_hotfix_names_pass_the_rule(settings):
    release, (content,) = live_release({})
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = "{live} hotfix {n}"
    with pytest.raises(ValidationError) as caught, use_release(release):
        services.publish_now(content, user=None)
    assert caught.value.code == "version_invalid_character"
    assert Release.objects.live() == release


# -- migration 0004 -------------------------------------------------------------------------

APP = "djangocms_release_versioning"
BEFORE = [(APP, "0003_version_change_tracking")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def before_0004():
    """The database as it was before migration 0004 (put back to the latest state afterwards)."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes(APP)
    _migrate(BEFORE)
    yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    _migrate(latest)


@pytest.mark.skipif(
    connection.vendor == "mysql",
    reason="MariaDB's default collation ignores case: names differing only in case cannot exist there",
)
@pytest.mark.django_db(transaction=True)
def test_migration_reports_bad_names_and_renames_case_clashes(before_0004, capsys, caplog):
    historical = before_0004.get_model(APP, "Release")
    pointer = before_0004.get_model(APP, "LiveRelease")
    rows = {}
    for name in ("v1.1.0", "two words", "V1.1.0", "v2", "V2", "v1.1.0-2", "ok"):
        rows[name] = historical.objects.create(version=name, description="keep me")
    pointer.objects.create(pk=1, release=rows["V2"])  # the live release keeps its name
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes(APP)
    _migrate(latest)

    names = dict(Release.objects.values_list("pk", "version"))
    assert names[rows["v1.1.0"].pk] == "v1.1.0"  # the oldest keeps its name
    assert names[rows["V1.1.0"].pk] == "V1.1.0-3"  # -2 is taken (ignoring case)
    assert names[rows["V2"].pk] == "V2"
    assert names[rows["v2"].pk] == "v2-2"
    assert names[rows["two words"].pk] == "two words"  # reported, not changed
    assert len(names) == len(rows)  # nothing dropped
    renamed = Release.objects.get(pk=rows["V1.1.0"].pk)
    assert renamed.description.startswith('keep me\n\nRenamed from "V1.1.0" by migration 0004')
    output = capsys.readouterr().out
    assert f'Release #{rows["two words"].pk} "two\\u0020words" breaks the release name rule' in output
    assert "SPACE" in output
    assert f'Release #{rows["V1.1.0"].pk} "V1.1.0" renamed to "V1.1.0-3"' in output
    assert f'Release #{rows["v2"].pk} "v2" renamed to "v2-2": release #{rows["V2"].pk} "V2"' in output
    assert "renamed to" in caplog.text
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.create(version="OK")


@pytest.mark.django_db(transaction=True)
def test_migration_on_clean_names_says_nothing(before_0004, capsys):
    historical = before_0004.get_model(APP, "Release")
    historical.objects.create(version="v1")
    historical.objects.create(version="v2")
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes(APP))
    assert capsys.readouterr().out == ""
    assert sorted(Release.objects.values_list("version", flat=True)) == ["v1", "v2"]


# -- settings that make names --------------------------------------------------------------


def test_system_check_refuses_settings_that_make_bad_names(settings):
    from django.core import checks

    def ids():
        return [message.id for message in checks.run_checks() if message.id.startswith("djangocms_release")]

    assert "djangocms_release_versioning.E003" not in ids()
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = "{live} hotfix {n}"
    settings.DJANGOCMS_RELEASE_VERSIONING_INITIAL_RELEASE_VERSION = "first release"
    assert ids().count("djangocms_release_versioning.E003") == 2


# -- a race the check cannot see ---------------------------------------------------------------


@pytest.mark.row_locks
@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_case_insensitive_duplicate_is_refused_with_the_code():
    """The other name is not committed yet when the check runs: the constraint refuses the insert."""
    inserted, release = threading.Event(), threading.Event()

    def first() -> None:
        with transaction.atomic():
            Release.objects.create(version="V1")
            inserted.set()
            assert release.wait(TIMEOUT)

    holder = start(first, "holder")
    assert inserted.wait(TIMEOUT)
    racer = start(lambda: services.create_release("v1"), "racer")
    assert waits_for_lock(racer)  # its check saw nothing; its INSERT waits for the index entry
    release.set()
    holder.finish()
    racer.finish()
    assert isinstance(racer.error, ValidationError) and racer.error.code == "version_taken"
    assert '"V1" exists already' in racer.error.messages[0]
    assert list(Release.objects.values_list("version", flat=True)) == ["V1"]
