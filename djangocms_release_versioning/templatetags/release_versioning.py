"""Template filters of the release admin: ``{% load release_versioning %}``."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from ..views.common import when_html

register = template.Library()


@register.filter
def rv_when(moment: datetime | None) -> SafeString:
    """A moment as every page of the package shows it (``views.common.DATETIME_FORMAT``
    and the time zone, in a ``<time>`` element): ``{{ release.created_at|rv_when }}``."""
    return when_html(moment)
