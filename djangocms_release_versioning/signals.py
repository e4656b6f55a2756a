"""Signals sent by the services. Receivers run inside the service's transaction: an
exception in a receiver undoes the whole operation."""

from django.dispatch import Signal

# provides args: release, previous, manifest
# Sent inside every deploy and rollback *and every dry run* (whose transaction is then rolled
# back), after the live pointer switched and before the VersionableItem hooks: receivers bring
# database state in line with the new live release (pages rebuild their URLs) and refuse the
# deploy by raising ValidationError. They must not act outside the database.
release_deploying = Signal()

# provides args: release, previous, manifest, user
# Sent (real deploys only) after the live pointer switched and the VersionableItem hooks ran, before commit.
release_deployed = Signal()

# provides args: release, user
release_locked = Signal()

# provides args: release, base, user
release_created = Signal()
