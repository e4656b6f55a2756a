"""Signals sent by the services. Receivers run inside the service's transaction: an
exception in a receiver undoes the whole operation."""

from django.dispatch import Signal

# provides args: release, previous, manifest, user
# Sent after the live pointer switched and the VersionableItem hooks ran, before commit.
release_deployed = Signal()

# provides args: release, user
release_locked = Signal()

# provides args: release, base, user
release_created = Signal()
