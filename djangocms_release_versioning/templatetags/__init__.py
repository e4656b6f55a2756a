"""Template tag libraries of the release admin (``release_versioning``)."""
