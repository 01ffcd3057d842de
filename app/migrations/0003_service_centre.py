from enum import Enum
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'PII_REVEALED': 'pii.revealed'}, type=str)
EscalationAction = Enum('EscalationAction', {'OPEN_TASK': 'open_task', 'SUGGEST_ANNOUNCEMENT': 'suggest_announcement'}, type=str)
EscalationTrigger = Enum('EscalationTrigger', {'STALLED': 'stalled', 'FAILED': 'failed', 'ALL_FAILED': 'all_failed'}, type=str)
StaffRole = Enum('StaffRole', {'CLERK': 'clerk', 'JUDGE': 'judge', 'ADMIN': 'admin', 'PROCESS_SERVER': 'process_server', 'DISPATCHER': 'dispatcher'}, type=str)
JobKind = Enum('JobKind', {'SEAL_RECEIPT': 'seal_receipt', 'NOTIFY_SMS': 'notify_sms', 'WEBHOOK': 'webhook', 'MP_SUBSCRIBE': 'mp_subscribe', 'LOGIN_CODE': 'login_code'}, type=str)
Channel = Enum('Channel', {'SMS': 'sms', 'PORTAL': 'portal', 'WECHAT': 'wechat', 'PHONE': 'phone', 'MAIL': 'mail', 'PICKUP': 'pickup', 'FIELD': 'field', 'ANNOUNCEMENT': 'announcement', 'ENTRUSTED': 'entrusted'}, type=str)
ContactKind = Enum('ContactKind', {'CALL': 'call', 'SMS': 'sms', 'VISIT': 'visit', 'MAIL': 'mail', 'NOTE': 'note'}, type=str)
EvidenceKind = Enum('EvidenceKind', {'AUDIO': 'audio', 'IMAGE': 'image', 'PDF': 'pdf', 'VIDEO': 'video'}, type=str)
FailureReason = Enum('FailureReason', {'REFUSED': 'refused', 'NO_SUCH_PERSON': 'no_such_person', 'ADDRESS_UNCLEAR': 'address_unclear', 'MOVED': 'moved', 'NO_ANSWER': 'no_answer', 'WRONG_NUMBER': 'wrong_number', 'OTHER': 'other'}, type=str)
Outcome = Enum('Outcome', {'SERVED': 'served', 'FAILED': 'failed', 'WITHDRAWN': 'withdrawn'}, type=str)
ServiceMethod = Enum('ServiceMethod', {'ELECTRONIC': 'electronic', 'DIRECT': 'direct', 'LODGED': 'lodged', 'MAIL': 'mail', 'ANNOUNCEMENT': 'announcement', 'ENTRUSTED': 'entrusted', 'PHONE': 'phone'}, type=str)
TaskStatus = Enum('TaskStatus', {'UNASSIGNED': 'unassigned', 'ASSIGNED': 'assigned', 'IN_PROGRESS': 'in_progress', 'CLOSED': 'closed', 'HANDED_BACK': 'handed_back'}, type=str)


