"""Captures on site: resumable, idempotent uploads of photos, video, signatures and scans.

The client chooses an ``upload_id`` per capture and declares its size and SHA-256 when it
starts. Chunks are appended at the offset the server has; a chunk resent after a dropped
connection is accepted when its bytes equal what is stored (a retry) and refused when they
differ. When the last byte arrives the whole file is checked against the declared digest and by
its content (centre.evidence.identify), stored like every piece of evidence, and recorded in the
task's audited event with its hash, size, type, GPS and times. Starting an upload again with the
same id returns the same capture: a retry never duplicates.

Every capture is personal data (a face, a fingerprint, an ID portrait, a signature, people on a
site photo), so it is stored sealed with the PII keys (``centre.evidence.put_sealed``) and read
only through ``capture_bytes``. ``Capture.sha256`` stays the plain file's hash: the one the
client declared, the audited event records and the receipt prints.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageOps
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from centre.evidence import evidence_bytes, identify, put_sealed, record_sealed_viewing
from centre.models import Evidence
from centre.scope import Scope
from centre.tasks import record_task_event, task_in_scope
from core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from core.settings import Settings
from core.sql import fetch
from documents.storage import Storage, TamperedFile
from inperson.choices import CaptureKind, UploadState
from inperson.models import Capture, CaptureChunk
from service.choices import Channel, EvidenceKind, TaskStatus
from service.models import Attempt

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_CHUNK = 2 * 1024 * 1024
MAX_VIDEO_BYTES = 60 * 1024 * 1024
MAX_IMAGE_BYTES = 15 * 1024 * 1024
# A device clock further than this from the server's is recorded and flagged on the receipt.
CLOCK_TOLERANCE = timedelta(minutes=5)

# What each kind of capture must be.
EXPECTED = {
    CaptureKind.SIGNATURE: (EvidenceKind.IMAGE,), CaptureKind.FINGERPRINT: (EvidenceKind.IMAGE,),
    CaptureKind.LIVE_PHOTO: (EvidenceKind.IMAGE,), CaptureKind.ID_PORTRAIT: (EvidenceKind.IMAGE,),
    CaptureKind.AUTHORISATION: (EvidenceKind.IMAGE, EvidenceKind.PDF),
    CaptureKind.SITE_PHOTO: (EvidenceKind.IMAGE,), CaptureKind.WITNESS_PHOTO: (EvidenceKind.IMAGE,),
    CaptureKind.VIDEO: (EvidenceKind.VIDEO,),
}


@dataclass(frozen=True)
class Position:
    """GPS position and device time reported with a capture; all optional (no fix is allowed)."""

    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    device_time: datetime | None = None

    def check(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationFailed("定位信息不完整", code="gps_incomplete")
        if self.latitude is not None and not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValidationFailed("定位坐标无效", code="gps_invalid")
        if self.device_time is not None and self.device_time.tzinfo is None:
            raise ValidationFailed("设备时间须带时区", code="device_time_naive")


@dataclass(frozen=True)
class UploadStart:
    upload_id: str
    kind: CaptureKind
    filename: str
    size: int
    sha256: str
    position: Position = Position()
    witness_name: str = ""


def _limit(kind: CaptureKind, max_evidence_bytes: int) -> int:
    return min(max_evidence_bytes, MAX_VIDEO_BYTES if kind is CaptureKind.VIDEO else MAX_IMAGE_BYTES)


def _flags(position: Position, now: datetime) -> tuple[list[str], int | None]:
    flags, skew = [], None
    if position.latitude is None:
        flags.append("no_gps")
    if position.device_time is not None:
        skew = round((position.device_time - now).total_seconds())
        if abs(skew) > CLOCK_TOLERANCE.total_seconds():
            flags.append("clock_off")
    return flags, skew


def _check_start(start: UploadStart, max_evidence_bytes: int) -> None:
    if not UPLOAD_ID.match(start.upload_id or ""):
        raise ValidationFailed("上传编号无效（8–64位字母、数字、-、_）", code="upload_id_invalid")
    if not SHA256.match(start.sha256 or ""):
        raise ValidationFailed("文件摘要（SHA-256）无效", code="upload_sha256_invalid")
    if start.size <= 0:
        raise ValidationFailed("文件为空", code="evidence_empty")
    limit = _limit(start.kind, max_evidence_bytes)
    if start.size > limit:
        raise PayloadTooLarge(f"{start.kind.label}不能超过{limit // (1024 * 1024)}MB", code="evidence_too_large")
    if start.kind is CaptureKind.WITNESS_PHOTO and not start.witness_name.strip():
        raise ValidationFailed("见证照片须填写见证人姓名", code="witness_name_required")
    if start.witness_name.strip() and start.kind not in (CaptureKind.WITNESS_PHOTO, CaptureKind.SIGNATURE):
        raise ValidationFailed("只有见证照片和见证人签名可以填写见证人姓名", code="witness_name_unexpected")
    if len(start.witness_name) > 50:
        raise ValidationFailed("见证人姓名不超过50字", code="witness_name_too_long")
    start.position.check()


async def _open_own_task(scope: Scope, attempt_id: int) -> Attempt:
    """Only the task's own process server captures for it, while it is open."""
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以上传现场材料")
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.channel not in (Channel.FIELD, Channel.PICKUP):
        raise ValidationFailed("该任务不是来院领取或外出送达任务", code="not_inperson_task")
    if attempt.status not in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS):
        raise Conflict(f"任务当前状态为{attempt.status.label}，不能上传现场材料", code="task_not_open")
    return attempt


