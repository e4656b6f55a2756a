"""Locking a branch digests only what changed since its base (issue 11.3).

Inherited rows carry the locked base's per-Version fingerprint from the branch on, so the
work of ``lock_release`` follows the number of changed groupings, not the site's size;
``verify_release`` still recomputes everything.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.fingerprint import recorded_fingerprints, version_digests
from djangocms_release_versioning.models import Release, Version
from tests.factories import ArticleContentFactory
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def branch_with_one_change(size: int, version: str) -> Release:
    """``size`` live articles, and a branch in which one of them was edited.

    A second call replaces the live site with another one (confirming that the first
    one's articles go offline), so that one test can compare two sizes.
    """
    base = services.create_release(f"{version}-base")
    with use_release(base):
        contents = [ArticleContentFactory() for _ in range(size)]
    services.approve_release(base)
    services.lock_release(base, allow_offline=True)
    services.deploy_release(base, allow_offline=True, allow_revert=True)
    branch = services.create_release(version, based_on=base)
    draft = services.create_draft(contents[0], user=None, release=branch)
    ArticleContent._base_manager.filter(pk=draft.pk).update(title="Changed")
    services.approve_release(branch)
    return Release.objects.get(pk=branch.pk)


def lock_and_measure(release: Release) -> tuple[int, int]:
    """(SQL queries, content rows digested) of locking ``release``."""
    from djangocms_release_versioning import fingerprint

    with (
        mock.patch.object(fingerprint, "version_digests", wraps=fingerprint.version_digests) as digests,
        CaptureQueriesContext(connection) as captured,
    ):
        services.lock_release(release)
    digested = sum(len(call.args[1]) for call in digests.call_args_list)
    return len(captured), digested


def test_lock_digests_only_the_changed_rows_and_its_queries_do_not_grow():
    small = lock_and_measure(branch_with_one_change(3, "small"))
    large = lock_and_measure(branch_with_one_change(30, "large"))
    assert small[1] == large[1] == 1
    assert large[0] == small[0]


def test_inherited_rows_record_the_base_digest_and_changed_rows_their_own():
    release = services.lock_release(branch_with_one_change(5, "v2"))
    full = version_digests(release)
    versions = list(Version.objects.filter(release=release))
    assert recorded_fingerprints(release, versions) == full
    assert [v.inherited for v in versions if v.fingerprint] == [False]  # one digest stored
    assert services.verify_release(release) == []


def test_the_release_fingerprint_follows_its_content():
    one = services.lock_release(branch_with_one_change(3, "v2"))
    assert len(one.fingerprint) == 64
    other = services.create_release("v3", based_on=one.based_on)
    assert services.lock_release(other).fingerprint != one.fingerprint  # no change: differs
    again = services.create_release("v4", based_on=one.based_on)
    assert services.lock_release(again).fingerprint == Release.objects.get(pk=other.pk).fingerprint


def test_verify_still_recomputes_inherited_rows():
    release = services.lock_release(branch_with_one_change(4, "v2"))
    inherited = Version.objects.filter(release=release, inherited=True).first()
    # A write behind the locks (QuerySet.update cannot be intercepted) to shared content.
    ArticleContent._base_manager.filter(pk=inherited.object_id).update(title="Tampered")
    problems = services.verify_release(release)
    assert len(problems) == 1 and f"content {inherited.object_id}" in problems[0]


def test_unlock_and_lock_again_gives_the_same_fingerprint():
    release = services.lock_release(branch_with_one_change(4, "v2"))
    fingerprint = release.fingerprint
    services.unlock_release(release)
    assert Release.objects.get(pk=release.pk).fingerprint == ""
    assert services.lock_release(release).fingerprint == fingerprint
    assert services.verify_release(release) == []


def test_a_row_changed_behind_the_services_back_before_the_lock_is_digested():
    release = branch_with_one_change(4, "v2")
    other = Version.objects.filter(release=release, inherited=True).first()
    replacement = ArticleContent._original_manager.create(
        article_id=ArticleContent._base_manager.get(pk=other.object_id).article_id,
        language="de",
        title="Sneaky",
    )
    Version.objects.filter(pk=other.pk).update(object_id=replacement.pk)  # still flagged inherited
    release = services.lock_release(release)
    assert Version.objects.get(pk=other.pk).fingerprint == version_digests(release)[other.pk]
    assert services.verify_release(release) == []


def test_verify_follows_a_chain_of_bases():
    """v3 inherits a row that v2 inherited from v1: its recorded digest is v1's."""
    v2 = services.lock_release(branch_with_one_change(3, "v2"))
    services.deploy_release(v2)
    v3 = services.create_release("v3", based_on=v2)
    untouched = Version.objects.filter(release=v2, inherited=True).first()
    assert untouched is not None
    services.approve_release(v3)
    v3 = services.lock_release(v3)
    assert services.verify_release(v3) == []
    ArticleContent._base_manager.filter(pk=untouched.object_id).update(title="Tampered")
    problems = services.verify_release(v3)
    assert len(problems) == 1 and f"content {untouched.object_id}" in problems[0]
    assert len(services.verify_release(v2)) == 1