class Migration(migrations.Migration):
    dependencies = [('songda', '0002_receipt_effect_statement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EscalationRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='escalation_rules', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('trigger', fields.CharEnumField(description='STALLED: stalled\nFAILED: failed\nALL_FAILED: all_failed', enum_type=EscalationTrigger, max_length=16)),
                ('from_channels', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after_hours', fields.IntField(default=0)),
                ('action', fields.CharEnumField(description='OPEN_TASK: open_task\nSUGGEST_ANNOUNCEMENT: suggest_announcement', enum_type=EscalationAction, max_length=32)),
                ('open_channel', fields.CharField(null=True, max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'escalation_rule', 'app': 'songda', 'pk_attr': 'id', 'table_description': '升级规则, per court: when an attempt on one of ``from_channels`` meets ``trigger``, open a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceCentre',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'service_centre', 'app': 'songda', 'pk_attr': 'id', 'table_description': "送达中心: the (outsourced) team that handles a court's service tasks. One centre may serve"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.RESTRICT)),
                ('centre', fields.ForeignKeyField('songda.ServiceCentre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.RESTRICT)),
                ('service', fields.ForeignKeyField('songda.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.ForeignKeyField('songda.Recipient', source_field='recipient_id', db_index=True, db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='SMS: sms\nPORTAL: portal\nWECHAT: wechat\nPHONE: phone\nMAIL: mail\nPICKUP: pickup\nFIELD: field\nANNOUNCEMENT: announcement\nENTRUSTED: entrusted', enum_type=Channel, max_length=16)),
                ('delivery', fields.OneToOneField('songda.Delivery', source_field='delivery_id', null=True, db_constraint=True, to_field='id', related_name='attempt', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='UNASSIGNED: unassigned\nASSIGNED: assigned\nIN_PROGRESS: in_progress\nCLOSED: closed\nHANDED_BACK: handed_back', enum_type=TaskStatus, max_length=16)),
                ('assignee', fields.ForeignKeyField('songda.StaffAccount', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.RESTRICT)),
                ('area', fields.CharField(default='', max_length=64)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('notes', fields.TextField(default='', unique=False)),
                ('hand_back_reason', fields.CharField(default='', max_length=500)),
                ('outcome', fields.CharEnumField(null=True, description='SERVED: served\nFAILED: failed\nWITHDRAWN: withdrawn', enum_type=Outcome, max_length=16)),
                ('failure_reason', fields.CharEnumField(null=True, description='REFUSED: refused\nNO_SUCH_PERSON: no_such_person\nADDRESS_UNCLEAR: address_unclear\nMOVED: moved\nNO_ANSWER: no_answer\nWRONG_NUMBER: wrong_number\nOTHER: other', enum_type=FailureReason, max_length=16)),
                ('failure_text', fields.CharField(default='', max_length=500)),
                ('method', fields.CharEnumField(null=True, description='ELECTRONIC: electronic\nDIRECT: direct\nLODGED: lodged\nMAIL: mail\nANNOUNCEMENT: announcement\nENTRUSTED: entrusted\nPHONE: phone', enum_type=ServiceMethod, max_length=16)),
                ('served_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('effective_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('effect_rule', fields.CharField(default='', max_length=500)),
                ('effect_reason', fields.CharField(default='', max_length=500)),
                ('escalated_from', fields.ForeignKeyField('songda.Attempt', source_field='escalated_from_id', null=True, db_constraint=True, to_field='id', related_name='escalations', on_delete=OnDelete.SET_NULL)),
                ('escalation_rule_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attempt', 'app': 'songda', 'unique_together': (('escalated_from', 'escalation_rule_id'),), 'indexes': [Index(fields=['centre_id', 'status', 'due_at']), Index(fields=['assignee_id', 'status', 'due_at']), Index(fields=['court_id', 'created_at'])], 'pk_attr': 'id', 'table_description': '送达尝试: one try on one channel for one recipient.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_index=True, db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('songda.StaffAccount', source_field='staff_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='CALL: call\nSMS: sms\nVISIT: visit\nMAIL: mail\nNOTE: note', enum_type=ContactKind, max_length=16)),
                ('contacted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('result', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attempt_contact', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'One contact on a task (联系记录): what was done, when, and what came of it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Evidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_index=True, db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='AUDIO: audio\nIMAGE: image\nPDF: pdf\nVIDEO: video', enum_type=EvidenceKind, max_length=16)),
                ('content_type', fields.CharField(max_length=64)),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('size', fields.IntField()),
                ('filename', fields.CharField(max_length=255)),
                ('description', fields.CharField(default='', max_length=200)),
                ('uploaded_by', fields.ForeignKeyField('songda.StaffAccount', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evidence', 'app': 'songda', 'pk_attr': 'id', 'table_description': '证据 / 回执附件: a recording, photo, scan or video attached to an attempt. The bytes are in'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Court',
            name='centre',
            field=fields.ForeignKeyField('songda.ServiceCentre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='courts', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='channel',
            field=fields.CharEnumField(description='SMS: sms\nPORTAL: portal\nWECHAT: wechat\nPHONE: phone\nMAIL: mail\nPICKUP: pickup\nFIELD: field\nANNOUNCEMENT: announcement\nENTRUSTED: entrusted', enum_type=Channel, max_length=16),
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nPII_REVEALED: pii.revealed', enum_type=EventType, max_length=32),
        ),
        ops.AlterField(
            model_name='OutboxJob',
            name='kind',
            field=fields.CharEnumField(description='SEAL_RECEIPT: seal_receipt\nNOTIFY_SMS: notify_sms\nWEBHOOK: webhook\nMP_SUBSCRIBE: mp_subscribe\nLOGIN_CODE: login_code', enum_type=JobKind, max_length=16),
        ),
        ops.AlterField(
            model_name='Receipt',
            name='effect_channel',
            field=fields.CharEnumField(null=True, description='SMS: sms\nPORTAL: portal\nWECHAT: wechat\nPHONE: phone\nMAIL: mail\nPICKUP: pickup\nFIELD: field\nANNOUNCEMENT: announcement\nENTRUSTED: entrusted', enum_type=Channel, max_length=16),
        ),
        ops.AlterField(
            model_name='StaffAccount',
            name='role',
            field=fields.CharEnumField(description='CLERK: clerk\nJUDGE: judge\nADMIN: admin\nPROCESS_SERVER: process_server\nDISPATCHER: dispatcher', enum_type=StaffRole, max_length=16),
        ),
        ops.AddField(
            model_name='StaffAccount',
            name='centre',
            field=fields.ForeignKeyField('songda.ServiceCentre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT),
        ),
        # Every court gets a service centre of its own; every existing delivery becomes an
        # electronic attempt (the jobs loop closes those whose delivery has ended: centre/electronic.py).
        ops.RunSQL(
            sql=[
                'INSERT INTO "service_centre" ("name", "created_at") '
                'SELECT "name" || \'送达中心\', now() FROM "court" WHERE "centre_id" IS NULL ORDER BY "id"',
                'UPDATE "court" SET "centre_id" = "c"."id" FROM "service_centre" "c" '
                'WHERE "court"."centre_id" IS NULL AND "c"."name" = "court"."name" || \'送达中心\'',
                'INSERT INTO "attempt" ("court_id", "centre_id", "service_id", "recipient_id", "channel", '
                '"delivery_id", "status", "area", "notes", "hand_back_reason", "failure_text", "effect_rule", '
                '"effect_reason", "created_at", "updated_at") '
                'SELECT "s"."court_id", "c"."centre_id", "d"."service_id", "d"."recipient_id", "d"."channel", '
                '"d"."id", \'in_progress\', \'\', \'\', \'\', \'\', \'\', \'\', "d"."created_at", "d"."created_at" '
                'FROM "delivery" "d" JOIN "service" "s" ON "s"."id" = "d"."service_id" '
                'JOIN "court" "c" ON "c"."id" = "s"."court_id" ORDER BY "d"."id"',
            ],
            reverse_sql=['DELETE FROM "attempt"', 'UPDATE "court" SET "centre_id" = NULL',
                         'DELETE FROM "service_centre"'],
        ),
    ]
