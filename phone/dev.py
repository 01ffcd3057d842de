"""The dev telephony (开发用语音服务): places no call, answers like a provider would.

The outcome follows the last digit of the litigant's number, so tests and demos are
deterministic: 0–3 接通, 4–5 无人接听, 6 忙, 7 空号, 8 拒接, 9 无人接听. An answered call has a
real short MP3 recording (a few tones, encoded with lameenc: no ffmpeg needed). Refused in
production by ``build_telephony`` and ``Settings.check_production``.
"""
from __future__ import annotations

import logging
import math
import struct
import uuid
from datetime import datetime, timedelta
from functools import cache

import lameenc

from phone.telephony import CallDetail, CallOutcome, PlacedCall, TelephonyRejected

__all__ = ["DevTelephony", "OUTCOME_BY_DIGIT", "dev_recording"]

log = logging.getLogger(__name__)

OUTCOME_BY_DIGIT = {
    "0": CallOutcome.ANSWERED, "1": CallOutcome.ANSWERED, "2": CallOutcome.ANSWERED, "3": CallOutcome.ANSWERED,
    "4": CallOutcome.NO_ANSWER, "5": CallOutcome.NO_ANSWER, "6": CallOutcome.BUSY,
    "7": CallOutcome.EMPTY_NUMBER, "8": CallOutcome.REJECTED, "9": CallOutcome.NO_ANSWER,
}
RECORDING_SECONDS = 3
RATE = 16000
RINGING = timedelta(seconds=6)


@cache
def dev_recording(seconds: int = RECORDING_SECONDS) -> bytes:
    """A mono 16 kHz MP3 of ``seconds``: alternating tones, like two voices taking turns."""
    samples = []
    for n in range(seconds * RATE):
        tone = 440 if (n // (RATE // 2)) % 2 == 0 else 660
        samples.append(struct.pack("<h", int(6000 * math.sin(2 * math.pi * tone * n / RATE))))
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(b"".join(samples)) + encoder.flush())


class DevTelephony:
    provider = "dev"

    def __init__(self) -> None:
        log.warning("dev telephony: no call is placed; outcomes follow the number's last digit")

    def __repr__(self) -> str:
        return "DevTelephony()"

    async def place_call(self, *, staff_phone: str, callee: str, out_id: str) -> PlacedCall:
        # The outcome travels in the id, so any process (web or worker) can answer for the call.
        outcome = OUTCOME_BY_DIGIT[callee[-1]]
        return PlacedCall(call_id=f"dev-{outcome.value}-{uuid.uuid4().hex}", request_id=uuid.uuid4().hex)

    async def call_detail(self, call_id: str, *, placed_at: datetime) -> CallDetail:
        outcome = _outcome_of(call_id)
        if outcome is CallOutcome.ANSWERED:
            started = placed_at + RINGING
            return CallDetail(ended=True, outcome=outcome, started_at=started,
                              ended_at=started + timedelta(seconds=RECORDING_SECONDS),
                              duration=RECORDING_SECONDS, recorded=True)
        return CallDetail(ended=True, outcome=outcome, ended_at=placed_at + RINGING)

    async def fetch_recording(self, call_id: str, *, placed_at: datetime) -> bytes:
        if _outcome_of(call_id) is not CallOutcome.ANSWERED:
            raise TelephonyRejected("该通话未接通，没有录音", code="recording_none", status=404,
                                    provider_code="NoRecording")
        return dev_recording()


def _outcome_of(call_id: str) -> CallOutcome:
    try:
        return CallOutcome(call_id.split("-")[1])
    except (IndexError, ValueError):
        raise TelephonyRejected("通话不存在", code="call_not_found", status=404, provider_code="CallNotFound") from None
