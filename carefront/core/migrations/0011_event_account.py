"""A ticket's audit events carry its account, so an account's timeline reads its tickets' changes from one index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_timeline_indexes'),
        ('core', '0010_merge_20261207_0134'),
        ('desk', '0011_timeline_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='account',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account', verbose_name='account'),
        ),
        migrations.RunSQL(
            "UPDATE core_event SET account_id = "
            "(SELECT desk_ticket.account_id FROM desk_ticket WHERE desk_ticket.id = core_event.subject_id) "
            "WHERE core_event.subject_kind = 'ticket'",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('account__isnull', False)), fields=['account', 'subject_kind', 'occurred_at', 'id', 'action', 'field'], name='event_account_time_idx'),
        ),
    ]
