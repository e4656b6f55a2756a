"""The site and the deploying process of ``tests/test_multiserver.py`` (run as a script).

``python -m tests.multiserver_site seed``: migrate, then build two releases whose content
carries a marker in the navigation (a page title), the body (a text plugin) and the
footer (a static alias): ``REL1`` in v1 (deployed) and ``REL2`` in v2 (locked).

``python -m tests.multiserver_site deployer [--kill-after-commit]``: reads lines
``<version> <rollback 0|1>`` from stdin, deploys and answers ``ok <version>`` once the
deploy has committed and its clean-up has run. With ``--kill-after-commit`` the process
SIGKILLs itself in the first ``on_commit`` callback of the deploy's transaction: the
deploy is committed, its own clean-up (cache invalidation) never runs.
"""

from __future__ import annotations

import os
import signal
import sys

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.multiserver_settings")
    django.setup()


def _text_plugin(placeholder, body: str) -> None:
    from cms.api import add_plugin

    add_plugin(placeholder, "TextPlugin", "en", body=body)


def _set_text(placeholder, body: str) -> None:
    from cms.models import CMSPlugin

    plugin = CMSPlugin.objects.get(placeholder=placeholder).get_bound_plugin()
    plugin.body = body
    plugin.save()


def seed() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cms.api import create_page
    from cms.models import PageContent
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from djangocms_alias.models import Alias, AliasContent, Category

    from djangocms_release_versioning import services

    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    home = create_page("Home", "multiserver.html", "en", created_by=user, in_navigation=True)
    home_content = PageContent.admin_manager.get(page=home)
    _text_plugin(home_content.get_placeholders().get(slot="content"), "<p>bodyREL1</p>")
    other = create_page("navREL1", "multiserver.html", "en", created_by=user, in_navigation=True)
    other_content = PageContent.admin_manager.get(page=other)
    alias = Alias.objects.create(static_code="footer", category=Category.objects.create(name="Static"))
    footer = AliasContent.objects.with_user(user).create(alias=alias, name="footer", language="en")
    _text_plugin(footer.placeholder, "<p>footerREL1</p>")
    with transaction.atomic():  # django CMS locks the tree roots in a transaction
        home.set_as_homepage(user)
    services.approve_release("v1")
    services.lock_release("v1")
    services.deploy_release("v1")
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(home_content, user=user, release="v2")
    _set_text(draft.get_placeholders().get(slot="content"), "<p>bodyREL2</p>")
    draft = services.create_draft(other_content, user=user, release="v2")
    draft.title = draft.menu_title = "navREL2"
    draft.save()
    draft = services.create_draft(footer, user=user, release="v2")
    _set_text(draft.placeholder, "<p>footerREL2</p>")
    services.approve_release("v2")
    services.lock_release("v2")
    print("seeded", flush=True)


def deployer(kill_after_commit: bool) -> None:
    from django.db import transaction

    from djangocms_release_versioning import services

    print("ready", flush=True)
    for line in sys.stdin:
        version, rollback = line.split()
        with transaction.atomic():
            if kill_after_commit:  # registered before the deploy's own clean-up: runs first
                transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
            services.deploy_release(version, rollback=rollback == "1")
        print(f"ok {version}", flush=True)


if __name__ == "__main__":
    _setup()
    if sys.argv[1] == "seed":
        seed()
    else:
        deployer("--kill-after-commit" in sys.argv[2:])
