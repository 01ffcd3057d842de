from tortoise import migrations
from tortoise.migrations import operations as ops
from court.console.models import StaffRole
from documents.choices import EventType
from identity.models import SessionKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('songda', '0006_miniprogram')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('login', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(max_length=64)),
                ('role', fields.CharEnumField(description='CLERK: clerk\nJUDGE: judge\nADMIN: admin', enum_type=StaffRole, max_length=16)),
                ('password_hash', fields.CharField(max_length=255)),
                ('totp_secret_cipher', fields.CharField(max_length=255)),
                ('totp_last_step', fields.BigIntField(default=0)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_account', 'app': 'songda', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='type',
            field=fields.CharEnumField(description='DOCUMENT_UPLOADED: document.uploaded\nSERVICE_CREATED: service.created\nSERVICE_REVOKED: service.revoked\nSERVICE_EXTENDED: service.extended\nDELIVERY_NOTIFIED: delivery.notified\nDELIVERY_NOTICE_RESENT: delivery.notice_resent\nDELIVERY_ARRIVED: delivery.arrived\nDELIVERY_OPENED: delivery.opened\nDELIVERY_CODE_SENT: delivery.code_sent\nDELIVERY_CODE_FAILED: delivery.code_failed\nDELIVERY_VERIFIED: delivery.verified\nDELIVERY_VIEWED: delivery.viewed\nDELIVERY_SIGNED: delivery.signed\nDELIVERY_FAILED: delivery.failed\nDELIVERY_EXPIRED: delivery.expired\nDELIVERY_REVOKED: delivery.revoked\nDOCUMENT_VIEWED: document.viewed\nDOCUMENT_DOWNLOADED: document.downloaded\nRECEIPT_READY: receipt.ready', enum_type=EventType, max_length=32),
        ),
        ops.AlterField(
            model_name='Session',
            name='kind',
            field=fields.CharEnumField(description='LINK: link\nPORTAL: portal\nMINIPROGRAM: mp\nCONSOLE: console', enum_type=SessionKind, max_length=16),
        ),
    ]
