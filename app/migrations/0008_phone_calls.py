"""Phone contact (phone/): calls placed from tasks and their recordings, one-click texts from
tasks, the staff member's own phone for click-to-call, and encrypted evidence."""
from enum import Enum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'PII_REVEALED': 'pii.revealed', 'CALL_PLACED': 'call.placed', 'CALL_FAILED': 'call.failed', 'CALL_ENDED': 'call.ended', 'RECORDING_STORED': 'recording.stored', 'RECORDING_MISSING': 'recording.missing', 'RECORDING_PLAYED': 'recording.played', 'RECORDING_DELETED': 'recording.deleted', 'ADDRESS_CONFIRMED': 'address.confirmed_by_phone', 'TASK_SMS_SENT': 'task.sms_sent', 'TASK_SMS_ARRIVED': 'task.sms_arrived', 'STAFF_PHONE_SET': 'staff.phone_set'}, type=str)
SmsTemplate = Enum('SmsTemplate', {'CODE': 'code', 'SERVICE_NOTICE': 'service_notice', 'TASK_REMINDER': 'task_reminder', 'PICKUP_NOTICE': 'pickup_notice', 'ADDRESS_REQUEST': 'address_request', 'HEARING_REMINDER': 'hearing_reminder'}, type=str)
CallState = Enum('CallState', {'PLACED': 'placed', 'ENDED': 'ended', 'FAILED': 'failed', 'UNREPORTED': 'unreported'}, type=str)
RecordingState = Enum('RecordingState', {'NONE': 'none', 'PENDING': 'pending', 'STORED': 'stored', 'MISSING': 'missing', 'DELETED': 'deleted'}, type=str)
TaskTextTemplate = Enum('TaskTextTemplate', {'TASK_REMINDER': 'task_reminder', 'PICKUP_NOTICE': 'pickup_notice', 'ADDRESS_REQUEST': 'address_request', 'HEARING_REMINDER': 'hearing_reminder'}, type=str)
CallOutcome = Enum('CallOutcome', {'ANSWERED': 'answered', 'NO_ANSWER': 'no_answer', 'BUSY': 'busy', 'EMPTY_NUMBER': 'empty_number', 'REJECTED': 'rejected', 'STAFF_UNREACHED': 'staff_unreached', 'UNKNOWN': 'unknown'}, type=str)

class Migration(migrations.Migration):
    dependencies = [('songda', '0007_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Call',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_index=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('songda.StaffAccount', source_field='staff_id', db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.RESTRICT)),
                ('provider', fields.CharField(max_length=16)),
                ('provider_call_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('callee_masked', fields.CharField(max_length=32)),
                ('state', fields.CharEnumField(description='PLACED: placed\nENDED: ended\nFAILED: failed\nUNREPORTED: unreported', enum_type=CallState, max_length=16)),
                ('outcome', fields.CharEnumField(null=True, description='ANSWERED: answered\nNO_ANSWER: no_answer\nBUSY: busy\nEMPTY_NUMBER: empty_number\nREJECTED: rejected\nSTAFF_UNREACHED: staff_unreached\nUNKNOWN: unknown', enum_type=CallOutcome, max_length=16)),
                ('error_code', fields.CharField(default='', max_length=64)),
                ('placed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duration', fields.IntField(default=0)),
                ('recording_state', fields.CharEnumField(default=RecordingState.NONE, description='NONE: none\nPENDING: pending\nSTORED: stored\nMISSING: missing\nDELETED: deleted', enum_type=RecordingState, max_length=16)),
                ('recording', fields.ForeignKeyField('songda.Evidence', source_field='recording_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('recording_sha256', fields.CharField(default='', max_length=64)),
                ('recording_tries', fields.IntField(default=0)),
                ('recording_next_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('recording_error', fields.CharField(default='', max_length=200)),
                ('recording_deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=500)),
                ('confirmed_address', fields.CharField(default='', max_length=500)),
                ('address_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'phone_call', 'app': 'songda', 'pk_attr': 'id', 'table_description': "One click-to-call on a phone task (电话联系记录). The litigant's number is never stored here:"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskText',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_index=True, db_constraint=True, to_field='id', related_name='texts', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('songda.StaffAccount', source_field='staff_id', db_constraint=True, to_field='id', related_name='texts', on_delete=OnDelete.RESTRICT)),
                ('template', fields.CharEnumField(description='TASK_REMINDER: task_reminder\nPICKUP_NOTICE: pickup_notice\nADDRESS_REQUEST: address_request\nHEARING_REMINDER: hearing_reminder', enum_type=TaskTextTemplate, max_length=32)),
                ('sms_message_id', fields.IntField(db_index=True)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('arrived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'task_text', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'One text sent from a task (一键短信); the text itself is an ``SmsMessage``, whose carrier'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nPII_REVEALED: pii.revealed\nCALL_PLACED: call.placed\nCALL_FAILED: call.failed\nCALL_ENDED: call.ended\nRECORDING_STORED: recording.stored\nRECORDING_MISSING: recording.missing\nRECORDING_PLAYED: recording.played\nRECORDING_DELETED: recording.deleted\nADDRESS_CONFIRMED: address.confirmed_by_phone\nTASK_SMS_SENT: task.sms_sent\nTASK_SMS_ARRIVED: task.sms_arrived\nSTAFF_PHONE_SET: staff.phone_set', enum_type=EventType, max_length=32),
        ),
        ops.AddField(
            model_name='Evidence',
            name='encrypted',
            field=fields.BooleanField(default=False),
        ),
        ops.AlterField(
            model_name='SmsMessage',
            name='template',
            field=fields.CharEnumField(description='CODE: code\nSERVICE_NOTICE: service_notice\nTASK_REMINDER: task_reminder\nPICKUP_NOTICE: pickup_notice\nADDRESS_REQUEST: address_request\nHEARING_REMINDER: hearing_reminder', enum_type=SmsTemplate, max_length=32),
        ),
        ops.AddField(
            model_name='StaffAccount',
            name='phone_cipher',
            field=fields.CharField(default='', max_length=255),
        ),
        ops.AddField(
            model_name='StaffAccount',
            name='phone_masked',
            field=fields.CharField(default='', max_length=32),
        ),
    ]
