"""Server-side sessions: hashed ids, idle and absolute expiry, rotation, revocation.

The cookie that carries the id is tested in tests/web/test_cookies.py."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from identity.models import Session, SessionKind
from identity.sessions import (
    SessionInvalid,
    create_session,
    load_session,
    revoke_session,
    rotate_session,
)

CHINA = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
DATA = {"delivery_id": 17, "recipient": "王小明"}


async def start(kind: SessionKind = SessionKind.PORTAL) -> str:
    sid, _ = await create_session(kind, DATA, now=T0, idle=IDLE, absolute=ABSOLUTE)
    return sid


async def test_only_the_hash_of_a_long_random_id_is_stored(db):
    sid, session = await create_session(SessionKind.LINK, DATA, now=T0, idle=IDLE, absolute=ABSOLUTE)
    assert len(sid) >= 43  # 32 random bytes, base64url
    assert session.sid_hash == hashlib.sha256(sid.encode()).hexdigest()
    row = await Session.get(id=session.id)
    assert sid not in (row.sid_hash, str(row.data))
    assert (row.kind, row.data, row.expires_at) == (SessionKind.LINK, DATA, T0 + ABSOLUTE)
    other, _ = await create_session(SessionKind.LINK, DATA, now=T0, idle=IDLE, absolute=ABSOLUTE)
    assert other != sid


async def test_a_live_session_loads(db):
    sid = await start()
    session = await load_session(sid, now=T0 + timedelta(minutes=5), idle=IDLE)
    assert session is not None and session.data == DATA


@pytest.mark.parametrize("sid", [None, "", "not-a-session-id"])
async def test_unknown_ids_load_nothing(db, sid):
    await start()
    assert await load_session(sid, now=T0, idle=IDLE) is None


async def test_idle_sessions_expire(db):
    sid = await start()
    assert await load_session(sid, now=T0 + IDLE, idle=IDLE) is not None
    sid = await start()
    assert await load_session(sid, now=T0 + IDLE + timedelta(seconds=1), idle=IDLE) is None


async def test_last_seen_is_written_at_most_once_a_minute(db):
    sid = await start()
    await load_session(sid, now=T0 + timedelta(seconds=59), idle=IDLE)
    assert (await Session.get()).last_seen_at == T0
    await load_session(sid, now=T0 + timedelta(minutes=1), idle=IDLE)
    assert (await Session.get()).last_seen_at == T0 + timedelta(minutes=1)


async def test_activity_keeps_a_session_alive_until_its_absolute_end(db):
    sid = await start()
    at = T0
    while at + timedelta(minutes=20) < T0 + ABSOLUTE:
        at += timedelta(minutes=20)
        assert await load_session(sid, now=at, idle=IDLE) is not None
    assert await load_session(sid, now=T0 + ABSOLUTE, idle=IDLE) is None


async def test_rotation_kills_the_old_id_and_keeps_the_data(db):
    old = await start()
    new = await rotate_session(old, now=T0 + timedelta(minutes=1))
    assert new != old
    assert await load_session(old, now=T0 + timedelta(minutes=2), idle=IDLE) is None
    session = await load_session(new, now=T0 + timedelta(minutes=2), idle=IDLE)
    assert session is not None and session.data == DATA and session.expires_at == T0 + ABSOLUTE
    with pytest.raises(SessionInvalid):
        await rotate_session(old, now=T0 + timedelta(minutes=2))


async def test_revoked_or_expired_sessions_cannot_be_rotated(db):
    revoked = await start()
    await revoke_session(revoked, now=T0)
    with pytest.raises(SessionInvalid) as caught:
        await rotate_session(revoked, now=T0)
    assert caught.value.status == 401
    expired = await start()
    with pytest.raises(SessionInvalid):
        await rotate_session(expired, now=T0 + ABSOLUTE)


async def test_revocation_ends_a_session_and_can_be_repeated(db):
    sid = await start()
    await revoke_session(sid, now=T0 + timedelta(minutes=1))
    await revoke_session(sid, now=T0 + timedelta(minutes=2))
    await revoke_session("unknown", now=T0)
    assert await load_session(sid, now=T0 + timedelta(minutes=1), idle=IDLE) is None
    assert (await Session.get()).revoked_at == T0 + timedelta(minutes=1)


async def test_idle_longer_than_absolute_is_refused(db):
    with pytest.raises(ValueError):
        await create_session(SessionKind.PORTAL, {}, now=T0, idle=timedelta(hours=9), absolute=ABSOLUTE)
