"""The publisher interface: submit an announcement, read the paper's signed callbacks, fetch the
published page.

Wire rules shared by every implementation: a callback's body is JSON and its ``X-Signature``
header is the lower-case hex HMAC-SHA256 of the raw body under the shared secret. A callback is
``{"ref", "status": "typeset" | "published" | "returned", "date", "edition", "page", "reason"}``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from announcement.choices import PaperStatus
from core.errors import AppError, Forbidden, ValidationFailed

security_log = logging.getLogger("songda.security")


@dataclass(frozen=True)
class Submission:
    """What goes to the paper: the court, the case and the text to print."""

    court_name: str
    case_number: str
    title: str
    text: str
    callback_url: str


@dataclass(frozen=True)
class PaperEvent:
    """One callback of the paper, its signature verified."""

    ref: str
    status: PaperStatus
    published_on: date | None = None
    edition: str = ""
    page: str = ""
    reason: str = ""


class PublisherUnavailable(AppError):
    """The paper's system did not answer (network, 5xx): try again later."""

    status = 503
    code = "publisher_unavailable"


class PublisherRejected(AppError):
    status = 422
    code = "publisher_rejected"


class CallbackRejected(Forbidden):
    """A callback whose signature does not verify."""

    code = "callback_signature_invalid"


class Publisher(Protocol):
    name: str

    async def submit(self, submission: Submission) -> str:
        """The paper's reference for the submission."""
        ...

    def read_callback(self, body: bytes, signature: str) -> PaperEvent:
        """The event a callback carries, its signature verified (else ``CallbackRejected``)."""
        ...

    async def fetch_page(self, ref: str) -> tuple[bytes, str]:
        """The published page (PDF or image) and its file name."""
        ...


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def parse_callback(body: bytes, signature: str, secret: str, *, publisher: str) -> PaperEvent:
    """Verify and parse a callback; a bad signature is logged (no body: ids only) and refused."""
    if not signature or not hmac.compare_digest(sign(body, secret), signature.strip().lower()):
        security_log.warning("%s announcement callback with a bad signature refused", publisher)
        raise CallbackRejected("回调签名无效")
    try:
        data = json.loads(body.decode("utf-8"))
        status = PaperStatus(str(data.get("status") or ""))
        ref = str(data.get("ref") or "").strip()
        published_on = date.fromisoformat(data["date"]) if status is PaperStatus.PUBLISHED else None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ValidationFailed("回调内容无法识别", code="callback_invalid") from exc
    if not ref or len(ref) > 64:
        raise ValidationFailed("回调缺少公告编号", code="callback_invalid")
    return PaperEvent(ref, status, published_on, str(data.get("edition") or "")[:32], str(data.get("page") or "")[:32],
                      str(data.get("reason") or "")[:500])


def callback_body(ref: str, status: PaperStatus, *, published_on: date | None = None, edition: str = "",
                  page: str = "", reason: str = "") -> bytes:
    """A callback as the paper sends it (for the dev publisher and the fake)."""
    data = {"ref": ref, "status": status.value, "edition": edition, "page": page, "reason": reason}
    if published_on is not None:
        data["date"] = published_on.isoformat()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
