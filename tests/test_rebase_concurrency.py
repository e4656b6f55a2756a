"""A rebase racing an edit, a lock or a deploy is serialised (PostgreSQL, real threads).

The rebase locks the live pointer (like a deploy) and then the release row (like a lock);
edits hold a shared lock on the release row. Each race holds one side's transaction open at
a known point and checks that the other side waits for it and then sees what it did.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from djangocms_release_versioning import services
from djangocms_release_versioning.models import AuditEntry, Release
from tests.helpers import refreshed, version_of
from tests.parallel_support import Parallel, edit, parallel_site
from tests.test_concurrency import TIMEOUT, _atomically, _in_transaction, start, waits_for_lock
from tests.testapp.models import ArticleContent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


def _hold(first, second):
    """Run ``first`` in a transaction held open, start ``second``; return both workers
    (finished) and whether ``second`` waited for a lock of ``first``."""
    done, proceed = threading.Event(), threading.Event()
    kept = {}
    holder = start(_in_transaction(lambda: kept.setdefault("result", first()), done, proceed), "holder")
    try:
        assert done.wait(TIMEOUT), holder.error
        other = start(second, "other")
        waited = waits_for_lock(other)
    finally:
        proceed.set()
    holder.finish().result = kept.get("result")  # the held function's result, not the commit time
    return holder, other.finish(), waited


def _edit_about(site: Parallel) -> ArticleContent:
    return edit(site.about, site.v3, "About v3", approve=False)


def test_edit_before_rebase_is_a_conflict_the_rebase_keeps() -> None:
    site = parallel_site()
    editor, rebaser, waited = _hold(lambda: _edit_about(site), lambda: services.rebase_release("v3"))
    assert (editor.error, rebaser.error) == (None, None)
    assert waited, "the rebase did not wait for the open edit"
    assert [row.key[1] for row in rebaser.result.conflicts] == [version_of(site.about, site.v3).grouping_key]
    assert ArticleContent._base_manager.get(pk=version_of(site.about, site.v3).object_id).title == "About v3"


def test_edit_after_rebase_edits_the_live_content() -> None:
    site = parallel_site()
    rebaser, editor, waited = _hold(
        lambda: services.rebase_release("v3"), lambda: _atomically(lambda: _edit_about(site))
    )
    assert (rebaser.error, editor.error) == (None, None)
    assert waited, "the edit did not wait for the open rebase"
    assert [row.key for row in rebaser.result.taken] == [
        (version_of(site.about, site.v3).content_type_id, version_of(site.about, site.v3).grouping_key)
    ]
    entry = AuditEntry.objects.filter(action="create_draft", release=site.v3).latest("pk")
    assert entry.details["copied_from"] == site.about_v2.pk, "the edit did not start from the live content"


def test_lock_before_rebase_refuses_the_rebase() -> None:
    site = parallel_site()
    locker, rebaser, waited = _hold(
        lambda: services.lock_release("v3"), lambda: services.rebase_release("v3")
    )
    assert locker.error is None and waited
    assert isinstance(rebaser.error, ValidationError) and rebaser.error.code == "release_locked"
    assert refreshed(site.v3).based_on == site.v1


def test_rebase_before_lock_is_in_the_locked_release() -> None:
    site = parallel_site()
    rebaser, locker, waited = _hold(
        lambda: services.rebase_release("v3"), lambda: services.lock_release("v3")
    )
    assert (rebaser.error, locker.error) == (None, None)
    assert waited, "the lock did not wait for the open rebase"
    v3 = refreshed(site.v3)
    assert v3.is_locked and v3.based_on == site.v2
    assert services.verify_release(v3) == []
    assert version_of(site.about, v3).object_id == site.about_v2.pk


def _v4_changing_contact(site: Parallel) -> Release:
    v4 = services.create_release("v4", based_on=site.v2)
    edit(site.contact, v4, "Contact v4")
    return services.lock_release(v4)


def test_deploy_before_rebase_is_what_the_rebase_takes() -> None:
    site = parallel_site()
    v4 = _v4_changing_contact(site)
    deployer, rebaser, waited = _hold(
        lambda: services.deploy_release(v4), lambda: services.rebase_release("v3")
    )
    assert (deployer.error, rebaser.error) == (None, None)
    assert waited, "the rebase did not wait for the open deploy"
    assert rebaser.result.base == v4
    assert {row.key[1] for row in rebaser.result.taken} == {
        version_of(site.about, site.v3).grouping_key,
        version_of(site.contact, site.v3).grouping_key,
    }


def test_rebase_before_deploy_is_followed_by_the_deploy() -> None:
    site = parallel_site()
    v4 = _v4_changing_contact(site)
    rebaser, deployer, waited = _hold(
        lambda: services.rebase_release("v3"), lambda: services.deploy_release(v4)
    )
    assert (rebaser.error, deployer.error) == (None, None)
    assert waited, "the deploy did not wait for the open rebase"
    assert rebaser.result.base == site.v2
    assert Release.objects.live() == v4
    # v3 is behind again (Contact), by exactly what v4 changed
    assert [row.key[1] for row in services.rebase_release("v3").taken] == [
        version_of(site.contact, site.v3).grouping_key
    ]
