"""Global search: FTS5 tables and triggers on SQLite, expression GIN indexes on PostgreSQL.

Both are filled from the rows already in the database (SQLite rebuilds its tables; PostgreSQL builds its
indexes over the existing rows). Other databases get nothing; search then finds nothing.
"""

from django.db import migrations

from carefront.core.search_index import search_index_install, search_index_uninstall


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_viewer_preferences"),
        ("desk", "0001_initial"),
        ("accounts", "0004_viewer_preferences"),
    ]

    operations = [
        migrations.RunPython(search_index_install, search_index_uninstall, elidable=False),
    ]
