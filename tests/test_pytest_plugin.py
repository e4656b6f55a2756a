"""The CI gate: ``pytest --release-version V`` serves V's approved content via objects."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

INNER_TEST = """
import pytest

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from tests.factories import ArticleContentFactory
from tests.testapp.models import ArticleContent


@pytest.mark.django_db
def test_objects_serve_candidate(release_version):
    candidate = services.create_release("v2")
    with use_release(candidate):
        approved = ArticleContentFactory(title="approved")
        ArticleContentFactory(title="still a draft")
    services.get_version(approved, candidate).approve()
    assert release_version == "v2"
    assert list(ArticleContent.objects.values_list("title", flat=True)) == ["approved"]


def test_named_release_must_exist(release_under_test):
    pass
"""


@pytest.fixture
def inner(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "test_settings")
    # The inner sessions must not create or drop the outer session's PostgreSQL test database.
    monkeypatch.setenv("DATABASE", "sqlite")
    pytester.makepyfile(test_inner=INNER_TEST)
    return pytester


def test_release_version_option_serves_that_release(inner):
    result = inner.runpytest_subprocess(
        "--release-version", "v2", "-p", "no:cacheprovider", "-k", "candidate"
    )
    result.assert_outcomes(passed=1)
    assert "public content from release v2" in result.stdout.str()


def test_without_option_objects_serve_live_release(inner):
    result = inner.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=1)


def test_release_under_test_fails_clearly_for_unknown_release(inner):
    result = inner.runpytest_subprocess("--release-version", "v9", "-p", "no:cacheprovider", "-k", "named")
    result.assert_outcomes(errors=1)
    assert "no such release" in result.stdout.str()
