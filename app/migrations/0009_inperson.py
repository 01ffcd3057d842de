import functools
from enum import Enum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EventType = Enum('EventType', {'DOCUMENT_UPLOADED': 'document.uploaded', 'SERVICE_CREATED': 'service.created', 'SERVICE_REVOKED': 'service.revoked', 'SERVICE_EXTENDED': 'service.extended', 'DELIVERY_NOTIFIED': 'delivery.notified', 'DELIVERY_NOTICE_RESENT': 'delivery.notice_resent', 'DELIVERY_ARRIVED': 'delivery.arrived', 'DELIVERY_OPENED': 'delivery.opened', 'DELIVERY_CODE_SENT': 'delivery.code_sent', 'DELIVERY_CODE_FAILED': 'delivery.code_failed', 'DELIVERY_VERIFIED': 'delivery.verified', 'DELIVERY_VIEWED': 'delivery.viewed', 'DELIVERY_SIGNED': 'delivery.signed', 'DELIVERY_FAILED': 'delivery.failed', 'DELIVERY_EXPIRED': 'delivery.expired', 'DELIVERY_REVOKED': 'delivery.revoked', 'DOCUMENT_VIEWED': 'document.viewed', 'DOCUMENT_DOWNLOADED': 'document.downloaded', 'RECEIPT_READY': 'receipt.ready', 'TASK_CREATED': 'task.created', 'TASK_ASSIGNED': 'task.assigned', 'TASK_HANDED_BACK': 'task.handed_back', 'TASK_STARTED': 'task.started', 'TASK_CONTACT_RECORDED': 'task.contact_recorded', 'TASK_NOTE_CHANGED': 'task.note_changed', 'TASK_EVIDENCE_ADDED': 'task.evidence_added', 'TASK_CLOSED': 'task.closed', 'ATTEMPT_CLOSED': 'attempt.closed', 'TASK_ESCALATED': 'task.escalated', 'ANNOUNCEMENT_SUGGESTED': 'announcement.suggested', 'PII_REVEALED': 'pii.revealed', 'TASK_ARRIVED': 'task.arrived', 'TASK_IDENTITY_VERIFIED': 'task.identity_verified', 'TASK_RECEIPT_READY': 'task.receipt_ready'}, type=str)
CaptureKind = Enum('CaptureKind', {'SIGNATURE': 'signature', 'FINGERPRINT': 'fingerprint', 'LIVE_PHOTO': 'live_photo', 'ID_PORTRAIT': 'id_portrait', 'AUTHORISATION': 'authorisation', 'SITE_PHOTO': 'site_photo', 'WITNESS_PHOTO': 'witness_photo', 'VIDEO': 'video'}, type=str)
Collector = Enum('Collector', {'RECIPIENT': 'recipient', 'AGENT': 'agent', 'FAMILY': 'family'}, type=str)
TaskReceiptStatus = Enum('TaskReceiptStatus', {'PENDING': 'pending', 'SEALED': 'sealed'}, type=str)
UploadState = Enum('UploadState', {'RECEIVING': 'receiving', 'COMPLETE': 'complete'}, type=str)

