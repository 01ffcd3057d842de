"""A publisher for development: accepts every submission and serves a generated page; the
callbacks it would send are built with ``callback`` (signed like the paper's)."""
from __future__ import annotations

import io
import itertools
import logging
from datetime import date

from announcement.choices import PaperStatus
from announcement.publishers.publisher import PaperEvent, Submission, callback_body, parse_callback, sign

log = logging.getLogger(__name__)
DEV_SECRET = "dev-court-paper-secret"
_numbers = itertools.count(1)


class DevPublisher:
    name = "dev"

    def __init__(self, secret: str = DEV_SECRET) -> None:
        log.warning("dev announcement publisher in use: nothing is sent to 人民法院报")
        self._secret = secret
        self.submitted: dict[str, Submission] = {}

    async def submit(self, submission: Submission) -> str:
        ref = f"DEV{next(_numbers):08d}"
        self.submitted[ref] = submission
        return ref

    def read_callback(self, body: bytes, signature: str) -> PaperEvent:
        return parse_callback(body, signature, self._secret, publisher=self.name)

    async def fetch_page(self, ref: str) -> tuple[bytes, str]:
        return page_pdf(ref), f"{ref}.pdf"

    def callback(self, ref: str, status: PaperStatus, *, published_on: date | None = None, edition: str = "",
                 page: str = "", reason: str = "") -> tuple[bytes, str]:
        body = callback_body(ref, status, published_on=published_on, edition=edition, page=page, reason=reason)
        return body, sign(body, self._secret)


def page_pdf(ref: str) -> bytes:
    """A one-page PDF standing in for the newspaper page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, f"Court paper page for {ref}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
