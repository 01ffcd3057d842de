"""Small factories that build rows and request bodies; tests say only what matters to them."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from audit.events import Actor, RequestMeta
from centre.courts import register_court
from core.settings import Settings
from court.api_clients import Scope, create_api_client
from documents.kinds import DocumentKind
from documents.models import Document
from documents.storage import LocalStorage
from identity.id_numbers import resident_id_check_char
from service.choices import CourtSystem
from service.intake import upload_document
from service.models import Court
from tests.paths import PDFS

_seq = itertools.count(1)

SAMPLE_PDF = PDFS / "summons.pdf"


async def make_court(code: str = "桂1202", name: str = "示范市城中区人民法院") -> Court:
    return await register_court(code=code, name=name, phone="0772-0000000")


async def make_client(court: Court | None = None, system: CourtSystem = CourtSystem.TRIAL,
                      scopes: list[Scope] | None = None) -> tuple[Any, str, dict[str, str]]:
    court = court or await make_court()
    client, key = await create_api_client(court, f"client-{next(_seq)}", system, scopes)
    return client, key, {"Authorization": f"Bearer {key}"}


async def make_document(court: Court, data_dir: Path, data: bytes | None = None,
                        kind: DocumentKind = DocumentKind.SUMMONS) -> Document:
    return await upload_document(
        court=court, data=data or SAMPLE_PDF.read_bytes(), filename="传票.pdf", kind=kind, title="",
        storage=LocalStorage(data_dir / "files"), max_bytes=50 * 1024 * 1024, max_pages=500,
        client_id=None, actor=Actor.system(), meta=RequestMeta.none(),
    )


def resident_id(n: int | None = None) -> str:
    """A valid 18-digit resident ID number, distinct per call."""
    n = next(_seq) if n is None else n
    first17 = f"450202199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def phone(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return f"138{n % 100_000_000:08d}"


def recipient_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "ref": f"r{next(_seq)}", "name": "王小明", "role": "defendant", "phone": phone(),
        "id_type": "resident_id", "id_number": resident_id(), "address": "广西柳州市城中区示范路1号",
        "consent": "confirmed", "channels": ["sms", "portal", "wechat"],
    }
    body.update(overrides)
    return body


def service_body(document_ids: list[int], recipients: list[dict] | None = None,
                 case_number: str = "(2024)桂1202民初123号", **overrides: Any) -> dict[str, Any]:
    body = {
        "case": {"case_number": case_number, "cause": "民间借贷纠纷", "judge": "张法官", "clerk": "李书记员"},
        "document_ids": document_ids,
        "recipients": recipients or [recipient_body()],
    }
    body.update(overrides)
    return body


async def make_service(court: Court | None = None, settings: Settings | None = None, *, recipients: int = 1,
                       documents: int = 1, consent: str = "confirmed", kind: DocumentKind = DocumentKind.SUMMONS,
                       channels: list[str] | None = None, pdf: bytes | None = None):
    """A service through the real intake use case; returns (service, [recipients], [documents])."""
    from datetime import datetime, timezone

    from service.drafts import ServiceDraft
    from service.intake import create_service
    from service.models import Recipient

    court = court or await make_court()
    assert settings is not None, "make_service needs the test's settings (the db fixture)"
    docs = [await make_document(court, settings.data_dir, pdf, kind=kind) for _ in range(documents)]
    draft = ServiceDraft.model_validate(service_body(
        [d.id for d in docs],
        [recipient_body(consent=consent, **({"channels": channels} if channels else {})) for _ in range(recipients)],
        case_number=f"(2024){court.code}民初{next(_seq)}号"))
    service = await create_service(court=court, draft=draft, source_system=CourtSystem.TRIAL, source_client_id=None,
                                   actor=Actor.system(), meta=RequestMeta.none(),
                                   now=datetime.now(timezone.utc), valid_days=30, settings=settings)
    return service, await Recipient.filter(service=service).order_by("position"), docs


def signature_png(size: tuple[int, int] = (300, 120)) -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (150, 20), (290, 100)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def inkless_signature_pngs() -> dict[str, bytes]:
    """Images that are not a signature (service/signing.py's ink rule): blank, a tap, a short dash,
    white ink."""
    import io

    from PIL import Image, ImageDraw

    def png(size, draw=None) -> bytes:
        image = Image.new("RGBA", size, (255, 255, 255, 0))
        if draw:
            draw(ImageDraw.Draw(image))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    return {
        "blank_1x1": png((1, 1)),
        "blank": png((990, 540)),
        "dot": png((990, 540), lambda d: d.ellipse((500, 270, 509, 279), fill=(0, 0, 0, 255))),
        "short_line": png((990, 540), lambda d: d.line([(400, 270), (560, 270)], fill=(0, 0, 0, 255), width=9)),
        "white_ink": png((990, 540), lambda d: d.line([(50, 270), (940, 270)], fill=(255, 255, 255, 255), width=9)),
    }


async def make_signed_delivery(settings: Settings, *, documents: int = 3, consent: str = "confirmed", court=None):
    """A service whose first recipient went through the SMS link and signed (app.demo's walk).
    Returns (service, recipient, delivery, receipt)."""
    from datetime import datetime, timezone

    from app.demo import walk_and_sign
    from service.models import Delivery

    service, people, _ = await make_service(court, settings, documents=documents, consent=consent)
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    receipt = await walk_and_sign(delivery.id, storage=LocalStorage(settings.data_dir / "files"),
                                  now=datetime.now(timezone.utc))
    return service, people[0], await Delivery.get(id=delivery.id), receipt


async def make_staff(court: Court | None = None, role: str = "clerk", login: str | None = None, *,
                     settings: Settings):
    """A console account; returns (account, password, TOTP secret)."""
    from datetime import datetime, timezone

    from court.console.models import StaffRole
    from court.console.staff import create_staff

    court = court or await make_court()
    password = "correct horse battery"
    account, secret = await create_staff(court, login=login or f"staff{next(_seq)}", display_name="李书记员",
                                         role=StaffRole(role), password=password, settings=settings,
                                         now=datetime.now(timezone.utc))
    return account, password, secret


async def serve_people(settings: Settings, people: list[dict[str, Any]], *, documents: int = 2, court: Court | None = None):
    """A service naming ``people`` (recipient bodies) through the real intake use case; returns
    (service, [Recipient] in order, [Document])."""
    from datetime import datetime, timezone

    from service.drafts import ServiceDraft
    from service.intake import create_service
    from service.models import Recipient

    court = court or await make_court()
    docs = [await make_document(court, settings.data_dir) for _ in range(documents)]
    draft = ServiceDraft.model_validate(service_body(
        [d.id for d in docs], people, case_number=f"(2025){court.code}民初{next(_seq)}号"))
    service = await create_service(court=court, draft=draft, source_system=CourtSystem.TRIAL, source_client_id=None,
                                   actor=Actor.system(), meta=RequestMeta.none(),
                                   now=datetime.now(timezone.utc), valid_days=30, settings=settings)
    return service, list(await Recipient.filter(service=service).order_by("position")), docs
