"""Settings for ``bench/engine.py``: the test settings with a benchmark database.

``BENCH_DB=sqlite`` (default) uses the file ``BENCH_SQLITE_PATH``; ``BENCH_DB=postgres``
uses the dedicated database ``BENCH_POSTGRES_DB`` (default ``release_versioning_bench``),
which ``engine.py`` creates before and drops after the run.
"""

import os

from test_settings import *  # noqa: F403

BENCH_DB = os.environ.get("BENCH_DB", "sqlite")

if BENCH_DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("BENCH_POSTGRES_DB", "release_versioning_bench"),
            "USER": os.environ.get("POSTGRES_USER", "postgres"),
            "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_SQLITE_PATH", "release_versioning_bench.sqlite3"),
        }
    }
