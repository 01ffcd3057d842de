"""Opening, reading and signing a delivery: the one-transaction signing rule and its refusals."""
from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from audit.models import Event
from core.errors import AppError
from documents.storage import LocalStorage
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from service.access import advance, record_document_access
from service.choices import DeliveryState, ServiceStatus
from service.models import Delivery, Receipt, RecipientDocument, Service, Signature
from service.signing import MIN_INK_SPAN, TOO_LITTLE_INK, check_signature_png, sign_delivery
from tests.factories import inkless_signature_pngs, make_service, signature_png

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
ACTOR = Actor(ActorKind.RECIPIENT, "r")
META = RequestMeta(ip="198.51.100.9", user_agent="Mozilla/5.0 MicroMessenger")


async def _ready(db, documents: int = 2, recipients: int = 1):
    service, people, docs = await make_service(settings=db, documents=documents, recipients=recipients)
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    for state in (DeliveryState.OPENED, DeliveryState.VERIFIED):
        await advance(delivery.id, state, actor=ACTOR, meta=META, now=NOW)
    return service, people, docs, delivery


async def _sign(db, delivery_id, png=None):
    return await sign_delivery(delivery_id, png or signature_png(), identity_proof={"method": "sms_code"},
                               actor=ACTOR, meta=META, now=NOW, storage=LocalStorage(db.files_dir))


async def test_sign_commits_everything_together(db):
    service, people, docs, delivery = await _ready(db)
    for doc in docs:
        await record_document_access(delivery.id, doc.id, download=False, actor=ACTOR, meta=META, now=NOW)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED
    receipt = await _sign(db, delivery.id)
    assert receipt.receipt_no.startswith("SD20261128") and len(receipt.receipt_no) == 20
    delivery = await Delivery.get(id=delivery.id)
    assert delivery.state is DeliveryState.SIGNED and delivery.signed_at == NOW
    assert await RecipientDocument.filter(recipient=people[0], signed_at=NOW).count() == 2
    signature = await Signature.get(delivery=delivery)
    assert signature.ip == "198.51.100.9" and LocalStorage(db.files_dir).exists(signature.image_sha256)
    job = await OutboxJob.get(dedupe_key=f"seal:{receipt.receipt_no}")
    assert job.kind is JobKind.SEAL_RECEIPT and job.payload == {"receipt_id": receipt.id}
    assert (await Service.get(id=service.id)).status is ServiceStatus.COMPLETED
    types = [e.type.value for e in await Event.filter(delivery_id=delivery.id).order_by("id")]
    assert types == ["delivery.opened", "delivery.verified", "document.viewed", "document.viewed",
                     "delivery.viewed", "delivery.signed"]


async def test_signing_before_reading_every_document_is_refused(db):
    _, _, docs, delivery = await _ready(db)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    with pytest.raises(AppError) as error:
        await _sign(db, delivery.id)
    assert error.value.code == "documents_unread"
    assert await Signature.all().count() == 0 and await Receipt.all().count() == 0
    assert list((db.files_dir).rglob("*")) == [] or not any(p.is_file() for p in db.files_dir.rglob("*") if
                                                            p.stat().st_size < 10_000)


async def test_signing_twice_is_refused_politely_on_any_channel(db):
    _, people, docs, delivery = await _ready(db, documents=1)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    await _sign(db, delivery.id)
    with pytest.raises(AppError) as error:
        await _sign(db, delivery.id)
    assert error.value.code == "already_signed" and "无需重复签收" in error.value.message
    other = await Delivery.get(recipient=people[0], channel="portal")
    await advance(other.id, DeliveryState.VERIFIED, actor=ACTOR, meta=META, now=NOW)
    with pytest.raises(AppError) as error:
        await _sign(db, other.id)
    assert error.value.code == "already_signed"
    assert await Receipt.all().count() == 1


@pytest.mark.parametrize(("png", "code"), [
    (b"GIF89a not a png", "signature_invalid"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "signature_invalid"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 1), "signature_too_large"),
])
async def test_bad_signature_images(db, png, code):
    _, _, docs, delivery = await _ready(db, documents=1)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    with pytest.raises(AppError) as error:
        await _sign(db, delivery.id, png)
    assert error.value.code == code
    assert await Signature.all().count() == 0


