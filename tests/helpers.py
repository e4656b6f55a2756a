"""Small domain helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version
from tests.factories import ArticleContentFactory


def live_release(*contents_kwargs, version: str = "v1") -> tuple[Release, list]:
    """A deployed release holding one approved ArticleContent per kwargs dict."""
    release = services.create_release(version)
    with use_release(release):
        contents = [ArticleContentFactory(**kwargs) for kwargs in (contents_kwargs or ({},))]
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)
    return Release.objects.get(pk=release.pk), contents


def version_of(content, release) -> Version:
    return services.get_version(content, release)


def refreshed(release: Release) -> Release:
    return Release.objects.get(pk=release.pk)


@contextmanager
def sqlite_steps() -> Iterator[list[int]]:
    """Count SQLite's virtual machine steps (in tens) while the block runs: a measure of the
    rows the database touches that does not depend on the machine's load. Yields a list whose
    one element is the count (stays 0 on other databases)."""
    connection.ensure_connection()
    steps = [0]
    if connection.vendor != "sqlite":
        yield steps
        return

    def count() -> int:
        steps[0] += 1
        return 0

    connection.connection.set_progress_handler(count, 10)
    try:
        yield steps
    finally:
        connection.connection.set_progress_handler(None, 0)
