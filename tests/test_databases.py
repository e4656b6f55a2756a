"""The test settings' database choice: DATABASE=sqlite|postgres|mariadb|mysql, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRINT_DATABASE = (
    "import json, test_settings; db = test_settings.DATABASES['default']; "
    "print(json.dumps({k: db.get(k) for k in ('ENGINE', 'NAME', 'USER', 'PASSWORD', 'HOST', 'PORT', "
    "'OPTIONS', 'TEST')}))"
)


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Import test_settings in a fresh interpreter with ``env`` (its DATABASES printed as JSON)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "MYSQL_", "POSTGRES_"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["oracle", "Postgres", "maria", "sqlite3"])
def test_an_unknown_database_is_refused_naming_the_allowed_values(value: str) -> None:
    result = _settings_with(DATABASE=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert (
        f"DATABASE={value!r} is not supported: use one of sqlite, postgres, mariadb, mysql." in result.stderr
    )


@pytest.mark.parametrize("value", ["mariadb", "mysql"])
def test_mariadb_and_mysql_use_the_mysql_backend_in_utf8mb4(value: str) -> None:
    result = _settings_with(
        DATABASE=value,
        MYSQL_HOST="db.example",
        MYSQL_PORT="3307",
        MYSQL_USER="cms",
        MYSQL_PASSWORD="secret",
        MYSQL_TEST_DB="test_rv_ci",
    )
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert database["ENGINE"] == "django.db.backends.mysql"
    assert (database["HOST"], database["PORT"], database["USER"], database["PASSWORD"]) == (
        "db.example",
        "3307",
        "cms",
        "secret",
    )
    assert database["OPTIONS"] == {"charset": "utf8mb4"}
    assert database["TEST"]["NAME"] == "test_rv_ci"
    assert database["TEST"]["CHARSET"] == "utf8mb4"


@pytest.mark.parametrize(
    "env", [{}, {"DATABASE": ""}, {"DATABASE": "sqlite"}], ids=["unset", "empty", "sqlite"]
)
def test_sqlite_is_the_default(env: dict[str, str]) -> None:
    result = _settings_with(**env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ENGINE"] == "django.db.backends.sqlite3"
