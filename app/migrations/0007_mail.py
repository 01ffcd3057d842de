from tortoise import migrations
from tortoise.migrations import operations as ops
from enum import Enum
from tortoise.fields.base import OnDelete
from tortoise import fields

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'PII_REVEALED': 'pii.revealed', 'MAIL_PRINTED': 'mail.printed', 'MAIL_WAYBILL_ENTERED': 'mail.waybill_entered', 'MAIL_CARD_CONFIRMED': 'mail.card_confirmed'}, type=str)
MailStatus = Enum('MailStatus', {'PRINTED': 'printed', 'POSTED': 'posted', 'IN_TRANSIT': 'in_transit', 'DELIVERING': 'delivering', 'DELIVERED': 'delivered', 'RETURNED': 'returned'}, type=str)
PriceBand = Enum('PriceBand', {'SAME_CITY': 'same_city', 'SAME_PROVINCE': 'same_province', 'OTHER_PROVINCE': 'other_province'}, type=str)
MailSigner = Enum('MailSigner', {'RECIPIENT': 'recipient', 'FAMILY': 'family', 'DESIGNATED': 'designated', 'AGENT': 'agent', 'LEGAL_GUARDIAN': 'legal_guardian', 'ORGANISATION': 'organisation', 'OTHER': 'other'}, type=str)
MailReturn = Enum('MailReturn', {'REFUSED': 'refused', 'ADDRESS_WRONG': 'address_wrong', 'MOVED': 'moved', 'NO_SUCH_PERSON': 'no_such_person', 'NOBODY_HOME': 'nobody_home', 'OTHER': 'other'}, type=str)

class Migration(migrations.Migration):
    dependencies = [('songda', '0006_statistics_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MailPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.OneToOneField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='mail_price', on_delete=OnDelete.CASCADE)),
                ('origin', fields.CharField(default='', max_length=200)),
                ('printing_fen', fields.IntField(default=800)),
                ('same_city_fen', fields.IntField(default=2000)),
                ('same_province_fen', fields.IntField(default=3000)),
                ('other_province_fen', fields.IntField(default=4000)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_price', 'app': 'songda', 'pk_attr': 'id', 'table_description': "邮寄价格表, one row per court; without a row the seed's defaults apply (mail/costs.py)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrintBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='print_batches', on_delete=OnDelete.RESTRICT)),
                ('centre', fields.ForeignKeyField('songda.ServiceCentre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='print_batches', on_delete=OnDelete.RESTRICT)),
                ('destination', fields.CharField(max_length=64)),
                ('item_count', fields.IntField()),
                ('page_count', fields.IntField(default=0)),
                ('pdf_sha256', fields.CharField(null=True, max_length=64)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_print_batch', 'app': 'songda', 'pk_attr': 'id', 'table_description': '集中打印批次: the mail items for one destination (province, city), printed together.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.OneToOneField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='mail_item', on_delete=OnDelete.RESTRICT)),
                ('batch', fields.ForeignKeyField('songda.PrintBatch', source_field='batch_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.RESTRICT)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='mail_items', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('destination', fields.CharField(max_length=64)),
                ('band', fields.CharEnumField(description='SAME_CITY: same_city\nSAME_PROVINCE: same_province\nOTHER_PROVINCE: other_province', enum_type=PriceBand, max_length=16)),
                ('postage_fen', fields.IntField()),
                ('printing_fen', fields.IntField()),
                ('pages', fields.IntField(default=0)),
                ('carrier', fields.CharField(default='ems', max_length=16)),
                ('waybill', fields.CharField(null=True, unique=True, max_length=32)),
                ('status', fields.CharEnumField(default=MailStatus.PRINTED, description='PRINTED: printed\nPOSTED: posted\nIN_TRANSIT: in_transit\nDELIVERING: delivering\nDELIVERED: delivered\nRETURNED: returned', enum_type=MailStatus, max_length=16)),
                ('signer_name', fields.CharField(default='', max_length=100)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('return_text', fields.CharField(default='', max_length=200)),
                ('card_received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('card_signer', fields.CharEnumField(null=True, description='RECIPIENT: recipient\nFAMILY: family\nDESIGNATED: designated\nAGENT: agent\nLEGAL_GUARDIAN: legal_guardian\nORGANISATION: organisation\nOTHER: other', enum_type=MailSigner, max_length=16)),
                ('return_reason', fields.CharEnumField(null=True, description='REFUSED: refused\nADDRESS_WRONG: address_wrong\nMOVED: moved\nNO_SUCH_PERSON: no_such_person\nNOBODY_HOME: nobody_home\nOTHER: other', enum_type=MailReturn, max_length=16)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_by_id', fields.IntField(null=True)),
                ('last_polled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_item', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'One mail item (邮件): the documents of one mail task in one envelope. ``code`` is printed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnScan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='return_scans', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('songda.MailItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.RESTRICT)),
                ('evidence_id', fields.IntField(null=True)),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('content_type', fields.CharField(max_length=64)),
                ('filename', fields.CharField(max_length=255)),
                ('page', fields.IntField(default=1)),
                ('code_read', fields.CharField(default='', max_length=64)),
                ('uploaded_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_return_scan', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'A scanned return card (one image, or one page of a scanned batch), matched to its item by'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackingEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('songda.MailItem', source_field='item_id', db_index=True, db_constraint=True, to_field='id', related_name='tracking', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(null=True, description='PRINTED: printed\nPOSTED: posted\nIN_TRANSIT: in_transit\nDELIVERING: delivering\nDELIVERED: delivered\nRETURNED: returned', enum_type=MailStatus, max_length=16)),
                ('text', fields.CharField(max_length=500)),
                ('location', fields.CharField(default='', max_length=100)),
                ('source', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_tracking_event', 'app': 'songda', 'unique_together': (('item', 'at', 'text'),), 'pk_attr': 'id', 'table_description': "One line of a mail item's logistics timeline, as the carrier reported it."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nPII_REVEALED: pii.revealed\nMAIL_PRINTED: mail.printed\nMAIL_WAYBILL_ENTERED: mail.waybill_entered\nMAIL_CARD_CONFIRMED: mail.card_confirmed', enum_type=EventType, max_length=32),
        ),
    ]
