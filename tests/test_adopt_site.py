"""Installing on a live site never takes it dark (issue 15.1), end to end.

A site is built by django CMS, djangocms-alias and djangocms-stories **without** this package
(pages in two languages, a child page, an apphooked blog, a static alias in the template, an
alias placed on a page, posts with and without a publication date), and the anonymous HTML of
every public URL is recorded. Then the package is added and ``migrate`` run — as a user
installing it would — and every URL must answer exactly as before (CSRF tokens normalised).

Each step runs in its own process (``tests/adopt_site.py``, settings ``tests.adopt_settings``)
on a database of its own: a SQLite file, or with ``DATABASE=postgres`` a PostgreSQL database
named after ``POSTGRES_TEST_DB`` with ``_adopt`` appended (created and dropped here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def site_env(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.adopt_settings", "PYTHONPATH": str(ROOT)}
    if os.environ.get("DATABASE") == "postgres":
        import psycopg

        name = f"{os.environ.get('POSTGRES_TEST_DB', 'test_release_versioning')}_adopt"
        dsn = "host={} port={} user={} dbname=postgres".format(
            os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            os.environ.get("POSTGRES_PORT", "5432"),
            os.environ.get("POSTGRES_USER", "postgres"),
        )
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        env["ADOPT_DB"] = name
        yield env
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["ADOPT_DB"] = str(tmp_path / "site.sqlite3")
        yield env


def run(env: dict, *args: str, package: bool) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**env, "ADOPT_WITH_PACKAGE": "1" if package else "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_installing_keeps_every_public_url_as_it_was(site_env, tmp_path):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    run(site_env, "-m", "django", "migrate", "-v0", package=False)
    run(site_env, "-m", "tests.adopt_site", "build", package=False)
    run(site_env, "-m", "tests.adopt_site", "snapshot", str(before), package=False)

    output = run(site_env, "-m", "django", "migrate", package=True)
    assert (
        "Release versioning: the existing content (9 cms.PageContent, 3 djangocms_alias.AliasContent, "
        "3 djangocms_stories.PostContent) is now live as release v1" in output
    )
    run(site_env, "-m", "tests.adopt_site", "snapshot", str(after), str(before), package=True)

    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    assert {url for url, (status, _location, _body) in old.items() if status == 200} >= {
        "/",
        "/de/",
        "/about-us/",
        "/about-us/team/",
        "/de/uber-uns/",
        "/contact-us/",
        "/de/kontakt/",
        "/blog/",
        "/de/blog/",
        "/blog/category/news/",
        "/blog/2026/03/05/spring-news/",
        "/de/blog/2026/03/05/fr%C3%BChlingsnews/",
    }
    assert "<p>Open 9 to 5</p>" in old["/about-us/"][2] and "<p>Fußzeile</p>" in old["/de/"][2]
    for url, answer in old.items():
        assert new[url] == answer, url

    # Idempotent: a second migrate and the command change nothing and say so.
    assert "Release versioning" not in run(site_env, "-m", "django", "migrate", package=True)
    output = run(site_env, "-m", "django", "adopt_existing_content", package=True)
    assert "Nothing to adopt" in output
