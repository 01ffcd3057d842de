from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('songda', '0005_task_list_indexes')]

    initial = False

    # 总体统计 of a dispatcher reads the centre's attempts by creation time (a court's staff use
    # the existing court_id + created_at index).
    operations = [
        ops.AddIndex(
            model_name='Attempt',
            index=Index(fields=['centre_id', 'created_at']),
        ),
    ]
