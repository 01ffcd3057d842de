from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('songda', '0004_short_links')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Delivery',
            name='recipient',
            field=fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', db_index=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', db_index=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Event',
            name='delivery_id',
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AlterField(
            model_name='Event',
            name='recipient_id',
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AlterField(
            model_name='Event',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Receipt',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', db_index=True, db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Recipient',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', db_index=True, db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='RecipientDocument',
            name='recipient',
            field=fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', db_index=True, db_constraint=True, to_field='id', related_name='recipient_documents', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='RecipientDocument',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', db_index=True, db_constraint=True, to_field='id', related_name='recipient_documents', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ServiceDocument',
            name='service',
            field=fields.ForeignKeyField('songda.Service', source_field='service_id', db_index=True, db_constraint=True, to_field='id', related_name='service_documents', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ShortLink',
            name='delivery',
            field=fields.ForeignKeyField('songda.Delivery', source_field='delivery_id', db_index=True, db_constraint=True, to_field='id', related_name='short_links', on_delete=OnDelete.CASCADE),
        ),
    ]
