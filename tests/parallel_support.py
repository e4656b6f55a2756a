"""Parallel releases for the rebase and revert-guard tests (DESIGN §9.1.11, §9.2).

The issue's scenario: v1 live with About, Contact and Team; v2 and v3 both branched from v1;
v2 changes About and is deployed. v3 never touched About.
"""

from __future__ import annotations

from dataclasses import dataclass

from djangocms_release_versioning import services
from djangocms_release_versioning.models import Release
from tests.helpers import live_release, refreshed
from tests.testapp.models import ArticleContent


@dataclass
class Parallel:
    v1: Release
    v2: Release
    v3: Release
    about: ArticleContent
    contact: ArticleContent
    team: ArticleContent
    about_v2: ArticleContent

    def fresh(self) -> Parallel:
        self.v1, self.v2, self.v3 = refreshed(self.v1), refreshed(self.v2), refreshed(self.v3)
        return self


def edit(content: ArticleContent, release: Release, title: str, *, approve: bool = True) -> ArticleContent:
    """Edit ``content``'s grouping in ``release`` (copy-on-write) and approve the edit."""
    draft = services.create_draft(content, user=None, release=release)
    draft.title = title
    draft.save()
    if approve:
        services.transition(draft, "approve", release=release)
    return ArticleContent._base_manager.get(pk=draft.pk)


def ship(release: Release, **options) -> Release:
    """Approve what is left, lock and deploy ``release``."""
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release, **options)
    return refreshed(release)


def parallel_site(*, deploy_v2: bool = True) -> Parallel:
    v1, (about, contact, team) = live_release({"title": "About"}, {"title": "Contact"}, {"title": "Team"})
    v2 = services.create_release("v2", based_on=v1)
    v3 = services.create_release("v3", based_on=v1)
    about_v2 = edit(about, v2, "About v2")
    if deploy_v2:
        ship(v2)
    return Parallel(v1, v2, v3, about, contact, team, about_v2).fresh()


def live_titles() -> list[str]:
    return sorted(ArticleContent.objects.values_list("title", flat=True))
