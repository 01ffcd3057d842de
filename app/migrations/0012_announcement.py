from enum import Enum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
AnnouncementStatus = Enum('AnnouncementStatus', {'DRAFT': 'draft', 'SUBMITTED': 'submitted', 'TYPESET': 'typeset', 'PUBLISHED': 'published', 'RETURNED': 'returned'}, type=str)
FeePayer = Enum('FeePayer', {'UNDECIDED': 'undecided', 'PARTY': 'party', 'COURT': 'court'}, type=str)
FeeStatus = Enum('FeeStatus', {'PENDING': 'pending', 'PAID': 'paid', 'WAIVED': 'waived'}, type=str)
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'ESCALATION_RULE_CHANGED': 'escalation_rule.changed', 'PII_REVEALED': 'pii.revealed', 'MAIL_PRINTED': 'mail.printed', 'MAIL_WAYBILL_ENTERED': 'mail.waybill_entered', 'MAIL_CARD_CONFIRMED': 'mail.card_confirmed', 'CALL_PLACED': 'call.placed', 'CALL_FAILED': 'call.failed', 'CALL_ENDED': 'call.ended', 'RECORDING_STORED': 'recording.stored', 'RECORDING_MISSING': 'recording.missing', 'RECORDING_PLAYED': 'recording.played', 'RECORDING_DELETED': 'recording.deleted', 'ADDRESS_CONFIRMED': 'address.confirmed_by_phone', 'TASK_SMS_SENT': 'task.sms_sent', 'TASK_SMS_ARRIVED': 'task.sms_arrived', 'STAFF_PHONE_SET': 'staff.phone_set', 'TASK_ARRIVED': 'task.arrived', 'TASK_IDENTITY_VERIFIED': 'task.identity_verified', 'TASK_RECEIPT_READY': 'task.receipt_ready', 'ANNOUNCEMENT_REQUESTED': 'announcement.requested', 'ANNOUNCEMENT_FEE_RECORDED': 'announcement.fee_recorded', 'ANNOUNCEMENT_TEXT_CHANGED': 'announcement.text_changed', 'ANNOUNCEMENT_SUBMITTED': 'announcement.submitted', 'ANNOUNCEMENT_TYPESET': 'announcement.typeset', 'ANNOUNCEMENT_PUBLISHED': 'announcement.published', 'ANNOUNCEMENT_RETURNED': 'announcement.returned', 'ANNOUNCEMENT_OVERDUE': 'announcement.overdue', 'ENTRUSTMENT_CREATED': 'entrustment.created', 'ENTRUSTMENT_OVERDUE': 'entrustment.overdue'}, type=str)


class Migration(migrations.Migration):
    dependencies = [('songda', '0011_addresses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.OneToOneField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='announcement', on_delete=OnDelete.RESTRICT)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=AnnouncementStatus.DRAFT, description='DRAFT: draft\nSUBMITTED: submitted\nTYPESET: typeset\nPUBLISHED: published\nRETURNED: returned', enum_type=AnnouncementStatus, max_length=16)),
                ('abroad', fields.BooleanField(default=False)),
                ('collect_at', fields.CharField(default='', max_length=200)),
                ('title', fields.CharField(max_length=200)),
                ('text', fields.TextField(unique=False)),
                ('fee_payer', fields.CharEnumField(default=FeePayer.UNDECIDED, description='UNDECIDED: undecided\nPARTY: party\nCOURT: court', enum_type=FeePayer, max_length=16)),
                ('fee_status', fields.CharEnumField(default=FeeStatus.PENDING, description='PENDING: pending\nPAID: paid\nWAIVED: waived', enum_type=FeeStatus, max_length=16)),
                ('fee_note', fields.CharField(default='', max_length=500)),
                ('paper_ref', fields.CharField(null=True, unique=True, max_length=64)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('typeset_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_on', fields.DateField(null=True)),
                ('edition', fields.CharField(default='', max_length=32)),
                ('page', fields.CharField(default='', max_length=32)),
                ('returned_reason', fields.CharField(default='', max_length=500)),
                ('evidence_id', fields.IntField(null=True)),
                ('overdue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('public_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'announcement', 'app': 'songda', 'indexes': [Index(fields=['court_id', 'public_until']), Index(fields=['status', 'submitted_at'])], 'pk_attr': 'id', 'table_description': '公告: one announcement for one recipient, carried by one announcement task (``attempt``).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Entrustment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.OneToOneField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='entrustment', on_delete=OnDelete.RESTRICT)),
                ('from_court', fields.ForeignKeyField('songda.Court', source_field='from_court_id', db_constraint=True, to_field='id', related_name='entrustments_made', on_delete=OnDelete.RESTRICT)),
                ('to_court', fields.ForeignKeyField('songda.Court', source_field='to_court_id', null=True, db_constraint=True, to_field='id', related_name='entrustments_received', on_delete=OnDelete.RESTRICT)),
                ('to_court_name', fields.CharField(max_length=100)),
                ('return_address', fields.CharField(max_length=200)),
                ('letter_no', fields.CharField(max_length=64)),
                ('letter_sha256', fields.CharField(max_length=64)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('overdue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'entrustment', 'app': 'songda', 'pk_attr': 'id', 'table_description': "委托送达: court A entrusts one recipient's service to court B."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nESCALATION_RULE_CHANGED: escalation_rule.changed\nPII_REVEALED: pii.revealed\nMAIL_PRINTED: mail.printed\nMAIL_WAYBILL_ENTERED: mail.waybill_entered\nMAIL_CARD_CONFIRMED: mail.card_confirmed\nCALL_PLACED: call.placed\nCALL_FAILED: call.failed\nCALL_ENDED: call.ended\nRECORDING_STORED: recording.stored\nRECORDING_MISSING: recording.missing\nRECORDING_PLAYED: recording.played\nRECORDING_DELETED: recording.deleted\nADDRESS_CONFIRMED: address.confirmed_by_phone\nTASK_SMS_SENT: task.sms_sent\nTASK_SMS_ARRIVED: task.sms_arrived\nSTAFF_PHONE_SET: staff.phone_set\nTASK_ARRIVED: task.arrived\nTASK_IDENTITY_VERIFIED: task.identity_verified\nTASK_RECEIPT_READY: task.receipt_ready\nANNOUNCEMENT_REQUESTED: announcement.requested\nANNOUNCEMENT_FEE_RECORDED: announcement.fee_recorded\nANNOUNCEMENT_TEXT_CHANGED: announcement.text_changed\nANNOUNCEMENT_SUBMITTED: announcement.submitted\nANNOUNCEMENT_TYPESET: announcement.typeset\nANNOUNCEMENT_PUBLISHED: announcement.published\nANNOUNCEMENT_RETURNED: announcement.return', enum_type=EventType, max_length=32),
        ),
    ]
