"""URLs of the page rendering benchmark: the admin and django CMS."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("cms.urls")),
]
