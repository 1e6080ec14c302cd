"""Saved queue views move from knowledge to tickets: state only. The table (``knowledge_queueview``) and its
rows stay where they are (``db_table``); knowledge 0004 drops the model from its own state."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0004_invitation'),
        ('tickets', '0004_open_counts_index'),
        ('knowledge', '0003_category_restrict'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='QueueView',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60)),
                ('query', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'knowledge_queueview',
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'user', 'name'), name='kb_queue_view_unique_name')],
            },
        ),
            ],
        ),
    ]
