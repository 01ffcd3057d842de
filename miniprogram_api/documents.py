"""My services and documents in the mini-program (我的送达), scoped to the verified recipients.

Every lookup starts from the session's recipient ids and goes through service/access.py, so
another user's delivery, document or receipt is "not found", never "forbidden". Page images go out through short-lived signed URLs
(the mini-program's <image> cannot send an Authorization header): HMAC over delivery, document
and expiry, with a key derived from the secret for this purpose only.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from core.errors import NotFound
from documents.models import Document
from service.access import (
    DeliveryClosed,
    delivery_for_recipients,
    document_for_delivery,
    documents_of,
    live_delivery,
    receipt_for_recipients,
)
from service.choices import Channel, DeliveryState, ReceiptStatus, ServiceStatus
from service.effects import litigant_line
from service.models import Case, Court, Delivery, Receipt, Recipient, RecipientDocument, Service

PAGE_URL_TTL = timedelta(minutes=5)


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"songda/mp/page-url|" + secret.encode("utf-8")).digest()


def page_signature(secret: str, delivery_id: int, document_id: int, expires: int) -> str:
    message = f"{delivery_id}|{document_id}|{expires}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def signed_page_urls(secret: str, delivery_id: int, document: Document, *, now: datetime) -> tuple[list[str], int]:
    expires = int((now + PAGE_URL_TTL).timestamp())
    sig = page_signature(secret, delivery_id, document.id, expires)
    urls = [f"/mp/api/v1/pages/{delivery_id}/{document.id}/{n}.png?e={expires}&s={sig}"
            for n in range(1, document.page_count + 1)]
    return urls, expires


async def check_page_url(secret: str, delivery_id: int, document_id: int, expires: str, sig: str, *,
                         now: datetime) -> Document:
    """The document behind a signed page URL, or 404 for a forged, expired or revoked one."""
    if not (expires.isascii() and expires.isdigit()) or int(expires) < now.timestamp() or not hmac.compare_digest(
            page_signature(secret, delivery_id, document_id, int(expires)), sig or ""):
        raise NotFound("链接已失效，请返回重新打开文书", code="page_url_invalid")
    return await document_for_delivery(await live_delivery(delivery_id, now=now), document_id)


async def delivery_of(recipient_ids: list[int], delivery_id: int) -> Delivery:
    """The session's recipients' WeChat delivery (service/access.py scopes it)."""
    return await delivery_for_recipients(recipient_ids, delivery_id, channel=Channel.WECHAT)


document_of = document_for_delivery
receipt_of = receipt_for_recipients


async def services(recipients: list[Recipient], *, now: datetime) -> list[dict]:
    """One entry per recipient row: court, case, the WeChat delivery, documents, receipt."""
    out = []
    for recipient in recipients:
        service = await Service.get(id=recipient.service_id)
        case = await Case.get(id=service.case_id)
        court = await Court.get(id=service.court_id)
        delivery = await Delivery.get_or_none(recipient_id=recipient.id, channel=Channel.WECHAT)
        receipt = await Receipt.get_or_none(recipient_id=recipient.id)
        documents = []
        if service.status is not ServiceStatus.REVOKED and delivery is not None:
            rows = {r.document_id: r for r in await RecipientDocument.filter(recipient_id=recipient.id)}
            documents = [{"id": d.id, "title": d.title, "kind": d.kind.value, "kind_label": d.kind.label,
                          "pages": d.page_count, "viewed": bool(rows.get(d.id) and rows[d.id].first_viewed_at)}
                         for d in await documents_of(delivery)]
        closed = None
        if delivery is not None:
            try:
                await live_delivery(delivery.id, now=now)
            except DeliveryClosed as exc:
                closed = exc.message
        out.append({
            "service_id": service.id, "case_id": case.id, "court": court.name, "court_phone": court.phone,
            "case_number": case.case_number, "cause": case.cause, "role": recipient.role.label,
            "status": service.status.value, "status_label": service.status.label,
            "expires_at": service.expires_at.isoformat(),
            "delivery": None if delivery is None else {
                "id": delivery.id, "state": delivery.state.value, "state_label": delivery.state.label,
                "closed": closed},
            # What signing means in law, from the decision the receipt prints (show it by the button).
            "legal_effect": None if delivery is None or closed else await litigant_line(
                delivery, now=now, signing=delivery.state is not DeliveryState.SIGNED, receipt=receipt),
            "documents": documents,
            "receipt": None if receipt is None else {
                "receipt_no": receipt.receipt_no, "ready": receipt.status is ReceiptStatus.SEALED,
                "url": f"/mp/api/v1/receipts/{receipt.receipt_no}.pdf"},
        })
    return out
