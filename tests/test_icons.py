"""Every icon the page tree, the toolbar and the grouper admins show exists in django CMS'
icon font (issue 13 item 3: ``cms-icon-clock`` and ``cms-icon-globe`` do not)."""

from __future__ import annotations

import re
from pathlib import Path

import cms
import pytest

from djangocms_release_versioning.constants import (
    INDICATOR_APPROVED,
    INDICATOR_DIRTY,
    INDICATOR_DRAFT,
    INDICATOR_FUTURE,
    INDICATOR_PUBLISHED,
    INDICATOR_UNPUBLISHED,
)
from djangocms_release_versioning.page_admin import _menu_for
from djangocms_release_versioning.views.content import CONTENT_ACTIONS
from tests.test_toolbar_support import content_in, live_site, make_user

pytestmark = pytest.mark.django_db


def cms_icons() -> set[str]:
    """The icon classes django CMS' stylesheet defines (``cms-icon-<name>``)."""
    static = Path(cms.__file__).resolve().parent / "static" / "cms" / "css"
    css = "".join(path.read_text() for path in static.glob("*/cms.base.css"))
    icons = set(re.findall(r"\.(cms-icon-[a-z0-9-]+):before", css))
    assert len(icons) > 50  # the stylesheet was found and read
    return icons


@pytest.mark.parametrize(
    "indicator",
    [
        INDICATOR_DRAFT,
        INDICATOR_DIRTY,
        INDICATOR_FUTURE,
        INDICATOR_APPROVED,
        INDICATOR_PUBLISHED,
        INDICATOR_UNPUBLISHED,
    ],
)
@pytest.mark.parametrize("editable", [True, False])
def test_every_page_tree_menu_icon_exists_in_django_cms(indicator, editable):
    page, _v1, v2 = live_site(make_user("boss", superuser=True))
    items = _menu_for(indicator, content_in(page, v2), editable, True)
    assert items
    assert {icon for _label, icon, _url, _css in items} <= cms_icons()


def test_every_toolbar_and_grouper_action_icon_exists_in_django_cms():
    assert {f"cms-icon-{icon}" for _label, _method, icon in CONTENT_ACTIONS.values()} <= cms_icons()
