"""pytest plugin: ``pytest --release-version V`` tests a release before it goes live.

For the whole test session, the public managers (``Model.objects``) serve the approved,
active content of release ``V`` instead of the live release, so a site's own test suite
checks exactly what deploying ``V`` would publish.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("djangocms-release-versioning")
    group.addoption(
        "--release-version",
        action="store",
        default=None,
        metavar="V",
        help="Serve the approved content of release V through Model.objects for the "
        "whole test session (djangocms-release-versioning).",
    )


def pytest_configure(config: pytest.Config) -> None:
    version = config.getoption("--release-version", default=None)
    if version:
        from djangocms_release_versioning.context import set_session_public_version

        set_session_public_version(version)


def pytest_report_header(config: pytest.Config) -> str | None:
    version = config.getoption("--release-version", default=None)
    if version:
        return f"djangocms-release-versioning: public content from release {version}"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("--release-version", default=None):
        from djangocms_release_versioning.context import set_session_public_version

        set_session_public_version(None)


@pytest.fixture
def release_version(request: pytest.FixtureRequest) -> str | None:
    """The ``--release-version`` given on the command line, or None."""
    return request.config.getoption("--release-version", default=None)


@pytest.fixture
def release_under_test(release_version: str | None, db: None):
    """The Release named by ``--release-version``; skips the test when none was given.

    Fails with a clear message if the test database has no such release.
    """
    if not release_version:
        pytest.skip("no --release-version given")
    from djangocms_release_versioning.models import Release

    release = Release.objects.filter(version=release_version).first()
    if release is None:
        pytest.fail(
            f"--release-version {release_version}: the test database has no such release. "
            "Create it (create_release) or reuse a database that has it (--reuse-db)."
        )
    return release
