"""addresses/lookups: one contract per lookup interface, run against the dev provider and the
gateway adapter pointed at its loopback fake; then the gateway's own wire rules (signature,
time window, nonce replay, error codes) as the fake checks them."""
from __future__ import annotations

import httpx
import pytest

from addresses.choices import AddressKind
from addresses.divisions import divide
from addresses.lookups import (
    DEV_LOOKUPS,
    LookupAuthFailed,
    LookupFailed,
    LookupProviderLimited,
    LookupPurpose,
    LookupRefused,
    LookupSource,
    LookupUnavailable,
)
from addresses.lookups.adapters import GatewayCarrierLookup, GatewayPopulationLookup
from addresses.lookups.build import build_lookups
from addresses.lookups.gateway import LookupGateway
from core.settings import ConfigurationError, Mode
from tests.conftest import make_settings
from tests.factories import phone, resident_id
from tests.fakes.lookup_gateway import FakeLookupGateway

PURPOSE = LookupPurpose(reason="核实送达地址", staff_id=7, court_code="桂1202", request_id="a" * 32)
RECORDS = {LookupSource.POPULATION: [{"type": "registered", "address": "广西壮族自治区北海市海城区北部湾中路3号"},
                                     {"type": "habitual_residence", "address": "广西柳州市城中区示范路9号"}],
           LookupSource.CARRIER: [{"type": "subscriber", "address": "广西壮族自治区柳州市城中区运营路8号"}]}


@pytest.fixture
def fake():
    server = FakeLookupGateway().start()
    yield server
    server.close()


def gateway(fake: FakeLookupGateway, **overrides) -> LookupGateway:
    return LookupGateway(**{"base_url": fake.base_url, "app_key": fake.app_key, "secret": fake.secret, **overrides})


def adapter(source: LookupSource, fake: FakeLookupGateway, **overrides):
    kind = GatewayPopulationLookup if source is LookupSource.POPULATION else GatewayCarrierLookup
    return kind(gateway(fake, **overrides))


class DevDriver:
    def __init__(self, source: LookupSource) -> None:
        self.provider = DEV_LOOKUPS[source]

    def knows(self, name: str, id_number: str, mobile: str) -> None:
        pass  # the dev provider answers for every number


class GatewayDriver:
    def __init__(self, source: LookupSource, fake: FakeLookupGateway) -> None:
        self.source, self.fake, self.provider = source, fake, adapter(source, fake)

    def knows(self, name: str, id_number: str, mobile: str) -> None:
        number = id_number if self.source is LookupSource.POPULATION else mobile
        self.fake.add_person(number, name, RECORDS[self.source])


@pytest.fixture(params=[(s, impl) for s in LookupSource for impl in ("dev", "gateway")],
                ids=lambda p: f"{p[0].value}-{p[1]}")
def driver(request, fake):
    source, impl = request.param
    return DevDriver(source) if impl == "dev" else GatewayDriver(source, fake)


async def test_contract_a_known_person_gets_addresses_with_real_divisions_and_no_number_gets_nothing(driver):
    id_number, mobile = resident_id(), phone()
    driver.knows("王小明", id_number, mobile)
    found = await driver.provider.lookup(name="王小明", id_number=id_number, phone=mobile, purpose=PURPOSE)
    assert found and all(divide(r.value) is not None and r.kind in AddressKind for r in found)
    kinds = {r.kind for r in found}
    assert kinds <= ({AddressKind.REGISTERED, AddressKind.HABITUAL_RESIDENCE}
                     if driver.provider.source is LookupSource.POPULATION else {AddressKind.POSTAL})
    assert await driver.provider.lookup(name="王小明", id_number=None, phone=None, purpose=PURPOSE) == []


async def test_the_gateway_gets_the_minimum_with_the_reason_and_operator(fake):
    id_number, mobile = resident_id(), phone()
    fake.add_person(id_number, "王小明", RECORDS[LookupSource.POPULATION])
    await adapter(LookupSource.POPULATION, fake).lookup(name="王小明", id_number=id_number, phone=mobile,
                                                        purpose=PURPOSE)
    [query] = fake.queries
    assert query == {"request_id": "a" * 32, "court_code": "桂1202", "operator": "7", "purpose": "核实送达地址",
                     "name": "王小明", "id_number": id_number}  # no phone to the population register
    with pytest.raises(LookupFailed):
        await adapter(LookupSource.CARRIER, fake).lookup(name="王小明", id_number=None, phone=mobile)


