"""Create the two groups of the permissions recipe (docs/howto/production.rst).

Run it once, e.g. ``python manage.py shell < permission_groups.py`` or from a data
migration of your project; running it again brings the groups back to the recipe.
Leave out the lines of apps your site does not use, add one line per plugin model
editors may use (``<app>.add_<plugin model>``, ``change_…``, ``delete_…``).
"""

from django.contrib.auth.models import Group, Permission

EDITORS = [
    # Pages: the page tree, adding and editing pages, the structure board.
    "cms.view_page",
    "cms.add_page",
    "cms.change_page",
    "cms.use_structure",
    # Plugins editors may add, change and delete (djangocms-text here).
    "djangocms_text.add_text",
    "djangocms_text.change_text",
    "djangocms_text.delete_text",
    # djangocms-alias: the alias list and alias content.
    "djangocms_alias.view_alias",
    "djangocms_alias.add_alias",
    "djangocms_alias.change_alias",
    "djangocms_alias.add_aliascontent",
    "djangocms_alias.change_aliascontent",
    # djangocms-stories: posts and their content.
    "djangocms_stories.view_post",
    "djangocms_stories.add_post",
    "djangocms_stories.change_post",
    "djangocms_stories.add_postcontent",
    "djangocms_stories.change_postcontent",
    # Releases: see them, pick the working release, review and compare.
    "djangocms_release_versioning.view_release",
]

RELEASE_MANAGERS = [
    *EDITORS,  # the page tree, Edit and Publish now need the editors' content permissions
    "djangocms_release_versioning.add_release",
    "djangocms_release_versioning.approve_release",
    "djangocms_release_versioning.lock_release",
    "djangocms_release_versioning.unlock_release",
    "djangocms_release_versioning.deploy_release",
    "djangocms_release_versioning.deprecate_release",
]

GROUPS = {"Editors": EDITORS, "Release managers": RELEASE_MANAGERS}


def create_groups() -> dict[str, Group]:
    """Create or update the groups; raises Permission.DoesNotExist for a codename of an app
    that is not installed (remove its lines)."""
    groups = {}
    for name, codenames in GROUPS.items():
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        groups[name] = group
    return groups


if __name__ in ("__main__", "django.core.management.commands.shell"):
    create_groups()