async def start_upload(scope: Scope, attempt_id: int, start: UploadStart, *, max_evidence_bytes: int,
                       now: datetime) -> Capture:
    """Begin (or find again) the capture ``start.upload_id`` of this process server."""
    _check_start(start, max_evidence_bytes)
    attempt = await _open_own_task(scope, attempt_id)
    existing = await Capture.get_or_none(uploaded_by_id=scope.staff_id, upload_id=start.upload_id)
    if existing is not None:
        if (existing.attempt_id, existing.kind, existing.size, existing.sha256) != (
                attempt.id, start.kind, start.size, start.sha256):
            raise Conflict("该上传编号已用于另一个文件，请换一个编号", code="upload_id_reused")
        return existing
    flags, skew = _flags(start.position, now)
    filename = (start.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or f"{start.kind.value}"
    p = start.position
    rows = await fetch(Capture, (
        'INSERT INTO "inperson_capture" ("upload_id", "attempt_id", "uploaded_by_id", "kind", "filename", "size", '
        '"sha256", "received", "state", "latitude", "longitude", "accuracy_m", "device_time", "clock_skew_s", '
        '"flags", "witness_name", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7, 0, \'receiving\', $8, $9, '
        '$10, $11, $12, $13::jsonb, $14, $15) ON CONFLICT ("uploaded_by_id", "upload_id") DO NOTHING RETURNING "id"'),
        start.upload_id, attempt.id, scope.staff_id, start.kind.value, filename, start.size, start.sha256,
        p.latitude, p.longitude, p.accuracy_m, p.device_time, skew, json.dumps(flags), start.witness_name.strip(), now)
    if not rows:  # the same start, twice at once: the other one made it
        return await start_upload(scope, attempt_id, start, max_evidence_bytes=max_evidence_bytes, now=now)
    return await Capture.get(id=rows[0]["id"])


async def capture_of(scope: Scope, upload_id: str) -> Capture:
    """The caller's own capture; another process server's is not found (not told it exists)."""
    if scope.assignee_id is None or not UPLOAD_ID.match(upload_id or ""):
        raise NotFound("上传不存在", code="upload_not_found")
    capture = await Capture.get_or_none(uploaded_by_id=scope.staff_id, upload_id=upload_id)
    if capture is None:
        raise NotFound("上传不存在", code="upload_not_found")
    return capture


async def put_chunk(scope: Scope, upload_id: str, offset: int, data: bytes, *, storage: Storage,
                    settings: Settings, now: datetime, meta: RequestMeta) -> Capture:
    """Append ``data`` at ``offset``; completes the capture with its last byte."""
    if len(data) > MAX_CHUNK:
        raise PayloadTooLarge(f"每段不超过{MAX_CHUNK // (1024 * 1024)}MB", code="chunk_too_large")
    capture = await capture_of(scope, upload_id)
    if capture.state is UploadState.COMPLETE:
        return capture                                  # a retry of the last chunk: nothing to do
    await _open_own_task(scope, capture.attempt_id)
    if offset < 0 or offset + len(data) > capture.size:
        raise ValidationFailed("分段位置超出文件大小", code="chunk_out_of_range")
    async with in_transaction():
        capture = await Capture.filter(id=capture.id).select_for_update().first()
        if capture.state is UploadState.COMPLETE:
            return capture
        if offset > capture.received:
            raise Conflict(f"分段不连续：服务器已收到 {capture.received} 字节", code="chunk_gap",
                           details={"received": capture.received})
        overlap = capture.received - offset
        if overlap > 0:
            stored = await _bytes_from(capture, offset, min(overlap, len(data)))
            if stored != data[:overlap]:
                raise Conflict("续传内容与已上传部分不一致，请重新开始上传", code="chunk_mismatch",
                               details={"received": capture.received})
            data = data[overlap:]
        if data:
            await CaptureChunk.create(capture_id=capture.id, offset=capture.received, data=data)
            capture.received += len(data)
            await Capture.filter(id=capture.id).update(received=capture.received)
        if capture.received == capture.size:
            await _complete(scope, capture, storage=storage, settings=settings, now=now, meta=meta)
    return await Capture.get(id=capture.id)


async def _bytes_from(capture: Capture, offset: int, length: int) -> bytes:
    chunks = await CaptureChunk.filter(capture_id=capture.id).order_by("offset")
    whole = b"".join(bytes(c.data) for c in chunks)
    return whole[offset:offset + length]


async def _complete(scope: Scope, capture: Capture, *, storage: Storage, settings: Settings,
                    now: datetime, meta: RequestMeta) -> None:
    data = await _bytes_from(capture, 0, capture.size)
    if hashlib.sha256(data).hexdigest() != capture.sha256:
        # Nothing half-stored: the chunks go, the client starts again with the right bytes.
        await CaptureChunk.filter(capture_id=capture.id).delete()
        await Capture.filter(id=capture.id).update(received=0)
        raise Conflict("文件摘要与声明不符，已清除已上传部分，请重新上传", code="upload_digest_mismatch",
                       details={"received": 0})
    await store_capture(scope, capture, data, storage=storage, settings=settings, now=now, meta=meta)
    await CaptureChunk.filter(capture_id=capture.id).delete()


async def store_capture(scope: Scope, capture: Capture, data: bytes, *, storage: Storage, settings: Settings,
                        now: datetime, meta: RequestMeta) -> Evidence:
    """Check the bytes, keep the original untouched (sealed) as evidence, record the audited
    event. Call inside a transaction."""
    found = identify(data, capture.filename if "." in capture.filename else f"{capture.filename}.bin",
                     max_bytes=_limit(capture.kind, settings.max_evidence_bytes))
    if found.kind not in EXPECTED[capture.kind]:
        raise ValidationFailed(f"{capture.kind.label}须为" + "、".join(k.label for k in EXPECTED[capture.kind]),
                               code="capture_kind_mismatch")
    attempt = await Attempt.get(id=capture.attempt_id)
    # As with documents, the blob stays if the transaction fails; the orphan sweep removes it.
    key, plain_sha256 = put_sealed(data, storage, settings)
    exif = exif_gps(data) if found.kind is EvidenceKind.IMAGE else None
    evidence = await Evidence.create(
        attempt_id=attempt.id, court_id=attempt.court_id, kind=found.kind, content_type=found.content_type,
        sha256=key, size=len(data), filename=capture.filename, description=capture.kind.label,
        uploaded_by_id=scope.staff_id, created_at=now, encrypted=True, plain_sha256=plain_sha256)
    await Capture.filter(id=capture.id).update(state=UploadState.COMPLETE, evidence_id=evidence.id,
                                               completed_at=now, received=len(data), exif_gps=exif)
    await record_task_event(EventType.TASK_EVIDENCE_ADDED, attempt, scope, meta, {
        "evidence_id": evidence.id, "capture_id": capture.id, "upload_id": capture.upload_id,
        "capture_kind": capture.kind.value, "kind": found.kind.value, "content_type": found.content_type,
        "sha256": plain_sha256, "stored_sha256": key, "sealed": True, "size": len(data),
        "filename": capture.filename,
        "latitude": capture.latitude, "longitude": capture.longitude, "accuracy_m": capture.accuracy_m,
        "device_time": capture.device_time.isoformat() if capture.device_time else None,
        "server_time": now.isoformat(), "clock_skew_s": capture.clock_skew_s, "flags": capture.flags,
        "witness_name": capture.witness_name, "exif_gps": exif})
    return evidence


async def add_capture(scope: Scope, attempt: Attempt, kind: CaptureKind, data: bytes, filename: str, *,
                      storage: Storage, settings: Settings, now: datetime, meta: RequestMeta,
                      upload_id: str, position: Position = Position(), witness_name: str = "") -> Capture:
    """A capture sent whole (the reception desk's form). Call inside a transaction."""
    limit = _limit(kind, settings.max_evidence_bytes)
    if len(data) > limit:
        raise PayloadTooLarge(f"{kind.label}不能超过{limit // (1024 * 1024)}MB", code="evidence_too_large")
    flags, skew = _flags(position, now)
    capture = await Capture.create(
        upload_id=upload_id, attempt_id=attempt.id, uploaded_by_id=scope.staff_id, kind=kind,
        filename=(filename or kind.value)[:255], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        latitude=position.latitude, longitude=position.longitude, accuracy_m=position.accuracy_m,
        device_time=position.device_time, clock_skew_s=skew, flags=flags, witness_name=witness_name, created_at=now)
    await store_capture(scope, capture, data, storage=storage, settings=settings, now=now, meta=meta)
    return await Capture.get(id=capture.id)


async def complete_captures(attempt_id: int) -> list[Capture]:
    return await Capture.filter(attempt_id=attempt_id, state=UploadState.COMPLETE).order_by("id")


def exif_gps(data: bytes) -> dict | None:
    """The EXIF GPS block of a photo, kept in the record; copies shown or served are re-encoded
    without it (``thumbnail``)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            gps = image.getexif().get_ifd(0x8825)
    except Exception:  # a photo whose EXIF is broken still is a photo
        return None
    if not gps:
        return None
    return {str(k): (str(v) if not isinstance(v, (int, float, str)) else v) for k, v in gps.items()}


def thumbnail(data: bytes, side: int = 480) -> bytes:
    """A resized JPEG copy, without any metadata: what staff pages and receipts show."""
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def capture_in_scope(scope: Scope, capture_id: int) -> Capture:
    """A completed capture of a task the scope covers."""
    if not 0 < capture_id < 2**31:
        raise NotFound("材料不存在")
    capture = await Capture.filter(id=capture_id, state=UploadState.COMPLETE,
                                   **scope.attempt_filter("attempt__")).first()
    if capture is None:
        raise NotFound("材料不存在")
    return capture


async def capture_bytes(capture: Capture, storage: Storage, settings: Settings) -> bytes:
    """The capture as uploaded, for every reader (previews, receipts, downloads)."""
    return (await _capture_file(capture, storage, settings))[1]


async def _capture_file(capture: Capture, storage: Storage, settings: Settings) -> tuple[Evidence, bytes]:
    """Through ``evidence_bytes``, which opens a sealed file and also reads one stored in the clear
    before captures were sealed; checked against the hash the audited event recorded."""
    evidence = await Evidence.get(id=capture.evidence_id)
    data = await asyncio.to_thread(evidence_bytes, evidence, storage, settings)
    if hashlib.sha256(data).hexdigest() != capture.sha256:
        raise TamperedFile("存档文件校验失败，已停止提供并告警，请联系法院")
    return evidence, data


async def capture_preview(scope: Scope, capture_id: int, *, storage: Storage, settings: Settings, now: datetime,
                          meta: RequestMeta) -> bytes:
    """A staff page's resized copy of a photo, signature or fingerprint, for someone who may see
    the task; seeing a sealed one is audited like any other reveal of personal data."""
    capture = await capture_in_scope(scope, capture_id)
    if capture.kind is CaptureKind.VIDEO or capture.filename.lower().endswith(".pdf"):
        raise NotFound("该材料没有预览图", code="no_preview")
    evidence, data = await _capture_file(capture, storage, settings)
    if evidence.encrypted:
        await record_sealed_viewing(scope, evidence, now=now, meta=meta, preview=True)
    return await asyncio.to_thread(thumbnail, data)
