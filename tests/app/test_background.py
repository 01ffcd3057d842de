"""One pass of the background loop does every job: notice, chain, seal, daily checkpoint."""
from __future__ import annotations

from audit.models import Event
from service.models import Delivery, Receipt
from service.choices import DeliveryState, ReceiptStatus
from app.background import run_once
from tests.factories import make_service, make_signed_delivery


async def test_one_pass_does_everything(app, db):
    _, people, _ = await make_service(settings=db, channels=["sms"])
    _, _, _, receipt = await make_signed_delivery(db, documents=1)
    await run_once(app, 0, "test")
    delivery = await Delivery.get(recipient=people[0])
    # Notified, and — the dev gateway reports arrival at once — arrived in the same pass.
    assert delivery.notified_at and delivery.state is DeliveryState.ARRIVED
    assert (db.data_dir / "dev-sms.jsonl").exists()
    assert (await Receipt.get(id=receipt.id)).status is ReceiptStatus.SEALED
    assert await Event.filter(chain_seq__isnull=True).count() <= 2  # events of this very pass
    assert list((db.data_dir / "audit-checkpoints").glob("*.json"))
