"""Tables of the documents package: the uploaded files a service carries."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from documents.kinds import DocumentKind


class Document(Model):
    """法律文书: an uploaded PDF. The bytes live in storage under ``sha256``."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="documents", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(DocumentKind, max_length=32)
    title = fields.CharField(max_length=200)
    original_filename = fields.CharField(max_length=255, default="")
    sha256 = fields.CharField(max_length=64, db_index=True)
    size = fields.BigIntField()
    page_count = fields.IntField()
    uploaded_by_client_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document"
