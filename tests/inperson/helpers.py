"""Building blocks for in-person tests: pickup and field tasks given to a process server."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from types import SimpleNamespace

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from documents.kinds import DocumentKind
from documents.storage import LocalStorage
from inperson.captures import Position, UploadStart, put_chunk, start_upload
from inperson.choices import CaptureKind, Collector
from inperson.desk import DeskVisit, serve_at_desk
from service.models import Attempt
from tests.centre.helpers import centre_people
from tests.centre.media import jpeg
from tests.factories import make_court, make_service, recipient_body, resident_id, serve_people, signature_png

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def inperson_tasks(settings, *, channel: str, kind: DocumentKind = DocumentKind.SUMMONS, assign: bool = True):
    """One recipient with a ``channel`` task; returns a namespace of the people and the task."""
    court = await make_court()
    dispatcher, server, other, clerk = await centre_people(settings, court)
    id_number = resident_id()
    if kind is DocumentKind.SUMMONS:
        service, people, _ = await serve_people(settings, [recipient_body(id_number=id_number, channels=[channel])],
                                                documents=1, court=court)
    else:
        service, people, _ = await make_service(court, settings, kind=kind, channels=[channel])
    task = await Attempt.get(service_id=service.id, channel=channel)
    if assign:
        await assign_tasks(dispatcher, [task.id], server.staff_id, now=NOW, meta=META)
    return SimpleNamespace(court=court, dispatcher=dispatcher, server=server, other=other, clerk=clerk,
                           service=service, recipient=people[0], id_number=id_number, task=task,
                           storage=LocalStorage(settings.files_dir))


async def upload(ns, settings, kind: CaptureKind, data: bytes, filename: str, *, upload_id: str | None = None,
                 position: Position = Position(30.1, 110.2, 8.0, NOW), witness_name: str = ""):
    start = UploadStart(upload_id or f"u-{kind.value}-{hashlib.sha256(data).hexdigest()[:12]}", kind, filename,
                        len(data), hashlib.sha256(data).hexdigest(), position, witness_name)
    await start_upload(ns.server, ns.task.id, start, max_evidence_bytes=settings.max_evidence_bytes, now=NOW)
    return await put_chunk(ns.server, start.upload_id, 0, data, storage=ns.storage,
                           settings=settings, now=NOW, meta=META)


def save_pages(document, name: str) -> None:
    """The receipt's pages as PNG in artifacts/inperson/, for a person to look at."""
    from tests.servers import ARTIFACTS

    (ARTIFACTS / "inperson").mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(document, 1):
        page.render(scale=1.5).to_pil().save(ARTIFACTS / "inperson" / f"{name}-{n}.png")


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A photo whose EXIF carries a GPS position, as phone cameras write it."""
    import io

    from PIL import Image

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (24.0, 19.0, 35.0), "E", (109.0, 25.0, 41.0)
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    import struct

    return struct.pack(">I", 8 + len(payload)) + kind + payload


def tiny_mp4(seconds: int = 3, padding: int = 600_000) -> bytes:
    """A minimal MP4 with one video track header (no frames): what mutagen and the evidence check
    read (the movie's duration, a "vide" handler), padded to travel in several chunks."""
    import struct

    duration = struct.pack(">IIII", 0, 0, 1000, seconds * 1000)
    mvhd = _box(b"mvhd", b"\x00" * 4 + duration + b"\x00\x01\x00\x00\x01\x00" + b"\x00" * 70 + struct.pack(">I", 2))
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"vide" + b"\x00" * 12 + b"VideoHandler\x00")
    mdhd = _box(b"mdhd", b"\x00" * 4 + duration + b"\x55\xc4\x00\x00")
    return (_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"moov", mvhd + _box(b"trak", _box(b"mdia", mdhd + hdlr)))
            + _box(b"mdat", b"\x00" * padding))


async def desk_pickup(settings):
    """A pickup served at the desk (photo, fingerprint, signature); also returns those bytes."""
    ns = await inperson_tasks(settings, channel="pickup", assign=False)
    photo, fingerprint, signature = jpeg((320, 240)), jpeg((120, 160)), signature_png()
    visit = DeskVisit(collector=Collector.RECIPIENT, name=ns.recipient.name, id_number=ns.id_number,
                      live_photo=photo, fingerprint=fingerprint, signature_png=signature,
                      handed_on_paper=True, pushed_to_phone=False)
    closed, receipt = await serve_at_desk(ns.dispatcher, ns.task.id, visit, settings=settings, storage=ns.storage,
                                          face=None, now=NOW, meta=META)
    return ns, closed, receipt, [photo, fingerprint, signature]
