"""The tamper-evident audit chain over the event table.

Events are written by many transactions at once; a chainer links them afterwards, in its own
order, each row's hash covering the previous hash and the row's canonical JSON. The unique
``chain_seq`` makes two chainers racing harmless (one of them fails and retries). An edit, a
delete or a reordering of chained rows breaks the chain at the first bad row; a signed
checkpoint of the head, exported daily, catches a truncated tail.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from audit.models import Event

GENESIS = "0" * 64


def canonical(event: Event) -> bytes:
    created = event.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "id": event.id, "court_id": event.court_id, "service_id": event.service_id,
        "recipient_id": event.recipient_id, "delivery_id": event.delivery_id,
        "type": event.type.value, "actor_kind": event.actor_kind.value, "actor_id": event.actor_id,
        "data": event.data, "ip": event.ip, "user_agent": event.user_agent, "created_at": created,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(prev_hash: str, event: Event) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()


async def chain_pending(batch: int = 500) -> int:
    """Link up to ``batch`` unchained events; returns how many. Safe to run anywhere, any time."""
    try:
        async with in_transaction():
            head = await Event.filter(chain_seq__isnull=False).order_by("-chain_seq").first()
            seq, prev = (head.chain_seq, head.hash) if head else (0, GENESIS)
            pending = await Event.filter(chain_seq__isnull=True).order_by("id").limit(batch)
            for event in pending:
                seq += 1
                digest = link(prev, event)
                await Event.filter(id=event.id, chain_seq__isnull=True).update(
                    chain_seq=seq, prev_hash=prev, hash=digest)
                prev = digest
            return len(pending)
    except (IntegrityError, TransactionManagementError):
        return 0  # another chainer got there first; the next run continues from its head


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    unchained: int
    first_bad_event_id: int | None = None
    reason: str = ""


async def verify_chain(checkpoint: dict | None = None, page: int = 2000) -> ChainReport:
    expected_seq, prev = 1, GENESIS
    checked = 0
    last_id = None
    while True:
        rows = await Event.filter(chain_seq__gte=expected_seq).order_by("chain_seq").limit(page)
        for event in rows:
            if event.chain_seq != expected_seq:
                return ChainReport(False, checked, 0, event.id,
                                   f"链序号不连续：缺少第 {expected_seq} 条（记录被删除或重排）")
            if event.prev_hash != prev:
                return ChainReport(False, checked, 0, event.id, "前序哈希不符（记录被删除、插入或重排）")
            if link(prev, event) != event.hash:
                return ChainReport(False, checked, 0, event.id, "记录内容与哈希不符（记录被修改）")
            prev, expected_seq, checked, last_id = event.hash, expected_seq + 1, checked + 1, event.id
        if len(rows) < page:
            break
    unchained = await Event.filter(chain_seq__isnull=True).count()
    if checkpoint is not None:
        if checked < checkpoint["seq"]:
            return ChainReport(False, checked, unchained, last_id,
                               f"链长 {checked} 短于已签名检查点的 {checkpoint['seq']}（尾部记录被删除）")
        if checkpoint["seq"] == 0:
            # Signed over an empty chain (a fresh install): nothing was chained yet, so there is
            # no row to compare; the only honest head of an empty chain is the genesis hash.
            if checkpoint["hash"] != GENESIS:
                return ChainReport(False, checked, unchained, None, "与已签名检查点不一致（链被重写）")
            return ChainReport(True, checked, unchained)
        # The checkpoint names the head at the time it was signed: the row at that position must
        # still carry that hash, however many rows were chained after it.
        at_checkpoint = await Event.get_or_none(chain_seq=checkpoint["seq"])
        if at_checkpoint is None or at_checkpoint.hash != checkpoint["hash"]:
            return ChainReport(False, checked, unchained, at_checkpoint.id if at_checkpoint else None,
                               "与已签名检查点不一致（链被重写）")
    return ChainReport(True, checked, unchained)


class Signer(Protocol):
    def sign_bytes(self, data: bytes) -> bytes: ...

    def verify_bytes(self, data: bytes, signature: bytes) -> bool: ...


def _checkpoint_message(seq: int, digest: str, at: str) -> bytes:
    return f"songda-audit-checkpoint\n{seq}\n{digest}\n{at}".encode()


async def write_checkpoint(directory: Path, signer: Signer, *, now: datetime) -> dict:
    """Sign the chain head and write it to ``directory/YYYY-MM-DD.json`` (one per day; a later run
    the same day replaces it). Ship these files somewhere the database operators cannot edit."""
    await chain_pending(batch=100_000)
    head = await Event.filter(chain_seq__isnull=False).order_by("-chain_seq").first()
    seq, digest = (head.chain_seq, head.hash) if head else (0, GENESIS)
    at = now.astimezone(timezone.utc).isoformat()
    checkpoint = {"seq": seq, "hash": digest, "at": at,
                  "signature": base64.b64encode(signer.sign_bytes(_checkpoint_message(seq, digest, at))).decode()}
    directory.mkdir(parents=True, exist_ok=True)
    target = checkpoint_path(directory, now)
    # A unique temp name: several processes may write today's checkpoint at once.
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".checkpoint-", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(checkpoint, indent=2))
    os.replace(temp, target)
    return checkpoint


def checkpoint_path(directory: Path, now: datetime) -> Path:
    return directory / f"{now.astimezone(timezone.utc):%Y-%m-%d}.json"


def latest_checkpoint(directory: Path, signer: Signer) -> dict | None:
    """The newest checkpoint whose signature verifies; a forged file is refused loudly."""
    files = sorted(directory.glob("*.json")) if directory.exists() else []
    if not files:
        return None
    checkpoint = json.loads(files[-1].read_text())
    message = _checkpoint_message(checkpoint["seq"], checkpoint["hash"], checkpoint["at"])
    if not signer.verify_bytes(message, base64.b64decode(checkpoint["signature"])):
        raise ValueError(f"检查点 {files[-1].name} 的签名无效")
    return checkpoint
