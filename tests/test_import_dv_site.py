"""Moving a real djangocms-versioning site onto releases: visitors notice nothing.

djangocms-versioning 2.8.0 builds the site in its own virtualenv (tests/dv_site/build.py);
every public URL is recorded as an anonymous visitor sees it; then this package replaces
djangocms-versioning in INSTALLED_APPS, ``migrate`` and ``import_djangocms_versioning`` run,
and every URL must answer byte for byte as before. Runs on SQLite, and on PostgreSQL when the
suite runs with DATABASE=postgres. Marker ``dvsite``: run by ``make test-dvsite`` (CI).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.dv_site.venv import ROOT, ensure_venv

pytestmark = pytest.mark.dvsite

SHELL_CHECK = """
from djangocms_release_versioning import services
from djangocms_release_versioning.constants import DRAFT
from djangocms_release_versioning.models import Release, Version
from django.contrib.auth import get_user_model
admin = get_user_model().objects.get(username="admin")
drafts = Release.objects.get(version="imported-drafts")
rows = Version.objects.filter(release=drafts, status=DRAFT, active=True)
assert rows.exists()
for version in rows:
    content = version.content
    assert services.create_draft(content, user=admin, release=drafts).pk == content.pk, version
assert services.verify_release("imported") == []
print("drafts editable:", rows.count())
"""


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "site.sqlite3")
        return
    if os.environ.get("DATABASE") != "postgres":
        pytest.skip("PostgreSQL runs with DATABASE=postgres")
    import psycopg

    name = f"dvsite_{uuid.uuid4().hex[:8]}"
    dsn = {
        "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "port": os.environ.get("POSTGRES_PORT", "5432"),
        "user": os.environ.get("POSTGRES_USER", "postgres"),
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**dsn) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres:{name}"
    with psycopg.connect(**dsn) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(python: Path | str, provider: str, database: str, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.dv_site.settings",
        "DVSITE_PROVIDER": provider,
        "DVSITE_DB": database,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [str(python), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


#: djangocms-stories' feeds under djangocms-versioning list an empty item (title "None", link
#: to the site root) for each post that has no published content in the feed's language. This
#: package serves feeds from live content only, so those items are gone after the move.
EMPTY_FEED_ITEM = re.compile(
    r"<item><title>None</title><link>[^<]*</link><description>None</description>.*?</item>"
)


def without_empty_feed_items(snapshot: dict) -> dict:
    return {
        url: [status, EMPTY_FEED_ITEM.sub("", body) if url.endswith("/feed/") else body]
        for url, (status, body) in snapshot.items()
    }


def first_difference(before: dict, after: dict) -> str:
    for url in sorted(set(before) | set(after)):
        if before.get(url) != after.get(url):
            old, new = before.get(url, [None, ""]), after.get(url, [None, ""])
            diff = "\n".join(
                difflib.unified_diff(
                    old[1].splitlines(), new[1].splitlines(), "before", "after", lineterm="", n=2
                )
            )
            return f"{url}: status {old[0]} -> {new[0]}\n{diff[:4000]}"
    return ""


def test_visitors_see_the_same_site_after_the_move(database, tmp_path):
    dv_python = ensure_venv()
    run(dv_python, "djangocms_versioning", database, "-m", "tests.dv_site.build")
    run(
        dv_python,
        "djangocms_versioning",
        database,
        "-m",
        "tests.dv_site.snapshot",
        str(tmp_path / "before.json"),
    )

    ours = "djangocms_release_versioning"
    run(sys.executable, ours, database, "-m", "django", "migrate", "--verbosity", "0")
    dry = run(sys.executable, ours, database, "-m", "django", "import_djangocms_versioning", "--dry-run")
    assert "Nothing was written" in dry
    output = run(sys.executable, ours, database, "-m", "django", "import_djangocms_versioning")
    assert "imported (locked, live)" in output, output
    again = run(sys.executable, ours, database, "-m", "django", "import_djangocms_versioning")
    assert again.startswith("Already imported"), again
    run(sys.executable, ours, database, "-m", "tests.dv_site.snapshot", str(tmp_path / "after.json"))

    before = json.loads((tmp_path / "before.json").read_text())
    after = json.loads((tmp_path / "after.json").read_text())
    assert [status for status, _body in before.values()].count(200) >= 10, "the source site serves pages"
    assert any(EMPTY_FEED_ITEM.search(body) for _status, body in before.values())
    before = without_empty_feed_items(before)
    assert before == after, first_difference(before, after)
    checked = run(sys.executable, ours, database, "-m", "django", "shell", "-c", SHELL_CHECK)
    assert "drafts editable:" in checked

    # The way back: drop this package's tables, reinstall djangocms-versioning.
    run(sys.executable, ours, database, "-m", "django", "migrate", "djangocms_release_versioning", "zero")
    run(
        dv_python,
        "djangocms_versioning",
        database,
        "-m",
        "tests.dv_site.snapshot",
        str(tmp_path / "back.json"),
    )
    back = json.loads((tmp_path / "back.json").read_text())
    original = json.loads((tmp_path / "before.json").read_text())
    assert back == original, first_difference(original, back)
