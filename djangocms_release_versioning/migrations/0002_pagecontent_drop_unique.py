"""Drop PageContent's (language, page) uniqueness in the database.

A release holds one PageContent per page and language, but several releases hold several
rows. The operation is idempotent: a site coming from djangocms-versioning has dropped the
constraint already. The migration *state* keeps ``unique_together`` (this app cannot alter
cms' state); django CMS' own later migrations check the database before rebuilding tables.
"""

from django.db import migrations


def drop_pagecontent_unique(apps, schema_editor):
    from djangocms_release_versioning import conf

    if not conf.PAGES_ENABLED:
        return
    PageContent = apps.get_model("cms", "PageContent")
    if not schema_editor.connection.introspection.table_names() or (
        PageContent._meta.db_table not in schema_editor.connection.introspection.table_names()
    ):
        return
    columns = {PageContent._meta.get_field(name).column for name in ("language", "page")}
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, PageContent._meta.db_table)
    qn = schema_editor.quote_name
    for name, constraint in constraints.items():
        if constraint["unique"] and not constraint.get("primary_key") and set(constraint["columns"]) == columns:
            schema_editor.execute(
                schema_editor.sql_delete_unique % {"table": qn(PageContent._meta.db_table), "name": qn(name)}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("djangocms_release_versioning", "0001_initial"),
        ("cms", "0045_pageurl_site_unique_path"),
    ]

    # atomic=False: on MySQL/MariaDB DDL cannot run inside a transaction, and Django would
    # otherwise wrap this RunPython in one. PostgreSQL and SQLite still run the whole
    # migration in one transaction (the migration itself stays atomic).
    operations = [
        migrations.RunPython(
            drop_pagecontent_unique, migrations.RunPython.noop, atomic=False, elidable=False
        )
    ]
