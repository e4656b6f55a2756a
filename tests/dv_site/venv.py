"""The virtualenv with djangocms-versioning 2.8.0 that builds the source site.

djangocms-versioning cannot share INSTALLED_APPS (or a process) with this package, so the
site is built by a second interpreter. The virtualenv is made on first use under
``bench/.venvs/dv-site`` (git-ignored) with the Django version of the running interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "bench" / ".venvs" / "dv-site"
REQUIREMENTS = [
    "django-cms==5.1.3",
    "djangocms-versioning==2.8.0",
    "djangocms-text==1.0.2",
    "djangocms-alias==3.2.0",
    "djangocms-stories==0.9.3",
    "djangocms-admin-style==3.3.1",
    "psycopg[binary]>=3.1",
]


def ensure_venv() -> Path:
    """The virtualenv's python, created and filled if it is missing or incomplete."""
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", "import djangocms_versioning, djangocms_stories, djangocms_alias, psycopg"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pins = [f"Django=={django.get_version()}", *REQUIREMENTS]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python
