from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReleaseVersioningConfig(AppConfig):
    name = "djangocms_release_versioning"
    verbose_name = _("Release versioning")
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self) -> None:
        """Runs before any app's ``ready()``: settings problems of ecosystem apps surface here.

        :raises ImproperlyConfigured: see :func:`.snippet.check_snippet_settings`.
        """
        from .snippet import check_snippet_settings, hide_uninstalled_djangocms_versioning

        check_snippet_settings()
        hide_uninstalled_djangocms_versioning()
        super().import_models()

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .cms_config import refuse_djangocms_versioning

        refuse_djangocms_versioning()
        post_migrate.connect(adopt_after_migrate, sender=self, dispatch_uid="release_versioning_adopt")


def adopt_after_migrate(sender: AppConfig, *, using: str, verbosity: int = 1, **kwargs: Any) -> None:
    """``post_migrate``: adopt existing content on first install, else name the command.

    Runs only after a ``migrate`` that applied migrations forwards and left every migration of
    this app applied (not after ``flush``, nor after migrating backwards), so the tables
    match the models. See :func:`djangocms_release_versioning.services.adopt.adopt_on_migrate`.
    """
    plan = kwargs.get("plan")
    if plan is None or any(backwards for _migration, backwards in plan):
        return
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    if not set(loader.graph.leaf_nodes(sender.label)) <= set(loader.applied_migrations):
        return
    from .services.adopt import adopt_on_migrate

    adopt_on_migrate(using=using, verbosity=verbosity, stdout=kwargs.get("stdout"))
