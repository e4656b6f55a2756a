"""URLs of tests/test_rest.py: the site plus djangocms-rest's API under ``/api/``."""

from django.urls import include, path

from tests.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("api/", include("djangocms_rest.urls")), *site_urlpatterns]
