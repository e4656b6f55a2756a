"""URLs of the demo site: the headless API in /api/, the admin, then django CMS in /en/ and /de/."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # djangocms-rest: the headless API (live release; staff add ?preview=true for the working one).
    path("api/", include("djangocms_rest.urls")),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("cms.urls")),
    ),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
