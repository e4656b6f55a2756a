"""Release management for django CMS: a versioning provider built on releases."""

__version__ = "0.1.0"
