from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleaseVersioningConfig(AppConfig):
    name = "djangocms_release_versioning"
    verbose_name = _("Release versioning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .cms_config import refuse_djangocms_versioning

        refuse_djangocms_versioning()
