"""PostgreSQL: message bodies get a stored search vector (a generated column) with its GIN index, in place of
the expression index; search tests the stored vector instead of recomputing it per message. Nothing on SQLite.
"""

from django.db import migrations

from carefront.core.search_index import message_vector_install, message_vector_uninstall


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_search_index"),
        ("desk", "0005_message_account"),
    ]

    operations = [
        migrations.RunPython(message_vector_install, message_vector_uninstall, elidable=False),
    ]
