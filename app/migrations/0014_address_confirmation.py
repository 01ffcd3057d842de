"""送达地址确认书 signed by the litigant (address_confirmation), a case's origin (原审案号 / 执行依据:
``court_case.origin_id``), the one-time code purpose ``address``, the document kind and the event
type. Depends on 0012_announcement; another branch writes 0013: rechain at merge time."""
import functools
from enum import Enum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
ConfirmationChannel = Enum('ConfirmationChannel', {'PORTAL': 'portal', 'MINIPROGRAM': 'miniprogram'}, type=str)
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'ESCALATION_RULE_CHANGED': 'escalation_rule.changed', 'PII_REVEALED': 'pii.revealed', 'MAIL_PRINTED': 'mail.printed', 'MAIL_WAYBILL_ENTERED': 'mail.waybill_entered', 'MAIL_CARD_CONFIRMED': 'mail.card_confirmed', 'CALL_PLACED': 'call.placed', 'CALL_FAILED': 'call.failed', 'CALL_ENDED': 'call.ended', 'RECORDING_STORED': 'recording.stored', 'RECORDING_MISSING': 'recording.missing', 'RECORDING_PLAYED': 'recording.played', 'RECORDING_DELETED': 'recording.deleted', 'ADDRESS_CONFIRMED': 'address.confirmed_by_phone', 'ADDRESS_RECORDED': 'address.recorded', 'ADDRESS_INVALIDATED': 'address.invalidated', 'ADDRESS_CANDIDATE_REVIEWED': 'address.candidate_reviewed', 'ADDRESS_REFUSED': 'address.refused', 'ADDRESS_LOOKED_UP': 'address.looked_up', 'ADDRESS_CONFIRMATION_SIGNED': 'address.confirmation_signed', 'TASK_SMS_SENT': 'task.sms_sent', 'TASK_SMS_ARRIVED': 'task.sms_arrived', 'STAFF_PHONE_SET': 'staff.phone_set', 'TASK_ARRIVED': 'task.arrived', 'TASK_IDENTITY_VERIFIED': 'task.identity_verified', 'TASK_RECEIPT_READY': 'task.receipt_ready', 'ANNOUNCEMENT_REQUESTED': 'announcement.requested', 'ANNOUNCEMENT_FEE_RECORDED': 'announcement.fee_recorded', 'ANNOUNCEMENT_TEXT_CHANGED': 'announcement.text_changed', 'ANNOUNCEMENT_SUBMITTED': 'announcement.submitted', 'ANNOUNCEMENT_TYPESET': 'announcement.typeset', 'ANNOUNCEMENT_PUBLISHED': 'announcement.published', 'ANNOUNCEMENT_RETURNED': 'announcement.returned', 'ANNOUNCEMENT_OVERDUE': 'announcement.overdue', 'ENTRUSTMENT_CREATED': 'entrustment.created', 'ENTRUSTMENT_OVERDUE': 'entrustment.overdue'}, type=str)
DocumentKind = Enum('DocumentKind', {'SUMMONS': 'summons', 'NOTICE_TO_RESPOND': 'notice_to_respond', 'NOTICE_OF_EVIDENCE': 'notice_of_evidence', 'COMPLAINT_COPY': 'complaint_copy', 'JUDGMENT': 'judgment', 'RULING': 'ruling', 'MEDIATION': 'mediation', 'ADDRESS_CONFIRMATION': 'address_confirmation', 'OTHER': 'other'}, type=str)
CodePurpose = Enum('CodePurpose', {'LINK': 'link', 'LOGIN': 'login', 'SIGN': 'sign', 'MP_PHONE': 'mp_phone', 'ADDRESS': 'address'}, type=str)


