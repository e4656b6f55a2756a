"""URLs of the demo site: the admin, then django CMS in /en/ and /de/."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("cms.urls")),
    ),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
