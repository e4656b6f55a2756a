"""The demo site's own app: the ``setup_demo`` command and the seeding it runs."""
