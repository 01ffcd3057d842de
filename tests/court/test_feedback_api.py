"""PUT/DELETE /webhook and GET /receipts/{no}.pdf."""
from __future__ import annotations

from datetime import datetime, timezone

from court.models import ApiClient
from documents.storage import LocalStorage
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts
from service.choices import CourtSystem
from tests.factories import make_client, make_court, make_signed_delivery

API = "/court/api/v1"


async def test_webhook_subscription(http, db):
    client, _, auth = await make_client()
    refused = await http.put(f"{API}/webhook", headers=auth, json={"url": "http://10.0.0.5/hook"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "webhook_url_refused"
    assert (await http.put(f"{API}/webhook", headers=auth, json={"url": "https://x", "y": 1})).status_code == 422
    http._transport.app.ctx.settings = db.model_copy(update={"webhook_allow_private": True})
    response = await http.put(f"{API}/webhook", headers=auth, json={"url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 200 and response.json()["secret"].startswith("whsec_")
    stored = await ApiClient.get(id=client.id)
    assert stored.webhook_url == "http://127.0.0.1:9/hook"
    assert response.json()["secret"] not in (stored.webhook_secret_cipher or "")
    assert (await http.delete(f"{API}/webhook", headers=auth)).status_code == 204
    assert (await ApiClient.get(id=client.id)).webhook_url is None


async def test_dossier_fetches_sealed_receipts_of_its_own_court_only(http, db):
    court = await make_court()
    _, _, dossier = await make_client(court, CourtSystem.DOSSIER)
    _, _, _, receipt = await make_signed_delivery(db, documents=1, court=court)
    url = f"{API}/receipts/{receipt.receipt_no}.pdf"
    assert (await http.get(url, headers=dossier)).json()["error"]["code"] == "receipt_pending"
    await seal_pending_receipts(sealer=Sealer.from_settings(db), storage=LocalStorage(db.files_dir),
                                settings=db, worker_id="t", now=datetime.now(timezone.utc))
    response = await http.get(url, headers=dossier)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert (await Sealer.from_settings(db).check_async(response.content)).ok
    _, _, stranger = await make_client(await make_court("京0105", "北京市朝阳区人民法院"), CourtSystem.DOSSIER)
    assert (await http.get(url, headers=stranger)).status_code == 404
    assert (await http.get(f"{API}/receipts/NOPE.pdf", headers=dossier)).status_code == 404
