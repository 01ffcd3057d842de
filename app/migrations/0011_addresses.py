"""地址库: addresses, extracted candidates and refusals to confirm. Depends on 0009_inperson;
rebase onto the latest migration on main at merge time."""
import functools
from enum import Enum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'ESCALATION_RULE_CHANGED': 'escalation_rule.changed', 'PII_REVEALED': 'pii.revealed', 'MAIL_PRINTED': 'mail.printed', 'MAIL_WAYBILL_ENTERED': 'mail.waybill_entered', 'MAIL_CARD_CONFIRMED': 'mail.card_confirmed', 'CALL_PLACED': 'call.placed', 'CALL_FAILED': 'call.failed', 'CALL_ENDED': 'call.ended', 'RECORDING_STORED': 'recording.stored', 'RECORDING_MISSING': 'recording.missing', 'RECORDING_PLAYED': 'recording.played', 'RECORDING_DELETED': 'recording.deleted', 'ADDRESS_CONFIRMED': 'address.confirmed_by_phone', 'ADDRESS_RECORDED': 'address.recorded', 'ADDRESS_INVALIDATED': 'address.invalidated', 'ADDRESS_CANDIDATE_REVIEWED': 'address.candidate_reviewed', 'ADDRESS_REFUSED': 'address.refused', 'ADDRESS_LOOKED_UP': 'address.looked_up', 'TASK_SMS_SENT': 'task.sms_sent', 'TASK_SMS_ARRIVED': 'task.sms_arrived', 'STAFF_PHONE_SET': 'staff.phone_set', 'TASK_ARRIVED': 'task.arrived', 'TASK_IDENTITY_VERIFIED': 'task.identity_verified', 'TASK_RECEIPT_READY': 'task.receipt_ready'}, type=str)
AddressKind = Enum('AddressKind', {'REGISTERED': 'registered', 'HABITUAL_RESIDENCE': 'habitual_residence', 'CONFIRMED_SERVICE': 'confirmed_service', 'CONTRACT': 'contract', 'WORKPLACE': 'workplace', 'POSTAL': 'postal', 'PHONE': 'phone', 'EMAIL': 'email', 'WECHAT': 'wechat'}, type=str)
AddressSource = Enum('AddressSource', {'COURT_INTAKE': 'court_intake', 'DOCUMENT': 'document', 'PHONE_CALL': 'phone_call', 'LITIGANT': 'litigant', 'EXTERNAL_LOOKUP': 'external_lookup', 'RETURNED_MAIL': 'returned_mail'}, type=str)
AddressStatus = Enum('AddressStatus', {'CONFIRMED': 'confirmed', 'UNVERIFIED': 'unverified', 'INVALID': 'invalid'}, type=str)
CandidateStatus = Enum('CandidateStatus', {'PENDING': 'pending', 'ACCEPTED': 'accepted', 'REJECTED': 'rejected'}, type=str)


async def _rewrite_areas(apps, schema_editor) -> None:
    """Attempts' areas as the address book's normaliser writes them (广西壮族自治区 柳州市 城中区), so a
    dispatcher's area filter and the handler suggestions see old and new tasks alike."""
    from addresses.divisions import area_of  # the normaliser as it is when this runs, once

    client = schema_editor.client
    rows = await client.execute_query_dict(
        'SELECT DISTINCT "r"."address" FROM "recipient" "r" JOIN "attempt" "a" ON "a"."recipient_id" = "r"."id" '
        "WHERE \"r\".\"address\" <> ''")
    addresses = [row["address"] for row in rows]
    areas = [area_of(address) for address in addresses]
    for start in range(0, len(addresses), 5000):
        await client.execute_query(
            'UPDATE "attempt" "a" SET "area" = "u"."area" FROM "recipient" "r", '
            'unnest($1::text[], $2::text[]) AS "u"("address", "area") '
            'WHERE "a"."recipient_id" = "r"."id" AND "r"."address" = "u"."address" AND "a"."area" <> "u"."area"',
            [addresses[start:start + 5000], areas[start:start + 5000]])


