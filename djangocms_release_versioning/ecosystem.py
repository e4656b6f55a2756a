"""Wiring for ecosystem apps (djangocms-alias, djangocms-stories, djangocms-text).

:func:`install` is called once from :func:`.integration.install_global`, after every app's
cms_config has been processed.
"""

from __future__ import annotations


def install() -> None:
    """Connect the receivers ecosystem apps need (none are needed beyond registration yet)."""
