"""The database clears ``Version.inherited`` when a row changes behind the services' back.

``inherited`` says "this row still holds what the base release holds": the deploy fast path
and the lock's fingerprint trust it (issue 11.3). Services clear it on every change
(``Version.save()``) or set it on purpose (branching, rebase). A ``QuerySet.update()`` or raw
SQL that changes ``object_id``, ``status`` or ``active`` of an inherited row without naming
``inherited`` used to be caught by ``lock_release`` comparing every inherited row with the base
(O(N)); this trigger catches it where it happens, so the lock only reads the changed rows.

Rule, per updated row: when the row was inherited, still is after the statement, and its
``object_id``, ``status`` or ``active`` changed, ``inherited`` becomes false. A statement that
changes those columns and sets ``inherited`` from false to true (a service saying "equal to the
base again") is trusted. A statement that leaves an inherited row's flag true while changing
them cannot be told apart from one that does not name the flag, so the flag is cleared; a
service that means "still inherited" sets the flag in a second statement.

One trigger per vendor (SQLite, PostgreSQL, MariaDB/MySQL); other databases get none and keep
the guarantee only for changes made through the services.

SQLite drops a table's triggers when Django rebuilds the table (``_remake_table``, used by most
``AlterField``/``RemoveField`` operations there): a later migration that rebuilds the Version
table on SQLite must create the trigger again (``tests/test_lock_cost.py`` checks that it
exists after all migrations).
"""

from django.db import migrations

TABLE = "djangocms_release_versioning_version"
NAME = "release_versioning_clear_inherited"

FORWARD = {
    "sqlite": [
        f"""
        CREATE TRIGGER {NAME}
        AFTER UPDATE OF object_id, status, active ON {TABLE}
        FOR EACH ROW
        WHEN OLD.inherited AND NEW.inherited AND (
            OLD.object_id IS NOT NEW.object_id
            OR OLD.status IS NOT NEW.status
            OR OLD.active IS NOT NEW.active
        )
        BEGIN
            UPDATE {TABLE} SET inherited = 0 WHERE id = NEW.id;
        END
        """,
    ],
    "postgresql": [
        f"""
        CREATE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            NEW.inherited := false;
            RETURN NEW;
        END
        $body$
        """,
        f"""
        CREATE TRIGGER {NAME}
        BEFORE UPDATE OF object_id, status, active ON {TABLE}
        FOR EACH ROW
        WHEN (OLD.inherited AND NEW.inherited AND (
            OLD.object_id IS DISTINCT FROM NEW.object_id
            OR OLD.status IS DISTINCT FROM NEW.status
            OR OLD.active IS DISTINCT FROM NEW.active
        ))
        EXECUTE FUNCTION {NAME}()
        """,
    ],
    "mysql": [
        f"""
        CREATE TRIGGER {NAME}
        BEFORE UPDATE ON {TABLE}
        FOR EACH ROW
        SET NEW.inherited = IF(
            OLD.inherited AND NEW.inherited AND NOT (
                OLD.object_id <=> NEW.object_id
                AND OLD.status <=> NEW.status
                AND OLD.active <=> NEW.active
            ),
            0,
            NEW.inherited
        )
        """,
    ],
}

REVERSE = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {NAME}"],
    "postgresql": [f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}", f"DROP FUNCTION IF EXISTS {NAME}()"],
    "mysql": [f"DROP TRIGGER IF EXISTS {NAME}"],
}


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0008_deploy_guards"),
    ]

    # atomic=False: MariaDB/MySQL commit implicitly on CREATE TRIGGER; PostgreSQL and SQLite
    # still run the migration in one transaction.
    operations = [
        migrations.RunPython(_run(FORWARD), _run(REVERSE), atomic=False, elidable=False),
    ]