class Migration(migrations.Migration):
    dependencies = [('songda', '0013_statistics_rollup')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AddressConfirmation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('confirmation_no', fields.CharField(unique=True, max_length=32)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='address_confirmations', on_delete=OnDelete.RESTRICT)),
                ('case', fields.ForeignKeyField('songda.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='address_confirmations', on_delete=OnDelete.RESTRICT)),
                ('recipient', fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', db_constraint=True, to_field='id', related_name='address_confirmations', on_delete=OnDelete.RESTRICT)),
                ('person_name', fields.CharField(max_length=100)),
                ('id_number_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('name_phone_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('channel', fields.CharEnumField(description='PORTAL: portal\nMINIPROGRAM: miniprogram', enum_type=ConfirmationChannel, max_length=16)),
                ('submission_key', fields.CharField(max_length=64)),
                ('postal_masked', fields.CharField(max_length=200)),
                ('electronic_masked', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('address_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('identity_proof', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signature_sha256', fields.CharField(max_length=64)),
                ('pdf_sha256', fields.CharField(max_length=64)),
                ('document', fields.ForeignKeyField('songda.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='address_confirmations', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'address_confirmation', 'app': 'songda', 'unique_together': (('recipient', 'submission_key'),), 'pk_attr': 'id', 'table_description': '送达地址确认书 signed by the litigant (portal or mini-program): their signature, an SMS code,'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='origin',
            field=fields.ForeignKeyField('songda.Case', source_field='origin_id', null=True, db_constraint=True, to_field='id', related_name='successors', on_delete=OnDelete.SET_NULL),
        ),
        ops.AlterField(
            model_name='CodeSubject',
            name='purpose',
            field=fields.CharEnumField(description='LINK: link\nLOGIN: login\nSIGN: sign\nMP_PHONE: mp_phone\nADDRESS: address', enum_type=CodePurpose, max_length=16),
        ),
        ops.AlterField(
            model_name='Document',
            name='kind',
            field=fields.CharEnumField(description='SUMMONS: summons\nNOTICE_TO_RESPOND: notice_to_respond\nNOTICE_OF_EVIDENCE: notice_of_evidence\nCOMPLAINT_COPY: complaint_copy\nJUDGMENT: judgment\nRULING: ruling\nMEDIATION: mediation\nADDRESS_CONFIRMATION: address_confirmation\nOTHER: other', enum_type=DocumentKind, max_length=32),
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nESCALATION_RULE_CHANGED: escalation_rule.changed\nPII_REVEALED: pii.revealed\nMAIL_PRINTED: mail.printed\nMAIL_WAYBILL_ENTERED: mail.waybill_entered\nMAIL_CARD_CONFIRMED: mail.card_confirmed\nCALL_PLACED: call.placed\nCALL_FAILED: call.failed\nCALL_ENDED: call.ended\nRECORDING_STORED: recording.stored\nRECORDING_MISSING: recording.missing\nRECORDING_PLAYED: recording.played\nRECORDING_DELETED: recording.deleted\nADDRESS_CONFIRMED: address.confirmed_by_phone\nADDRESS_RECORDED: address.recorded\nADDRESS_INVALIDATED: address.invalidated\nADDRESS_CANDIDATE_REVIEWED: address.candidate_reviewed\nADDRESS_REFUSED: address.refused\nADDRESS_LOOKED_UP: address.looked_up\nADDRESS_CONFIRMATION_SIGNED: address.confirmation_signed\nTASK_SMS_SENT: task.sms_sent\nTASK_SMS_ARRIVED: task.sms_arrived\nSTAFF_PHONE_SET: staff.phone_set\nTASK_ARRIVED: task.arrived\nTASK_IDENTITY_VERIFIED: task.identity_verified\nTASK_RECEIPT_READY: task.receipt_ready\nANNOUNCEMENT_REQUESTED: announcement.requested\nANNOUNCEMENT_FEE_RECORDED: ', enum_type=EventType, max_length=32),
        ),
        ops.AlterField(
            model_name='OneTimeCode',
            name='purpose',
            field=fields.CharEnumField(description='LINK: link\nLOGIN: login\nSIGN: sign\nMP_PHONE: mp_phone\nADDRESS: address', enum_type=CodePurpose, max_length=16),
        ),
    ]
