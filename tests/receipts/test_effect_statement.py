"""A sealed receipt's statement of legal effect is final for that receipt.

The receipt row keeps the effective time, rule, reason and channel the sealed PDF states; the case
report (送达报告) and the court API's service view print them for a sealed receipt. A fact learnt
later — the carrier's SMS delivery report, back-dated to its receive time — that gives an earlier
effective time is shown beside the receipt's statement, labelled and citing the receipt, never in
its place. One case per channel pair where such a late fact can arrive.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pypdfium2
import pytest

from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from documents.storage import LocalStorage
from identity.models import SmsTemplate
from identity.sms.sending import send_sms
from receipts.layout import beijing_time
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts
from service.access import advance, record_document_access
from service.choices import Channel, DeliveryState, ReceiptStatus
from service.legal_effect import RULE_CONFIRMED
from service.models import Delivery, Receipt
from service.signing import sign_delivery
from service.sms_reports import sync_sms_reports
from tests.factories import make_client, recipient_body, serve_people, signature_png
from tests.fakes.aliyun_sms import FakeDysmsapi, gateway_for

# The finding's timeline, an hour ago (the service must not have expired).
BASE = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
SMS_SENT = BASE
CARRIER_AT = BASE + timedelta(seconds=50)     # the carrier's receive time: 17:23:50 in the finding
OPENED = BASE + timedelta(seconds=87)         # opened (and so arrived) on the signing channel: 17:24:27
SIGNED = BASE + timedelta(seconds=95)
SEALED = BASE + timedelta(seconds=97)         # 17:24:37
REPORTED = BASE + timedelta(minutes=3)        # the carrier's report is collected after sealing
PHONE = "13812345678"
ACTOR = Actor(ActorKind.RECIPIENT, "r")
META = RequestMeta(ip="198.51.100.9", user_agent="Mozilla/5.0 MicroMessenger")
NOTE = "【回证出具后获知的更早事实】"
SERVICES = "/court/api/v1/services"


@pytest.fixture
def fake():
    with FakeDysmsapi(clock=lambda: SMS_SENT) as fake:
        yield fake


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return _flat("".join(page.get_textpage().get_text_range() for page in document))
    finally:
        document.close()


class Walk:
    """One recipient served on ``channels``; the SMS notice texted through the fake carrier."""

    def __init__(self, db, fake, http, auth, service, recipient):
        self.db, self.fake, self.http, self.auth = db, fake, http, auth
        self.service, self.recipient = service, recipient
        self.message = None

    @classmethod
    async def start(cls, db, fake, http, channels: list[str]) -> Walk:
        client, _, auth = await make_client()
        service, [recipient], _ = await serve_people(
            db, [recipient_body(phone=PHONE, channels=channels)], documents=1, court=client.court)
        walk = cls(db, fake, http, auth, service, recipient)
        sms = await Delivery.get_or_none(recipient=recipient, channel=Channel.SMS)
        if sms is not None:
            walk.message = await send_sms(gateway_for(fake), phone=PHONE, template=SmsTemplate.SERVICE_NOTICE,
                                          params={"court": "法院", "case_number": "案号", "link": "https://x/s/a"},
                                          delivery_id=sms.id, settings=db, now=SMS_SENT)
        return walk

    async def sign_on(self, channel: Channel) -> Receipt:
        delivery = await Delivery.get(recipient=self.recipient, channel=channel)
        for state in (DeliveryState.OPENED, DeliveryState.VERIFIED):
            await advance(delivery.id, state, actor=ACTOR, meta=META, now=OPENED)
        for document in await self.service.service_documents.all():
            await record_document_access(delivery.id, document.document_id, download=False, actor=ACTOR,
                                         meta=META, now=OPENED)
        return await sign_delivery(delivery.id, signature_png(), identity_proof={"method": "sms_code"},
                                   actor=ACTOR, meta=META, now=SIGNED, storage=LocalStorage(self.db.files_dir))

    async def carrier_reports_arrival(self, now=REPORTED) -> None:
        self.fake.deliver(self.message.provider_message_id, CARRIER_AT)
        assert len(await sync_sms_reports(gateway_for(self.fake), settings=self.db, now=now)) == 1

    async def seal(self) -> Receipt:
        assert await seal_pending_receipts(sealer=Sealer.from_settings(self.db), storage=LocalStorage(self.db.files_dir),
                                           settings=self.db, worker_id="test", now=SEALED) == 1
        return await Receipt.get(recipient=self.recipient)

    def receipt_pdf_text(self, receipt: Receipt) -> str:
        return _pdf_text(LocalStorage(self.db.files_dir).get(receipt.pdf_sha256))

    async def report_text(self) -> str:
        case = await self.service.case
        response = await self.http.get("/court/api/v1/cases/report.pdf", headers=self.auth,
                                       params={"case_number": case.case_number})
        assert response.status_code == 200
        return _pdf_text(response.content)

    async def view(self) -> dict:
        response = await self.http.get(f"{SERVICES}/{self.service.id}", headers=self.auth)
        assert response.status_code == 200
        [recipient] = response.json()["recipients"]
        return recipient


def _stated(receipt: Receipt, channel: Channel) -> None:
    """The row keeps what the PDF states: time, rule, reason, channel."""
    assert receipt.status is ReceiptStatus.SEALED
    assert (receipt.effective_at, receipt.effect_channel) == (OPENED, channel)
    assert RULE_CONFIRMED in receipt.effect_rule and receipt.effect_reason


@pytest.mark.parametrize("signed_on", [Channel.WECHAT, Channel.PORTAL])
async def test_a_late_sms_arrival_is_shown_beside_the_sealed_statement_never_in_its_place(db, fake, http, signed_on):
    walk = await Walk.start(db, fake, http, [Channel.SMS.value, signed_on.value])
    receipt = await walk.sign_on(signed_on)
    receipt = await walk.seal()
    _stated(receipt, signed_on)
    sealed_text = walk.receipt_pdf_text(receipt)
    assert _flat(beijing_time(OPENED)) in sealed_text and signed_on.label in sealed_text
    assert _flat(beijing_time(CARRIER_AT)) not in sealed_text
    before = await walk.report_text()
    assert _flat(beijing_time(OPENED)) in before and NOTE not in before

    await walk.carrier_reports_arrival()  # back-dated to before the receipt's effective time
    assert (await Delivery.get(recipient=walk.recipient, channel=Channel.SMS)).arrived_at == CARRIER_AT

    # The receipt's statement is untouched ...
    receipt = await Receipt.get(id=receipt.id)
    _stated(receipt, signed_on)
    report = await walk.report_text()
    # ... the report still prints it for the receipt's number ...
    assert receipt.receipt_no in report
    assert _flat(beijing_time(OPENED)) in report
    # ... and says, labelled and citing the receipt, what was learnt later: time, channel, reason.
    assert report.count(NOTE) == 1
    note = report[report.index(NOTE):]
    assert note.startswith(_flat(f"{NOTE}回证 {receipt.receipt_no} 所载生效时间{beijing_time(OPENED)}不变"))
    assert _flat(f"{Channel.SMS.label}渠道于{beijing_time(CARRIER_AT)}已满足生效条件") in note
    assert "送达信息到达受送达人确认的电子送达地址" in note
    # Only the note carries the earlier time: it never stands as the effective time.
    assert report.count(_flat(beijing_time(CARRIER_AT))) == 1

    # The court API's view: the receipt's statement, and the later fact beside it.
    view = (await walk.view())["receipt"]
    assert view["receipt_no"] == receipt.receipt_no and view["status"] == "sealed"
    assert view["effective_at"] == OPENED.isoformat() and view["effect_channel"] == signed_on.value
    assert view["effect_rule"] == receipt.effect_rule
    later = view["later_fact"]
    assert (later["effective_at"], later["channel"]) == (CARRIER_AT.isoformat(), Channel.SMS.value)
    assert RULE_CONFIRMED in later["rule"] and "送达信息到达受送达人确认的电子送达地址" in later["reason"]


async def test_a_late_report_on_the_signing_sms_delivery_changes_nothing(db, fake, http):
    """Signed through the SMS link itself: the delivery moved on, the report does not move it, so
    nothing earlier is learnt and the report prints the receipt's statement alone."""
    walk = await Walk.start(db, fake, http, [Channel.SMS.value])
    await walk.sign_on(Channel.SMS)
    receipt = await walk.seal()
    _stated(receipt, Channel.SMS)

    await walk.carrier_reports_arrival()
    assert (await Delivery.get(recipient=walk.recipient, channel=Channel.SMS)).arrived_at is None

    assert await Receipt.get(id=receipt.id) == receipt
    _stated(await Receipt.get(id=receipt.id), Channel.SMS)
    report = await walk.report_text()
    assert receipt.receipt_no in report and _flat(beijing_time(OPENED)) in report
    assert NOTE not in report and _flat(beijing_time(CARRIER_AT)) not in report
    view = (await walk.view())["receipt"]
    assert view["effective_at"] == OPENED.isoformat() and view["later_fact"] is None


