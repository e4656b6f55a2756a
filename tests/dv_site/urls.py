"""URLs of the djangocms-versioning migration test site: the sitemap, then django CMS."""

from cms.sitemaps import CMSSitemap
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from djangocms_stories.sitemaps import StoriesSitemap

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": {"cmspages": CMSSitemap, "stories": StoriesSitemap}}),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("cms.urls")),
    ),
]
