"""One contract, two telephony providers: Aliyun Dyvmsapi (against the loopback fake) and dev
behave alike where ``Telephony`` says they do."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import mutagen
import pytest

from phone.aliyun import AliyunTelephony
from phone.dev import DevTelephony, dev_recording
from phone.telephony import (
    CallOutcome,
    InvalidNumber,
    PlacedCall,
    Telephony,
    TelephonyRejected,
    TelephonyUnavailable,
    build_telephony,
    mask_number,
    normalize_number,
)
from tests.conftest import make_settings
from tests.fakes.aliyun_voice import FakeDyvmsapi

STAFF = "13900000001"


@dataclass
class Subject:
    telephony: Telephony
    settle: Callable[[PlacedCall, CallOutcome], None]   # the provider reports the call's end
    fake: FakeDyvmsapi | None = None


@pytest.fixture(params=["aliyun", "dev"])
def subject(request, tmp_path) -> Iterator[Subject]:
    if request.param == "aliyun":
        with FakeDyvmsapi() as fake:
            settings = make_settings(tmp_path, telephony="aliyun", telephony_show_number="077212368",
                                     aliyun_access_key_id=fake.access_key_id,
                                     aliyun_access_key_secret=fake.access_key_secret,
                                     aliyun_voice_endpoint=fake.endpoint, aliyun_voice_protocol="http")
            telephony = build_telephony(settings)
            assert isinstance(telephony, AliyunTelephony)

            def settle(placed: PlacedCall, outcome: CallOutcome) -> None:
                answered = outcome is CallOutcome.ANSWERED
                fake.settle(placed.call_id, outcome, duration=3 if answered else 0,
                            recording=dev_recording() if answered else None)

            yield Subject(telephony, settle, fake)
    else:
        yield Subject(build_telephony(make_settings(tmp_path)), lambda placed, outcome: None)


def test_implements_the_interface(subject):
    assert isinstance(subject.telephony, Telephony)
    assert subject.telephony.provider in ("aliyun", "dev")


async def test_answered_call_has_duration_and_a_playable_recording(subject):
    placed_at = datetime.now(timezone.utc)
    placed = await subject.telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="attempt-1")
    assert placed.call_id and placed.request_id
    subject.settle(placed, CallOutcome.ANSWERED)
    detail = await subject.telephony.call_detail(placed.call_id, placed_at=placed_at)
    assert detail.ended and detail.outcome is CallOutcome.ANSWERED and detail.recorded
    assert detail.duration > 0 and detail.started_at is not None and detail.ended_at > detail.started_at
    recording = await subject.telephony.fetch_recording(placed.call_id, placed_at=placed_at)
    assert mutagen.File(io.BytesIO(recording)).info.length > 1


@pytest.mark.parametrize(("callee", "outcome"), [
    ("13812345676", CallOutcome.BUSY), ("13812345677", CallOutcome.EMPTY_NUMBER),
    ("13812345678", CallOutcome.REJECTED), ("13812345674", CallOutcome.NO_ANSWER),
])
async def test_unanswered_calls_end_without_a_recording(subject, callee, outcome):
    placed_at = datetime.now(timezone.utc)
    placed = await subject.telephony.place_call(staff_phone=STAFF, callee=callee, out_id="attempt-2")
    subject.settle(placed, outcome)
    detail = await subject.telephony.call_detail(placed.call_id, placed_at=placed_at)
    assert detail.ended and detail.outcome is outcome and not detail.recorded and detail.duration == 0
    with pytest.raises((TelephonyRejected, TelephonyUnavailable)):
        await subject.telephony.fetch_recording(placed.call_id, placed_at=placed_at)


async def test_each_call_gets_its_own_id(subject):
    first = await subject.telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="a")
    second = await subject.telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="a")
    assert first.call_id != second.call_id


# --- Aliyun only: what the fake checks and how errors map -----------------------------------

async def test_aliyun_sends_what_click_to_dial_needs(tmp_path):
    with FakeDyvmsapi() as fake:
        telephony = AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                                    show_number="077212368", endpoint=fake.endpoint, protocol="http")
        await telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="attempt-9")
    call = fake.calls[0]
    assert (call.caller, call.called, call.show_number, call.record, call.out_id) == (
        STAFF, "13812345670", "077212368", True, "attempt-9")


async def test_aliyun_business_error_with_http_200_is_a_clear_refusal():
    with FakeDyvmsapi() as fake:
        fake.refuse("13812345670", "isv.BUSINESS_LIMIT_CONTROL")
        telephony = AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                                    show_number="077212368", endpoint=fake.endpoint, protocol="http")
        with pytest.raises(TelephonyRejected) as caught:
            await telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="x")
    assert caught.value.status == 429 and caught.value.provider_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert "频繁" in caught.value.message


async def test_aliyun_wrong_secret_fails_the_signature_check():
    with FakeDyvmsapi() as fake:
        telephony = AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret="wrong",
                                    show_number="077212368", endpoint=fake.endpoint, protocol="http")
        with pytest.raises(TelephonyRejected) as caught:
            await telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="x")
    assert caught.value.provider_code == "SignatureDoesNotMatch" and caught.value.status == 500


async def test_aliyun_outage_is_unavailable():
    with FakeDyvmsapi(http_status=503) as fake:
        telephony = AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                                    show_number="077212368", endpoint=fake.endpoint, protocol="http")
        with pytest.raises(TelephonyUnavailable):
            await telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="x")


async def test_aliyun_unreported_call_is_not_ended():
    with FakeDyvmsapi() as fake:
        telephony = AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                                    show_number="077212368", endpoint=fake.endpoint, protocol="http")
        placed = await telephony.place_call(staff_phone=STAFF, callee="13812345670", out_id="x")
        detail = await telephony.call_detail(placed.call_id, placed_at=datetime.now(timezone.utc))
    assert not detail.ended and detail.outcome is None


@pytest.mark.parametrize(("raw", "number"), [
    ("138 1234 5678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("0772-2812345", "07722812345"),
    ("010 12345678", "01012345678"), ("+86 772 2812345", "07722812345"),
])
def test_mainland_numbers(raw, number):
    assert normalize_number(raw) == number


@pytest.mark.parametrize("raw", ["", "12345", "12812345678", "4008123456", "+1 415 555 0100", "1381234567x"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(InvalidNumber) as caught:
        normalize_number(raw)
    assert caught.value.status == 422 and "无法拨打" in caught.value.message


def test_masks():
    assert mask_number("13812345678") == "138****5678"
    assert mask_number("07722812345") == "0772****345"


def test_dev_is_refused_in_production(tmp_path):
    from core.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match="SONGDA_TELEPHONY"):
        build_telephony(make_settings(tmp_path, mode="production"))
    assert isinstance(build_telephony(make_settings(tmp_path)), DevTelephony)


@pytest.mark.parametrize(("overrides", "setting"), [
    ({"aliyun_access_key_id": ""}, "SONGDA_ALIYUN_ACCESS_KEY_ID"),
    ({"telephony_show_number": ""}, "SONGDA_TELEPHONY_SHOW_NUMBER"),
])
def test_aliyun_misconfiguration_stops_start_up_naming_the_setting(tmp_path, overrides, setting):
    from core.settings import ConfigurationError

    values = {"telephony": "aliyun", "telephony_show_number": "077212368", "aliyun_access_key_id": "id",
              "aliyun_access_key_secret": "secret", **overrides}
    with pytest.raises(ConfigurationError, match=setting):
        build_telephony(make_settings(tmp_path, **values))
