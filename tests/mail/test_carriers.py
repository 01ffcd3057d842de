"""One contract for every carrier (the dev carrier, and Kuaidi100 against its loopback fake), and
Kuaidi100's own wire rules: the query sign, the push signature, unknown states."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from mail.carriers.carrier import CarrierRejected, PushRejected
from mail.carriers.dev import DevCarrier
from mail.carriers.kuaidi100 import Kuaidi100Carrier, query_sign
from mail.choices import MailStatus
from tests.fakes.kuaidi100 import FakeKuaidi100

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
CALLBACK = "http://testserver/mail/kuaidi100/push"


@pytest.fixture
def fake():
    server = FakeKuaidi100().start()
    yield server
    server.close()


def refused_number(waybill: str) -> bool:
    return "".join(c for c in waybill if c.isdigit()).endswith("9")


class DevDriver:
    """Moves a dev waybill by the clock: the carrier's own schedule."""

    def __init__(self) -> None:
        self.carrier = DevCarrier()

    def post(self, waybill: str, refused: bool = False) -> str:
        return waybill

    def advance(self, waybill: str) -> datetime:
        return T0 + timedelta(days=3)


class Kuaidi100Driver:
    def __init__(self, fake: FakeKuaidi100) -> None:
        self.fake = fake
        self.carrier = Kuaidi100Carrier(customer=fake.customer, key=fake.key, salt=fake.salt, base_url=fake.base_url)

    def post(self, waybill: str, refused: bool = False) -> str:
        self.fake.add_line(waybill, T0, "1", "【示范市邮政】已收寄")
        return waybill

    def advance(self, waybill: str) -> datetime:
        self.fake.add_line(waybill, T0 + timedelta(hours=12), "0", "已发往目的地")
        self.fake.add_line(waybill, T0 + timedelta(hours=36), "5", "投递员正在派送")
        if refused_number(waybill):
            self.fake.add_line(waybill, T0 + timedelta(hours=48), "14", "退回：收件人拒收")
        else:
            self.fake.add_line(waybill, T0 + timedelta(hours=48), "3", "已妥投，签收人：本人")
        return T0 + timedelta(days=3)


@pytest.fixture(params=["dev", "kuaidi100"])
def driver(request, fake):
    return DevDriver() if request.param == "dev" else Kuaidi100Driver(fake)


async def test_contract_an_item_moves_through_the_stages_to_delivery_with_its_signer(driver):
    waybill = driver.post("EA123456781CN")
    await driver.carrier.subscribe(waybill, callback_url=CALLBACK, now=T0)
    first = await driver.carrier.track(waybill, now=T0)
    assert first.latest.status is MailStatus.POSTED
    later = await driver.carrier.track(waybill, now=driver.advance(waybill))
    assert [p.status for p in later.points] == [MailStatus.POSTED, MailStatus.IN_TRANSIT, MailStatus.DELIVERING,
                                                MailStatus.DELIVERED]
    assert [p.at for p in later.points] == sorted(p.at for p in later.points)
    assert all(p.at.tzinfo is not None and p.text for p in later.points)
    assert later.latest.status is MailStatus.DELIVERED and later.signer == "本人"


async def test_contract_a_refused_item_comes_back_with_its_reason(driver):
    waybill = driver.post("EA123456789CN", refused=True)
    await driver.carrier.subscribe(waybill, callback_url=CALLBACK, now=T0)
    await driver.carrier.track(waybill, now=T0)
    tracking = await driver.carrier.track(waybill, now=driver.advance(waybill))
    assert tracking.latest.status is MailStatus.RETURNED and "拒收" in tracking.latest.text
    assert tracking.signer == ""


async def test_kuaidi100_signs_queries_as_documented(fake):
    param = '{"com":"ems","num":"EA123456781CN","resultv2":"1"}'
    assert query_sign(param, "k", "C") == hashlib.md5((param + "k" + "C").encode()).hexdigest().upper()
    wrong = Kuaidi100Carrier(customer=fake.customer, key="not-the-key", salt=fake.salt, base_url=fake.base_url)
    with pytest.raises(CarrierRejected):
        await wrong.track("EA123456781CN", now=T0)
    assert fake.refused_signs == 1


async def test_kuaidi100_no_result_yet_is_an_empty_timeline_and_resubscribing_is_fine(fake):
    carrier = Kuaidi100Driver(fake).carrier
    assert (await carrier.track("EA000000001CN", now=T0)).points == ()
    await carrier.subscribe("EA000000001CN", callback_url=CALLBACK, now=T0)
    await carrier.subscribe("EA000000001CN", callback_url=CALLBACK, now=T0)   # 501 重复订阅
    assert fake.subscriptions == {"EA000000001CN": CALLBACK}


async def test_kuaidi100_push_is_read_only_with_its_signature(fake):
    carrier = Kuaidi100Driver(fake).carrier
    fake.add_line("EA123456781CN", T0, "1", "已收寄")
    fake.add_line("EA123456781CN", T0 + timedelta(hours=1), "99", "海关查验")   # a state we do not know
    tracking = carrier.read_push(fake.push_form("EA123456781CN"))
    assert tracking.waybill == "EA123456781CN"
    assert [p.status for p in tracking.points] == [MailStatus.POSTED, None]
    assert tracking.latest.status is MailStatus.POSTED
    with pytest.raises(PushRejected):
        carrier.read_push(fake.push_form("EA123456781CN", salt="forged"))
    with pytest.raises(PushRejected):
        carrier.read_push({"param": "{}", "sign": ""})
