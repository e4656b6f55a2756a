"""Several app servers, one PostgreSQL database, one Redis cache (DESIGN §8, §9.1 inv. 8).

Two real app-server processes (``runserver --noreload`` on free loopback ports) serve the
site of :mod:`tests.multiserver_site` with every django CMS cache on, in Redis. A third
process deploys and rolls back again and again while visitor threads poll both servers:

* every response is wholly one release: the markers of navigation, body and footer agree;
* once a deploy has returned, the next response of each server is the new release;
* the same when the deploying process is SIGKILLed right after its COMMIT, before its
  clean-up runs.

Runs with ``make test-multiserver`` (and ``CI=true make test``): needs ``DATABASE=postgres``,
Redis on 127.0.0.1:6379 and the ``redis`` package (extra ``multiserver``). Every wait is
bounded; everything listens on 127.0.0.1 only. The database (``rv_multiserver_<pid>``) and
the Redis keys (a prefix of their own) are removed afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.multiserver

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"(body|nav|footer)REL(\d)")
KINDS = {"body", "nav", "footer"}
START_TIMEOUT = 120  # seconds for the seeding and for a server to answer
STEP_TIMEOUT = 120  # seconds for one deploy
VISITOR_MAX_REQUESTS = 2000


def _requirements() -> None:
    if os.environ.get("CI") != "true" and os.environ.get("RV_MULTISERVER") != "1":
        pytest.skip("runs in CI (CI=true) or with RV_MULTISERVER=1 (make test-multiserver)")
    if os.environ.get("DATABASE") != "postgres":
        pytest.skip("needs DATABASE=postgres (make test-multiserver)")
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("needs the redis package: pip install -e .[multiserver]")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        pytest.skip("needs Redis on 127.0.0.1:6379 (.ci/run starts it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_admin():
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=os.environ.get("POSTGRES_USER", "postgres"),
        host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        port=os.environ.get("POSTGRES_PORT", "5432"),
        autocommit=True,
    )


def get(port: int, path: str = "/", timeout: float = 20) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        assert response.status == 200
        return response.read().decode()


def releases_in(html: str) -> set[str]:
    """The release numbers the response shows; asserts that it shows every marker kind."""
    found = MARKER.findall(html)
    assert {kind for kind, _ in found} == KINDS, f"markers missing: {found}"
    return {number for _, number in found}


@dataclass
class Stack:
    env: dict[str, str]
    ports: list[int]
    servers: list[subprocess.Popen] = field(default_factory=list)

    def python(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, **kwargs)

    def live_version(self) -> str:
        import psycopg

        with psycopg.connect(
            dbname=self.env["RV_MULTISERVER_DB"],
            user=os.environ.get("POSTGRES_USER", "postgres"),
            host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            port=os.environ.get("POSTGRES_PORT", "5432"),
        ) as connection:
            row = connection.execute(
                "SELECT r.version FROM djangocms_release_versioning_liverelease p "
                "JOIN djangocms_release_versioning_release r ON r.id = p.release_id"
            ).fetchone()
        return row[0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    _requirements()
    import redis

    database = f"rv_multiserver_{os.getpid()}"
    prefix = f"rvms-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.multiserver_settings",
        "RV_MULTISERVER_DB": database,
        "RV_MULTISERVER_PREFIX": prefix,
        "PYTHONPATH": str(ROOT),
    }
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    stack = Stack(env=env, ports=[_free_port(), _free_port()])
    logs = tmp_path_factory.mktemp("multiserver")
    try:
        seed = stack.python("-m", "tests.multiserver_site", "seed", stdout=subprocess.PIPE, text=True)
        out, _ = seed.communicate(timeout=START_TIMEOUT * 3)
        assert seed.returncode == 0 and "seeded" in out, out
        for port in stack.ports:
            log = open(logs / f"server-{port}.log", "w")  # noqa: SIM115 - closed with the process
            stack.servers.append(
                stack.python(
                    "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}", stdout=log, stderr=log
                )
            )
        for port in stack.ports:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    assert releases_in(get(port)) == {"1"}
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        yield stack
    finally:
        for server in stack.servers:
            server.terminate()
        for server in stack.servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)
        client = redis.Redis(host="127.0.0.1", port=6379)
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Visitors:
    """One thread per server, each GETting the home page until stopped (bounded in count)."""

    def __init__(self, ports: list[int]) -> None:
        self.stop = threading.Event()
        self.responses = 0
        self.mixed: list[tuple[int, list]] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self.visit, args=(port,), daemon=True) for port in ports]

    def visit(self, port: int) -> None:
        for number in range(VISITOR_MAX_REQUESTS):
            if self.stop.is_set():
                return
            # Every other request has a URL of its own: a page-cache miss that renders (and
            # reads menus, placeholders and the footer from their caches or the database).
            path = f"/?visit={port}-{number}" if number % 2 else "/"
            try:
                html = get(port, path)
            except Exception as error:  # a failed request is a finding too
                self.errors.append(f"{port}: {error!r}")
                continue
            found = MARKER.findall(html)
            self.responses += 1
            if {kind for kind, _ in found} != KINDS or len({number for _, number in found}) != 1:
                self.mixed.append((port, found))
            time.sleep(0.005)

    def __enter__(self) -> Visitors:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


#: (version, rollback): v2 goes live, back to v1, and so on.
SWITCHES = [("v2", "0"), ("v1", "1"), ("v2", "1"), ("v1", "1"), ("v2", "1"), ("v1", "1")]


def _expect_everywhere(stack: Stack, version: str) -> None:
    """The next response of each server is wholly the release ``version``."""
    for port in stack.ports:
        assert releases_in(get(port)) == {version.removeprefix("v")}, f"server {port} after {version}"


def test_deploys_and_rollbacks_switch_every_server_at_once(stack: Stack) -> None:
    deployer = stack.python(
        "-m", "tests.multiserver_site", "deployer", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert _readline(deployer) == "ready"
        with Visitors(stack.ports) as visitors:
            for version, rollback in SWITCHES:
                time.sleep(0.3)  # let the visitors fill the caches with the current release
                deployer.stdin.write(f"{version} {rollback}\n")
                deployer.stdin.flush()
                answer = _readline(deployer)
                assert answer == f"ok {version}"
                _expect_everywhere(stack, version)
        assert visitors.mixed == []
        assert visitors.errors == []
        assert visitors.responses > 0
    finally:
        deployer.stdin.close()
        deployer.wait(timeout=STEP_TIMEOUT)


def test_a_deploy_killed_right_after_its_commit_still_switches_every_server(stack: Stack) -> None:
    """SIGKILL in the first on_commit callback: the deploy's own cache clean-up never runs."""
    current = stack.live_version()
    with Visitors(stack.ports) as visitors:
        for _ in range(3):
            target = "v2" if current == "v1" else "v1"
            time.sleep(0.3)
            deployer = stack.python(
                "-m",
                "tests.multiserver_site",
                "deployer",
                "--kill-after-commit",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert _readline(deployer) == "ready"
            deployer.stdin.write(f"{target} 1\n")
            deployer.stdin.flush()
            assert deployer.wait(timeout=STEP_TIMEOUT) == -signal.SIGKILL
            assert stack.live_version() == target  # committed before the kill
            _expect_everywhere(stack, target)
            current = target
    assert visitors.mixed == []
    assert visitors.errors == []


def _readline(process: subprocess.Popen) -> str:
    """The next line of ``process``'s output, waiting at most STEP_TIMEOUT seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=STEP_TIMEOUT)
    assert lines, "no answer from the deployer in time"
    return lines[0].strip()
