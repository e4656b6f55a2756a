"""tests/test_snippet.py: the test settings with djangocms-snippet left at its default
``DJANGOCMS_SNIPPET_VERSIONING_ENABLED = True`` (django.setup() must refuse them)."""

from test_settings import *  # noqa: F403

DJANGOCMS_SNIPPET_VERSIONING_ENABLED = True