async def test_an_sms_arrival_known_before_sealing_is_what_the_receipt_states(db, fake, http):
    """Signed on WeChat, the carrier's report collected after signing but before sealing: it is a
    fact known at sealing, so the receipt states it, and the report agrees with no note."""
    walk = await Walk.start(db, fake, http, [Channel.SMS.value, Channel.WECHAT.value])
    await walk.sign_on(Channel.WECHAT)
    await walk.carrier_reports_arrival(now=SIGNED + timedelta(seconds=1))
    receipt = await walk.seal()
    assert (receipt.effective_at, receipt.effect_channel) == (CARRIER_AT, Channel.SMS)
    sealed_text = walk.receipt_pdf_text(receipt)
    assert _flat(beijing_time(CARRIER_AT)) in sealed_text
    report = await walk.report_text()
    assert _flat(beijing_time(CARRIER_AT)) in report and NOTE not in report
    view = (await walk.view())["receipt"]
    assert view["effective_at"] == CARRIER_AT.isoformat() and view["later_fact"] is None


async def test_an_unsealed_receipt_is_reported_from_the_facts(db, fake, http):
    """Before sealing nothing is final: the report and the view give the engine's current answer."""
    walk = await Walk.start(db, fake, http, [Channel.SMS.value, Channel.WECHAT.value])
    await walk.sign_on(Channel.WECHAT)
    await walk.carrier_reports_arrival(now=SIGNED + timedelta(seconds=1))
    report = await walk.report_text()
    assert _flat(beijing_time(CARRIER_AT)) in report and NOTE not in report
    view = (await walk.view())["receipt"]
    assert view["status"] == "pending" and view["effective_at"] is None and view["later_fact"] is None


async def test_a_receipt_sealed_before_migration_0002_is_reported_with_its_time_and_no_invented_basis(db, fake, http):
    """Receipts sealed before migration 0002 kept no rule, reason or channel (the columns came with
    it, empty): the report prints the sealed time and says the receipt recorded no separate basis,
    rather than today's engine's rule as if the receipt had stated it."""
    walk = await Walk.start(db, fake, http, [Channel.WECHAT.value])
    await walk.sign_on(Channel.WECHAT)
    receipt = await walk.seal()
    await Receipt.filter(id=receipt.id).update(effect_rule="", effect_reason="", effect_channel=None)
    report = await walk.report_text()
    assert _flat("（回证未单独记载依据）") in report
    assert _flat(beijing_time(receipt.effective_at)) in report and receipt.receipt_no in report
    assert RULE_CONFIRMED not in report and NOTE not in report