async def test_unverified_and_revoked_and_expired_deliveries(db):
    service, people, docs, _ = await _ready(db, documents=1)
    fresh = await Delivery.get(recipient=people[0], channel="wechat")
    with pytest.raises(AppError) as error:
        await record_document_access(fresh.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    assert error.value.code == "not_verified"
    later = (await Service.get(id=service.id)).expires_at + timedelta(seconds=1)
    with pytest.raises(AppError) as error:
        await advance(fresh.id, DeliveryState.OPENED, actor=ACTOR, meta=META, now=later)
    assert error.value.status == 410 and error.value.code == "delivery_expired"
    from service.revocation import revoke_service
    await revoke_service(service.id, reason="撤诉", actor=Actor.system(), meta=META, now=NOW)
    with pytest.raises(AppError) as error:
        await advance(fresh.id, DeliveryState.OPENED, actor=ACTOR, meta=META, now=NOW)
    assert error.value.code == "delivery_revoked"


async def test_a_document_of_another_recipient_is_not_found(db):
    _, _, _, delivery = await _ready(db, documents=1)
    _, _, foreign_docs = await make_service(court=await (await Service.first()).court, settings=db)
    with pytest.raises(AppError) as error:
        await record_document_access(delivery.id, foreign_docs[0].id, download=True, actor=ACTOR, meta=META, now=NOW)
    assert error.value.status == 404


async def test_repeated_steps_are_quiet(db):
    _, _, _, delivery = await _ready(db, documents=1)
    before = await Event.all().count()
    await advance(delivery.id, DeliveryState.OPENED, actor=ACTOR, meta=META, now=NOW)
    assert await Event.all().count() == before


@pytest.mark.parametrize("name", sorted(inkless_signature_pngs()))
def test_too_little_ink_is_not_a_signature(name):
    with pytest.raises(AppError) as error:
        check_signature_png(inkless_signature_pngs()[name])
    assert error.value.code == "signature_too_little_ink" and error.value.message == TOO_LITTLE_INK


def test_a_stroke_just_over_the_threshold_is_a_signature():
    from PIL import ImageDraw

    def line(length: int) -> bytes:
        image = Image.new("RGBA", (990, 540), (255, 255, 255, 0))
        ImageDraw.Draw(image).line([(100, 270), (100 + length, 270)], fill=(17, 17, 17, 255), width=9)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    needed = int(540 * MIN_INK_SPAN)
    check_signature_png(line(needed + 2))
    with pytest.raises(AppError):
        check_signature_png(line(needed - 20))
    check_signature_png(signature_png())


async def test_an_inkless_signature_stores_nothing(db):
    _, _, docs, delivery = await _ready(db, documents=1)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    with pytest.raises(AppError) as error:
        await _sign(db, delivery.id, inkless_signature_pngs()["blank_1x1"])
    assert error.value.code == "signature_too_little_ink"
    assert await Signature.all().count() == 0 and await Receipt.all().count() == 0


def test_signature_fixture_is_a_png():
    assert Image.open(io.BytesIO(signature_png())).format == "PNG"


async def test_signing_and_revoking_at_once_never_deadlock(db):
    """Both take the delivery rows before the service row; in the opposite order PostgreSQL
    would abort one of them as a deadlock (a 500 for the litigant or the court's system)."""
    from service.revocation import revoke_service

    pairs = []
    for _ in range(6):
        service, _, docs, delivery = await _ready(db, documents=1)
        await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
        pairs.append((service, delivery))
    outcomes = await asyncio.gather(*(
        call for service, delivery in pairs
        for call in (_sign(db, delivery.id),
                     revoke_service(service.id, reason="当事人已和解", actor=ACTOR, meta=META, now=NOW))),
        return_exceptions=True)
    for (_service, delivery), (signed, revoked) in zip(pairs, zip(outcomes[::2], outcomes[1::2])):
        # Exactly one of the two took effect; the other was refused politely.
        assert isinstance(signed, Receipt) != isinstance(revoked, Service), (signed, revoked)
        for refused in (signed, revoked):
            if isinstance(refused, Exception):
                assert isinstance(refused, AppError), repr(refused)
        state = (await Delivery.get(id=delivery.id)).state
        assert state is (DeliveryState.SIGNED if isinstance(signed, Receipt) else DeliveryState.REVOKED)


async def test_the_signature_rows_are_whole(db):
    # PostgreSQL writes a signature in one composed statement, SQLite through the ORM: both must
    # store every column as the model says (defaults, times, JSON).
    service, people, docs, delivery = await _ready(db, documents=1)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    before = datetime.now(timezone.utc)
    receipt = await _sign(db, delivery.id)
    stored = await Receipt.get(delivery_id=delivery.id)
    assert (receipt.id, receipt.receipt_no, receipt.created_at) == (stored.id, stored.receipt_no, stored.created_at)
    assert (stored.court_id, stored.service_id, stored.recipient_id) == (service.court_id, service.id, people[0].id)
    assert stored.status.value == "pending" and stored.pdf_sha256 is None and stored.sealed_at is None
    assert stored.created_at >= before
    signature = await Signature.get(delivery_id=delivery.id)
    assert (signature.user_agent, signature.identity_proof, signature.signed_at) == (
        META.user_agent, {"method": "sms_code"}, NOW)
    event = await Event.get(delivery_id=delivery.id, type="delivery.signed")
    assert (event.court_id, event.service_id, event.recipient_id, event.actor_id, event.ip) == (
        service.court_id, service.id, people[0].id, ACTOR.id, META.ip)
    assert event.data == {"receipt_no": receipt.receipt_no} and event.created_at >= before
    job = await OutboxJob.get(dedupe_key=f"seal:{receipt.receipt_no}")
    assert (job.event_id, job.attempts, job.available_at, job.done_at, job.locked_until, job.last_error) == (
        event.id, 0, NOW, None, None, "")


async def test_a_service_completes_when_its_last_recipient_signs_even_at_once(db):
    service, people, docs = await make_service(settings=db, documents=1, recipients=3)
    deliveries = [await Delivery.get(recipient=person, channel="sms") for person in people]
    for delivery in deliveries:
        await advance(delivery.id, DeliveryState.VERIFIED, actor=ACTOR, meta=META, now=NOW)
        await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    await _sign(db, deliveries[0].id)
    assert (await Service.get(id=service.id)).status is ServiceStatus.IN_PROGRESS
    # The last two at the same moment: the service lock orders them, so the later one sees the
    # other's signature and completes the service.
    await asyncio.gather(*(_sign(db, delivery.id) for delivery in deliveries[1:]))
    assert (await Service.get(id=service.id)).status is ServiceStatus.COMPLETED
    assert await Receipt.filter(service_id=service.id).count() == 3


async def test_one_recipient_signing_on_two_channels_at_once_gets_one_receipt(db, monkeypatch):
    from service import signing

    _, people, docs, sms = await _ready(db, documents=1)
    wechat = await Delivery.get(recipient=people[0], channel="wechat")
    await advance(wechat.id, DeliveryState.VERIFIED, actor=ACTOR, meta=META, now=NOW)
    for delivery in (sms, wechat):
        await record_document_access(delivery.id, docs[0].id, download=False, actor=ACTOR, meta=META, now=NOW)
    # Both pass their "signed elsewhere" check before either takes the service lock (PostgreSQL;
    # SQLite runs one write transaction at a time, so there the second simply sees the first).
    arrived, both = [], asyncio.Event()
    real_fetch = signing.fetch

    async def fetch(model, sql, *args):
        if sql == signing._lock_service_sql():
            arrived.append(sql)
            if len(arrived) == 2:
                both.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(both.wait(), 1)
        return await real_fetch(model, sql, *args)

    monkeypatch.setattr(signing, "fetch", fetch)
    results = await asyncio.gather(_sign(db, sms.id), _sign(db, wechat.id), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], AppError) and refused[0].code == "already_signed"
    assert await Receipt.filter(recipient_id=people[0].id).count() == 1
    assert await Signature.filter(delivery_id__in=[sms.id, wechat.id]).count() == 1