@pytest.mark.parametrize("overrides, refusal", [({"secret": "not-the-secret"}, "SIGNATURE_INVALID"),
                                                ({"app_key": "someone-else"}, "APP_KEY_UNKNOWN"),
                                                ({"clock": lambda: 1_000_000_000.0}, "TIMESTAMP_EXPIRED")])
async def test_credentials_and_clock_are_checked_and_their_failure_is_an_auth_failure(fake, overrides, refusal):
    fake.add_person("13800000001", "王小明", RECORDS[LookupSource.CARRIER])
    with pytest.raises(LookupAuthFailed) as failed:
        await adapter(LookupSource.CARRIER, fake, **overrides).lookup(name="王小明", id_number=None,
                                                                      phone="13800000001", purpose=PURPOSE)
    assert fake.refusals == [refusal] and fake.queries == [] and "系统管理员" in failed.value.message


async def test_a_captured_request_cannot_be_replayed(fake):
    fake.add_person("13800000002", "王小明", RECORDS[LookupSource.CARRIER])
    captured = []

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            captured.append((request.url.path, dict(request.headers), await request.aread()))
            async with httpx.AsyncClient() as client:
                return await client.send(httpx.Request(request.method, request.url, headers=request.headers,
                                                       content=captured[-1][2]))

    provider = GatewayCarrierLookup(gateway(fake, transport=Recording()))
    assert await provider.lookup(name="王小明", id_number=None, phone="13800000002", purpose=PURPOSE)
    path, headers, body = captured[0]
    status, answer, _ = fake.replay(path, headers, body)
    assert (status, answer["code"]) == (401, "NONCE_REPLAYED")
    tampered = body.replace(b"13800000002", b"13800000003")
    headers["x-lookup-nonce"] = "f" * 32
    assert fake.replay(path, headers, tampered)[1]["code"] == "SIGNATURE_INVALID"


async def test_not_found_is_no_addresses_and_a_name_mismatch_is_a_refusal(fake):
    provider = adapter(LookupSource.CARRIER, fake)
    assert await provider.lookup(name="王小明", id_number=None, phone="13800000004", purpose=PURPOSE) == []
    fake.add_person("13800000004", "李四", RECORDS[LookupSource.CARRIER])
    with pytest.raises(LookupRefused) as refused:
        await provider.lookup(name="王小明", id_number=None, phone="13800000004", purpose=PURPOSE)
    assert "实名" in refused.value.message


@pytest.mark.parametrize("fail_with, error", [((429, "RATE_LIMITED"), LookupProviderLimited),
                                              ((503, "UPSTREAM_UNAVAILABLE"), LookupUnavailable),
                                              ((500, "INTERNAL"), LookupUnavailable),
                                              ((200, "SOMETHING_NEW"), LookupUnavailable),
                                              ((400, "MISSING_FIELD"), LookupFailed)])
async def test_provider_errors_are_mapped(fake, fail_with, error):
    fake.fail_with = fail_with
    with pytest.raises(error) as failed:
        await adapter(LookupSource.POPULATION, fake).lookup(name="王小明", id_number=resident_id(), phone=None,
                                                            purpose=PURPOSE)
    assert type(failed.value) is error
    if error is LookupProviderLimited:
        assert failed.value.retry_after == 120 and failed.value.status == 429


async def test_a_slow_or_absent_gateway_is_unavailable(fake):
    fake.delay = 1.0
    with pytest.raises(LookupUnavailable) as slow:
        await adapter(LookupSource.CARRIER, fake, timeout=0.2).lookup(name="王小明", id_number=None,
                                                                      phone=phone(), purpose=PURPOSE)
    assert "超时" in slow.value.message
    closed = LookupGateway(base_url="http://127.0.0.1:9", app_key="k", secret="s", timeout=1)
    with pytest.raises(LookupUnavailable):
        await GatewayCarrierLookup(closed).lookup(name="王小明", id_number=None, phone=phone(), purpose=PURPOSE)


def test_settings_choose_per_source_and_production_never_uses_the_dev_answers(tmp_path):
    dev = build_lookups(make_settings(tmp_path))
    assert dev == DEV_LOOKUPS
    real = build_lookups(make_settings(tmp_path, lookup_carrier="gateway", lookup_population="off",
                                       lookup_gateway_base_url="https://gw.example", lookup_gateway_app_key="k",
                                       lookup_gateway_secret="s"))
    assert list(real) == [LookupSource.CARRIER] and isinstance(real[LookupSource.CARRIER], GatewayCarrierLookup)
    assert build_lookups(make_settings(tmp_path, mode=Mode.PRODUCTION)) == {}
    with pytest.raises(ConfigurationError):
        build_lookups(make_settings(tmp_path, lookup_population="gateway"))

