"""The PageContent admin under releases (page tree indicators, copy language, editability)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .admin_integration import ReleaseContentAdminMixin
from .constants import INDICATOR_DESCRIPTIONS


class PageContentAdminMixin(ReleaseContentAdminMixin):
    """Mixed in front of django CMS' PageContentAdmin."""

    @property
    def indicator_descriptions(self) -> dict[str, Any]:
        """Tooltips and legend of the page tree: one entry per release state."""
        return dict(INDICATOR_DESCRIPTIONS)

    @classmethod
    def get_indicator_menu(cls, request: HttpRequest, page_content: Any) -> tuple[str, list]:
        return super().get_indicator_menu(request, page_content)
