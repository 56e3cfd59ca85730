# Indexes for the workspace inbox (issue 4): one covering index for the queue counts, which also replaces
# the narrower (status, solved_at) index, and an expression index for keyset pages sorted by priority.

from django.db import migrations, models

import carefront.desk.models


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0002_ticket_presence"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_solved_idx",
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["status", "solved_at", "tier", "assignee", "team", "account", "priority", "channel"],
                name="ticket_inbox_counts_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(carefront.desk.models.PriorityRank(), models.F("id"), name="ticket_priority_rank_idx"),
        ),
    ]
