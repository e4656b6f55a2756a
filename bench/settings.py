"""Settings for ``bench/engine.py``: the test settings with a benchmark database.

``BENCH_DB=sqlite`` (default) uses the file ``BENCH_SQLITE_PATH``; ``BENCH_DB=postgres``
uses the dedicated database ``BENCH_POSTGRES_DB`` (default ``release_versioning_bench``),
which ``engine.py`` creates before and drops after the run; ``BENCH_DB=mariadb`` likewise
uses ``BENCH_MYSQL_DB`` on the MariaDB server of ``MYSQL_HOST``/``MYSQL_PORT`` (user
``MYSQL_USER``, default root).
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
elif BENCH_DB == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("BENCH_MYSQL_DB", "release_versioning_bench"),
            "USER": os.environ.get("MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
            "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MYSQL_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_SQLITE_PATH", "release_versioning_bench.sqlite3"),
        }
    }