class Migration(migrations.Migration):
    dependencies = [('songda', '0009_inperson')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Address',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.RESTRICT)),
                ('person_name', fields.CharField(max_length=100)),
                ('id_number_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('name_phone_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('kind', fields.CharEnumField(description='REGISTERED: registered\nHABITUAL_RESIDENCE: habitual_residence\nCONFIRMED_SERVICE: confirmed_service\nCONTRACT: contract\nWORKPLACE: workplace\nPOSTAL: postal\nPHONE: phone\nEMAIL: email\nWECHAT: wechat', enum_type=AddressKind, max_length=24)),
                ('source', fields.CharEnumField(description='COURT_INTAKE: court_intake\nDOCUMENT: document\nPHONE_CALL: phone_call\nLITIGANT: litigant\nEXTERNAL_LOOKUP: external_lookup\nRETURNED_MAIL: returned_mail', enum_type=AddressSource, max_length=24)),
                ('status', fields.CharEnumField(description='CONFIRMED: confirmed\nUNVERIFIED: unverified\nINVALID: invalid', enum_type=AddressStatus, max_length=16)),
                ('value_cipher', fields.CharField(max_length=1024)),
                ('value_index', fields.CharField(db_index=True, max_length=64)),
                ('value_masked', fields.CharField(max_length=200)),
                ('province', fields.CharField(default='', max_length=32)),
                ('city', fields.CharField(default='', max_length=32)),
                ('district', fields.CharField(default='', max_length=32)),
                ('adcode', fields.CharField(default='', max_length=6)),
                ('case', fields.ForeignKeyField('songda.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.SET_NULL)),
                ('recipient', fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', null=True, db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.SET_NULL)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recorded_by', fields.ForeignKeyField('songda.StaffAccount', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('invalidated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('invalid_reason', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'address', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'One address of one person as one source gave it (地址库中的一条地址).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AddressCandidate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='address_candidates', on_delete=OnDelete.RESTRICT)),
                ('document', fields.ForeignKeyField('songda.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='address_candidates', on_delete=OnDelete.CASCADE)),
                ('page', fields.IntField()),
                ('person_name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='REGISTERED: registered\nHABITUAL_RESIDENCE: habitual_residence\nCONFIRMED_SERVICE: confirmed_service\nCONTRACT: contract\nWORKPLACE: workplace\nPOSTAL: postal\nPHONE: phone\nEMAIL: email\nWECHAT: wechat', enum_type=AddressKind, max_length=24)),
                ('value_cipher', fields.CharField(max_length=1024)),
                ('value_masked', fields.CharField(max_length=200)),
                ('adcode', fields.CharField(default='', max_length=6)),
                ('confidence', fields.FloatField()),
                ('status', fields.CharEnumField(default=CandidateStatus.PENDING, description='PENDING: pending\nACCEPTED: accepted\nREJECTED: rejected', enum_type=CandidateStatus, max_length=16)),
                ('address', fields.ForeignKeyField('songda.Address', source_field='address_id', null=True, db_constraint=True, to_field='id', related_name='candidates', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.ForeignKeyField('songda.StaffAccount', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='address_candidates', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'address_candidate', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'An address found in a document (诉讼材料中提取的候选地址), for staff to accept or reject.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AddressRefusal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='address_refusals', on_delete=OnDelete.RESTRICT)),
                ('case', fields.ForeignKeyField('songda.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='address_refusals', on_delete=OnDelete.RESTRICT)),
                ('recipient', fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', db_index=True, db_constraint=True, to_field='id', related_name='address_refusals', on_delete=OnDelete.RESTRICT)),
                ('note', fields.CharField(max_length=500)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recorded_by', fields.ForeignKeyField('songda.StaffAccount', source_field='recorded_by_id', db_constraint=True, to_field='id', related_name='address_refusals', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'address_refusal', 'app': 'songda', 'pk_attr': 'id', 'table_description': '拒绝确认送达地址: the recipient refused to confirm an address in a case (or evaded being'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nESCALATION_RULE_CHANGED: escalation_rule.changed\nPII_REVEALED: pii.revealed\nMAIL_PRINTED: mail.printed\nMAIL_WAYBILL_ENTERED: mail.waybill_entered\nMAIL_CARD_CONFIRMED: mail.card_confirmed\nCALL_PLACED: call.placed\nCALL_FAILED: call.failed\nCALL_ENDED: call.ended\nRECORDING_STORED: recording.stored\nRECORDING_MISSING: recording.missing\nRECORDING_PLAYED: recording.played\nRECORDING_DELETED: recording.deleted\nADDRESS_CONFIRMED: address.confirmed_by_phone\nADDRESS_RECORDED: address.recorded\nADDRESS_INVALIDATED: address.invalidated\nADDRESS_CANDIDATE_REVIEWED: address.candidate_reviewed\nADDRESS_REFUSED: address.refused\nADDRESS_LOOKED_UP: address.looked_up\nTASK_SMS_SENT: task.sms_sent\nTASK_SMS_ARRIVED: task.sms_arrived\nSTAFF_PHONE_SET: staff.phone_set\nTASK_ARRIVED: task.arrived\nTASK_IDENTITY_VERIFIED: task.identity_verified\nTASK_RECEIPT_READY: task.receipt_ready', enum_type=EventType, max_length=32),
        ),
        ops.RunPython(_rewrite_areas, ops.RunPython.noop),
    ]
