"""Saved queue views now belong to tickets (tickets 0005 takes the model over, same table): knowledge forgets
the model without touching the table or its rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0003_category_restrict'),
        ('tickets', '0005_queueview_from_knowledge'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='QueueView')],
        ),
    ]
