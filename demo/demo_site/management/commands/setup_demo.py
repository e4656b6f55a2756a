"""``python demo/manage.py setup_demo [--reset]``: migrate, seed once, print how to log in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from ...seeding import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    LIVE_RELEASE,
    NEXT_RELEASE,
    ensure_admin,
    is_seeded,
    seed_demo,
    site_domain,
)


class Command(BaseCommand):
    help = (
        "Create the demo database and seed it: release v1.0.0 live, v1.1.0 open with pending "
        "changes, and the superuser admin / admin. Safe to run again (skips a seeded database)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo's SQLite database and seed it again from scratch.",
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        """:raises CommandError: ``PORT`` is not a port number, or ``--reset`` on a foreign database."""
        try:
            domain = site_domain()
        except ValueError as error:
            raise CommandError(f"{error} Run e.g. make demo PORT=8001.") from error
        if reset:
            self._delete_database()
        call_command("migrate", interactive=False, verbosity=0)
        if is_seeded():
            ensure_admin()
            Site.objects.filter(pk=1).update(domain=domain)  # follows PORT on every run
            Site.objects.clear_cache()
            self.stdout.write(
                f"The demo is set up already (release {LIVE_RELEASE} exists); nothing seeded. "
                "Run setup_demo --reset to start over."
            )
        else:
            seed_demo()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded the demo: release {LIVE_RELEASE} is live, release {NEXT_RELEASE} is "
                    "open with a changed, a parked and a hidden page, a new post and a new footer."
                )
            )
        url = f"http://{domain}/"
        self.stdout.write(
            f"Site:  {url}\nAdmin: {url}en/admin/  (user {ADMIN_USERNAME}, password {ADMIN_PASSWORD})"
        )

    def _delete_database(self) -> None:
        """Remove the demo's own SQLite file; refuse for any other database."""
        name = settings.DATABASES["default"].get("NAME")
        data_dir = Path(getattr(settings, "DATA_DIR", "")).resolve()
        path = Path(str(name)).resolve() if name else None
        if (
            settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
            or path is None
            or not getattr(settings, "DATA_DIR", None)
            or data_dir not in path.parents
        ):
            raise CommandError(
                "--reset only deletes the demo's own SQLite database (in DATA_DIR); the "
                f"configured database {name!r} was left alone."
            )
        connections.close_all()
        path.unlink(missing_ok=True)
        self.stdout.write(f"Deleted {path}.")
