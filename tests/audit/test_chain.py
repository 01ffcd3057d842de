"""The audit chain: tampering with chained events is found, and a signed checkpoint catches a
truncated tail."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.chain import chain_pending, latest_checkpoint, verify_chain, write_checkpoint
from audit.models import Event
from tests.factories import make_service

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


class KeySigner:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()

    def sign_bytes(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def verify_bytes(self, data: bytes, signature: bytes) -> bool:
        try:
            self.key.public_key().verify(signature, data)
            return True
        except InvalidSignature:
            return False


async def _events(db, services: int = 3) -> list[Event]:
    for _ in range(services):
        await make_service(settings=db)
    assert await chain_pending() > 0
    return await Event.all().order_by("chain_seq")


async def test_an_untouched_chain_verifies_and_new_events_extend_it(db):
    events = await _events(db)
    report = await verify_chain()
    assert report.ok and report.checked == len(events) and report.unchained == 0
    await make_service(settings=db)
    assert (await verify_chain()).unchained > 0
    await chain_pending()
    assert (await verify_chain()).ok


async def test_an_edited_row_is_named(db):
    events = await _events(db)
    victim = events[len(events) // 2]
    await Event.filter(id=victim.id).update(data={"forged": True})
    report = await verify_chain()
    assert not report.ok and report.first_bad_event_id == victim.id and "修改" in report.reason


async def test_a_deleted_row_is_found(db):
    events = await _events(db)
    await Event.filter(id=events[1].id).delete()
    report = await verify_chain()
    assert not report.ok and report.first_bad_event_id == events[2].id


async def test_reordering_is_found(db):
    events = await _events(db)
    a, b = events[1], events[2]
    await Event.filter(id=a.id).update(chain_seq=-1)
    await Event.filter(id=b.id).update(chain_seq=a.chain_seq)
    await Event.filter(id=a.id).update(chain_seq=b.chain_seq)
    report = await verify_chain()
    assert not report.ok and report.first_bad_event_id == b.id


async def test_truncating_the_tail_is_caught_by_the_signed_checkpoint(db, tmp_path):
    events = await _events(db)
    signer = KeySigner()
    await write_checkpoint(tmp_path / "checkpoints", signer, now=NOW)
    checkpoint = latest_checkpoint(tmp_path / "checkpoints", signer)
    assert checkpoint["seq"] == len(events)
    assert (await verify_chain(checkpoint)).ok
    await Event.filter(id__in=[e.id for e in events[-2:]]).delete()
    assert (await verify_chain()).ok  # without the checkpoint a clean truncation looks fine…
    report = await verify_chain(checkpoint)
    assert not report.ok and "尾部" in report.reason  # …with it, it does not


async def test_a_forged_checkpoint_is_refused(db, tmp_path):
    await _events(db, services=1)
    await write_checkpoint(tmp_path, KeySigner(), now=NOW)
    with pytest.raises(ValueError):
        latest_checkpoint(tmp_path, KeySigner())


async def test_concurrent_chainers_do_not_fork_the_chain(db):
    for _ in range(3):
        await make_service(settings=db)
    await asyncio.gather(*(chain_pending(batch=2) for _ in range(4)))
    while await chain_pending():
        pass
    assert (await verify_chain()).ok


async def test_a_checkpoint_over_an_empty_chain_then_events_verifies(db, tmp_path):
    """A fresh install: the server signs the day's checkpoint before any event exists."""
    signer = KeySigner()
    await write_checkpoint(tmp_path, signer, now=NOW)
    checkpoint = latest_checkpoint(tmp_path, signer)
    assert checkpoint["seq"] == 0
    assert (await verify_chain(checkpoint)).ok  # still empty
    events = await _events(db)
    report = await verify_chain(checkpoint)
    assert report.ok and report.checked == len(events)


async def test_a_checkpoint_over_a_shorter_chain_verifies_and_a_rewrite_still_fails(db, tmp_path):
    signer = KeySigner()
    first = await _events(db, services=1)
    await write_checkpoint(tmp_path, signer, now=NOW)
    checkpoint = latest_checkpoint(tmp_path, signer)
    assert checkpoint["seq"] == len(first)
    events = await _events(db, services=2)
    assert len(events) > len(first) and (await verify_chain(checkpoint)).ok
    # Rewrite the whole chain consistently from the first row: only the checkpoint can tell.
    await Event.filter(id=first[0].id).update(data={"forged": True})
    await Event.all().update(chain_seq=None, prev_hash=None, hash=None)
    while await chain_pending():
        pass
    assert (await verify_chain()).ok
    report = await verify_chain(checkpoint)
    assert not report.ok and "重写" in report.reason


async def test_an_empty_chain_checkpoint_with_a_forged_head_fails(db):
    await _events(db, services=1)
    report = await verify_chain({"seq": 0, "hash": "1" * 64})
    assert not report.ok and "重写" in report.reason
