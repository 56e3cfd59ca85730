"""Messages carry their ticket's account, so an account's timeline reads its newest messages from one index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_viewer_preferences'),
        ('desk', '0004_drop_redundant_fk_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='account',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account', verbose_name='account'),
        ),
        migrations.RunSQL(
            "UPDATE desk_message SET account_id = "
            "(SELECT desk_ticket.account_id FROM desk_ticket WHERE desk_ticket.id = desk_message.ticket_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['account', 'created_at', 'id'], name='message_account_idx'),
        ),
    ]
