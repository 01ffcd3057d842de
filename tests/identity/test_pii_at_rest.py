"""The whole litigant flow, then a search of the database and the logs for any plaintext phone,
ID number or one-time code (个人信息保护法 art. 51). None may appear."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime, timezone

from tortoise import Tortoise, connections

from app.logging_setup import configure_logging
from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from identity.code_requests import request_code
from identity.codes import verify_code
from identity.limits import DatabaseLimitBackend
from identity.models import CodePurpose
from receipts.worker import seal_pending_receipts
from service.access import advance, documents_of, record_document_access
from service.choices import DeliveryState
from service.models import Delivery
from service.notices import send_pending_notices
from service.signing import sign_delivery
from service.sms_reports import sync_sms_reports
from tests.factories import make_client, make_document, recipient_body, service_body, signature_png

PHONE, ID_NUMBER = "13912345678", "11010519491231002X"


async def _database_text(settings) -> bytes:
    conn = connections.get("default")
    dump = []
    for model in Tortoise.apps["songda"].values():
        rows = await conn.execute_query_dict(f'SELECT row_to_json(t)::text AS j FROM "{model._meta.db_table}" t')
        dump.extend(r["j"] for r in rows)
    return "\n".join(dump).encode()


async def test_no_plaintext_phone_id_number_or_code_at_rest_or_in_logs(http, app, db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    configure_logging()  # puts the masking filter on every handler, ours included
    try:
        client, _, auth = await make_client()
        document = await make_document(client.court, db.data_dir)
        litigant = recipient_body(phone=PHONE, id_number=ID_NUMBER, channels=["sms"])
        response = await http.post("/court/api/v1/services", headers=auth, json=service_body([document.id], [litigant]))
        assert response.status_code == 201
        assert PHONE not in response.text and ID_NUMBER not in response.text
        logging.getLogger("test").info("a careless line with %s and %s", PHONE, ID_NUMBER)

        now = datetime.now(timezone.utc)
        gateway, settings = app.ctx.sms_gateway, app.ctx.settings
        assert await send_pending_notices(gateway=gateway, settings=settings, worker_id="t", now=now) == 1
        delivery = await Delivery.get(service_id=response.json()["id"])
        await request_code(purpose=CodePurpose.LINK, subject=str(delivery.id), phone=PHONE, client_ip="203.0.113.7",
                           gateway=gateway, limits=DatabaseLimitBackend(), settings=settings, now=now)
        outbox = [json.loads(line) for line in (db.data_dir / "dev-sms.jsonl").read_text().splitlines()]
        code = outbox[-1]["params"]["code"]
        await verify_code(CodePurpose.LINK, str(delivery.id), code, settings=settings, now=now)
        actor, meta = Actor(ActorKind.RECIPIENT, "r"), RequestMeta(ip="203.0.113.7", user_agent="test")
        await sync_sms_reports(gateway, settings=settings, now=now)
        await advance(delivery.id, DeliveryState.OPENED, actor=actor, meta=meta, now=now)
        await advance(delivery.id, DeliveryState.VERIFIED, actor=actor, meta=meta, now=now)
        for doc in await documents_of(delivery):
            await record_document_access(delivery.id, doc.id, download=False, actor=actor, meta=meta, now=now)
        await sign_delivery(delivery.id, signature_png(), identity_proof={"method": "sms_code"}, actor=actor,
                            meta=meta, now=now, storage=app.ctx.storage)
        assert await seal_pending_receipts(sealer=app.ctx.sealer, storage=app.ctx.storage, settings=settings,
                                           worker_id="t", now=now) == 1
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    stored = await _database_text(db)
    logs = stream.getvalue()
    assert "138****" in logs or "139****5678" in logs  # the careless line was masked, not dropped
    for secret in (PHONE, ID_NUMBER):
        assert secret.encode() not in stored, f"{secret} stored in plaintext"
        assert secret not in logs, f"{secret} in the logs"
    standalone_code = re.compile(rb"(?<![0-9A-Za-z])" + code.encode() + rb"(?![0-9A-Za-z])")
    assert not standalone_code.search(stored), "one-time code stored in plaintext"
    assert not standalone_code.search(logs.encode()), "one-time code in the logs"
