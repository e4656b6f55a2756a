"""``run_scheduled_deploys`` started several times at once, as cron starts it on every app
server: each due schedule is deployed exactly once, in time order.

Needs a database server that separate processes can share: PostgreSQL or MariaDB/MySQL
(``DATABASE=postgres`` / ``DATABASE=mariadb``); the in-memory SQLite of the default test
settings lives inside one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from djangocms_release_versioning.models import Deployment
from tests.test_schedules_concurrency import _assert_exactly_once, _chain, _due_schedules

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database server shared by processes"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parent.parent
#: Seconds the runner processes may take together.
TIMEOUT = 120


def _environment() -> dict[str, str]:
    """The environment of a runner process: the same backend, pointed at the test database."""
    name = connection.settings_dict["NAME"]  # the test database these rows live in
    database = "postgres" if connection.vendor == "postgresql" else os.environ.get("DATABASE", "mariadb")
    return {
        **os.environ,
        "DATABASE": database,
        "POSTGRES_DB": name,
        "MYSQL_DB": name,
        "DJANGO_SETTINGS_MODULE": "test_settings",
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.parametrize("runners", [3])
def test_runner_processes_started_together_deploy_each_schedule_once(runners: int) -> None:
    releases = _chain(3)
    _due_schedules(releases)
    command = [sys.executable, "-m", "django", "run_scheduled_deploys"]
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(runners)
    ]
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    assert [p.returncode for p in processes] == [0] * runners, [err[-2000:] for _, err in outputs]
    reported = [
        line for out, _ in outputs for line in out.splitlines() if line.startswith("Deployed release")
    ]
    assert sorted(line.split()[2] for line in reported) == ["v1", "v2", "v3"]
    _assert_exactly_once(releases, list(Deployment.objects.all()))
