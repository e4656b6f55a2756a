"""URLconf of ``tests.adopt_settings``: languages prefixed (``/de/...``), English without prefix."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = i18n_patterns(
    path("admin/", admin.site.urls), path("", include("cms.urls")), prefix_default_language=False
)