class Migration(migrations.Migration):
    dependencies = [('songda', '0008_phone_calls')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Capture',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('upload_id', fields.CharField(max_length=64)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_index=True, db_constraint=True, to_field='id', related_name='captures', on_delete=OnDelete.RESTRICT)),
                ('uploaded_by', fields.ForeignKeyField('songda.StaffAccount', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='captures', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='SIGNATURE: signature\nFINGERPRINT: fingerprint\nLIVE_PHOTO: live_photo\nID_PORTRAIT: id_portrait\nAUTHORISATION: authorisation\nSITE_PHOTO: site_photo\nWITNESS_PHOTO: witness_photo\nVIDEO: video', enum_type=CaptureKind, max_length=16)),
                ('filename', fields.CharField(max_length=255)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('received', fields.IntField(default=0)),
                ('state', fields.CharEnumField(default=UploadState.RECEIVING, description='RECEIVING: receiving\nCOMPLETE: complete', enum_type=UploadState, max_length=16)),
                ('evidence', fields.ForeignKeyField('songda.Evidence', source_field='evidence_id', null=True, db_constraint=True, to_field='id', related_name='captures', on_delete=OnDelete.RESTRICT)),
                ('latitude', fields.FloatField(null=True)),
                ('longitude', fields.FloatField(null=True)),
                ('accuracy_m', fields.FloatField(null=True)),
                ('device_time', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('clock_skew_s', fields.IntField(null=True)),
                ('flags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('witness_name', fields.CharField(default='', max_length=50)),
                ('exif_gps', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inperson_capture', 'app': 'songda', 'unique_together': (('uploaded_by', 'upload_id'),), 'pk_attr': 'id', 'table_description': 'One capture (a photo, a video, a signature, a fingerprint, a scan) uploaded for a task,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaptureChunk',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('capture', fields.ForeignKeyField('songda.Capture', source_field='capture_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('offset', fields.IntField()),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'inperson_capture_chunk', 'app': 'songda', 'unique_together': (('capture', 'offset'),), 'pk_attr': 'id', 'table_description': 'Bytes of an unfinished capture, in order; deleted once the capture is complete.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InPersonRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.OneToOneField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='inperson_record', on_delete=OnDelete.RESTRICT)),
                ('collector', fields.CharEnumField(description='RECIPIENT: recipient\nAGENT: agent\nFAMILY: family', enum_type=Collector, max_length=16)),
                ('collector_name', fields.CharField(max_length=100)),
                ('collector_id_masked', fields.CharField(default='', max_length=64)),
                ('collector_id_index', fields.CharField(default='', max_length=64)),
                ('relation', fields.CharField(default='', max_length=50)),
                ('identity_proof', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('handed_on_paper', fields.BooleanField(default=False)),
                ('pushed_to_phone', fields.BooleanField(default=False)),
                ('place', fields.CharField(default='', max_length=500)),
                ('arrived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('refusal_reason', fields.CharField(default='', max_length=500)),
                ('refused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('witness_name', fields.CharField(default='', max_length=50)),
                ('witness_role', fields.CharField(default='', max_length=100)),
                ('signature_sha256', fields.CharField(null=True, max_length=64)),
                ('photo_sha256', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inperson_record', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'What happened face to face when a pickup or field task was closed as served: who took the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskReceipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receipt_no', fields.CharField(unique=True, max_length=32)),
                ('attempt', fields.OneToOneField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='task_receipt', on_delete=OnDelete.RESTRICT)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='task_receipts', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=TaskReceiptStatus.PENDING, description='PENDING: pending\nSEALED: sealed', enum_type=TaskReceiptStatus, max_length=16)),
                ('pdf_sha256', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sealed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'task_receipt', 'app': 'songda', 'pk_attr': 'id', 'table_description': '送达回证 of one pickup or field task, sealed off the request path if need be.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready\nTASK_CREATED: task.created\nTASK_ASSIGNED: task.assigned\nTASK_HANDED_BACK: task.handed_back\nTASK_STARTED: task.started\nTASK_CONTACT_RECORDED: task.contact_recorded\nTASK_NOTE_CHANGED: task.note_changed\nTASK_EVIDENCE_ADDED: task.evidence_added\nTASK_CLOSED: task.closed\nATTEMPT_CLOSED: attempt.closed\nTASK_ESCALATED: task.escalated\nANNOUNCEMENT_SUGGESTED: announcement.suggested\nPII_REVEALED: pii.revealed\nTASK_ARRIVED: task.arrived\nTASK_IDENTITY_VERIFIED: task.identity_verified\nTASK_RECEIPT_READY: task.receipt_ready', enum_type=EventType, max_length=32),
        ),
    ]
