from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from documents.choices import JobKind
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('songda', '0005_foreign_key_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FaceAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(db_index=True, max_length=64)),
                ('session_id', fields.IntField()),
                ('openid', fields.CharField(max_length=64)),
                ('challenge', fields.CharField(default='', max_length=32)),
                ('outcome', fields.CharField(max_length=32)),
                ('passed', fields.BooleanField(default=False)),
                ('distance', fields.FloatField(null=True)),
                ('threshold', fields.FloatField(null=True)),
                ('liveness', fields.CharField(default='', max_length=200)),
                ('metrics', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('lockout', fields.CharField(default='', max_length=200)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'face_attempt', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'One face verification attempt: the numbers and decisions, never the images.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FaceConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session_id', fields.IntField(db_index=True)),
                ('openid', fields.CharField(max_length=64)),
                ('text_version', fields.CharField(max_length=32)),
                ('consented_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'face_consent', 'app': 'songda', 'pk_attr': 'id', 'table_description': '单独同意 to face processing (人脸识别技术应用安全管理办法): which text, when, in which session.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FaceLockout',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(unique=True, max_length=64)),
                ('state', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'face_lockout', 'app': 'songda', 'pk_attr': 'id', 'table_description': "The face lockout policy's state for one person (identity.face.lockout decides)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MpBinding',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('openid', fields.CharField(db_index=True, max_length=64)),
                ('phone_index', fields.CharField(db_index=True, max_length=64)),
                ('id_number_index', fields.CharField(db_index=True, max_length=64)),
                ('method', fields.CharField(max_length=16)),
                ('bound_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_verified_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mp_binding', 'app': 'songda', 'unique_together': (('openid', 'id_number_index'),), 'pk_attr': 'id', 'table_description': 'A WeChat user (openid) proved to be the person behind these phone + ID blind indexes.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='OutboxJob',
            name='kind',
            field=fields.CharEnumField(description='SEAL_RECEIPT: seal_receipt\nNOTIFY_SMS: notify_sms\nWEBHOOK: webhook\nMP_SUBSCRIBE: mp_subscribe', enum_type=JobKind, max_length=16),
        ),
    ]
