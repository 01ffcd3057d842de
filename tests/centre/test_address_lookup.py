"""centre.address_book.external_lookup with the gateway adapters against their loopback fake: a
reason is required, every call is audited (failed ones with their outcome), only answered calls
count against the staff member's daily limit, and a source not configured is a 503."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from addresses.choices import AddressSource
from addresses.lookups import LookupSource, LookupUnavailable
from addresses.lookups.adapters import GatewayCarrierLookup, GatewayPopulationLookup
from addresses.lookups.gateway import LookupGateway
from addresses.models import Address
from audit.choices import EventType
from audit.events import RequestMeta
from audit.models import Event
from centre.address_book import LOOKUPS_PER_DAY, external_lookup
from centre.scope import Scope
from core.errors import AppError
from identity.limits import LocalLimitBackend, RateLimited
from identity.pii_keys import pii_cipher
from tests.factories import make_court, make_service, make_staff
from tests.fakes.lookup_gateway import FakeLookupGateway

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake():
    server = FakeLookupGateway().start()
    yield server
    server.close()


async def _setup(db, fake):
    court = await make_court()
    clerk, _, _ = await make_staff(court, "clerk", settings=db)
    _, [recipient], _ = await make_service(court, db)
    gateway = LookupGateway(base_url=fake.base_url, app_key=fake.app_key, secret=fake.secret)
    providers = {LookupSource.POPULATION: GatewayPopulationLookup(gateway),
                 LookupSource.CARRIER: GatewayCarrierLookup(gateway)}
    return Scope(clerk.id, court_id=court.id), recipient, providers


async def test_a_failed_call_is_audited_and_not_counted_an_answered_one_is_stored_and_counted(db, fake):
    scope, recipient, providers = await _setup(db, fake)
    limits = LocalLimitBackend()

    async def lookup(source, reason="核实送达地址"):
        return await external_lookup(scope, recipient.id, source, reason, providers=providers, limits=limits,
                                     settings=db, now=NOW, meta=RequestMeta())

    with pytest.raises(AppError) as no_reason:
        await lookup(LookupSource.POPULATION, reason=" ")
    assert no_reason.value.code == "lookup_reason_required" and fake.queries == []

    fake.fail_with = (503, "UPSTREAM_UNAVAILABLE")
    for _ in range(LOOKUPS_PER_DAY + 1):  # an outage does not use up the day's quota
        with pytest.raises(LookupUnavailable) as down:
            await lookup(LookupSource.POPULATION)
    assert down.value.status == 503 and "人口信息库" in down.value.message
    failed = await Event.filter(type=EventType.ADDRESS_LOOKED_UP).order_by("id")
    assert len(failed) == LOOKUPS_PER_DAY + 1
    assert failed[0].data["outcome"] == "lookup_unavailable" and failed[0].data["address_ids"] == []
    assert failed[0].data["request_id"] == fake.queries[0]["request_id"]  # matches the gateway's log

    fake.fail_with = None
    id_number = pii_cipher(db).decrypt(recipient.id_number_cipher, context="id_number")
    fake.add_person(id_number, recipient.name, [{"type": "registered", "address": "广西壮族自治区北海市海城区北部湾中路3号"}])
    [row] = await lookup(LookupSource.POPULATION)
    assert row.source is AddressSource.EXTERNAL_LOOKUP and row.adcode == "450502"
    assert "北部湾中路" not in row.value_masked and row.evidence["reason"] == "核实送达地址"
    assert fake.queries[-1]["purpose"] == "核实送达地址" and fake.queries[-1]["operator"] == str(scope.staff_id)
    last = await Event.filter(type=EventType.ADDRESS_LOOKED_UP).order_by("-id").first()
    assert last.data["outcome"] == "found" and last.data["address_ids"] == [row.id]

    assert await lookup(LookupSource.CARRIER) == []  # not found: answered, so counted
    for _ in range(LOOKUPS_PER_DAY - 2):
        await lookup(LookupSource.CARRIER)
    with pytest.raises(RateLimited):
        await lookup(LookupSource.CARRIER)
    assert await Address.filter(recipient_id=recipient.id, source=AddressSource.EXTERNAL_LOOKUP).count() == 1


async def test_a_source_not_configured_is_refused_with_a_503(db, fake):
    scope, recipient, providers = await _setup(db, fake)
    with pytest.raises(AppError) as refused:
        await external_lookup(scope, recipient.id, LookupSource.CARRIER, "核实送达地址",
                              providers={LookupSource.POPULATION: providers[LookupSource.POPULATION]},
                              limits=LocalLimitBackend(), settings=db, now=NOW, meta=RequestMeta())
    assert refused.value.status == 503 and refused.value.code == "lookup_not_configured"
    assert "尚未接入运营商实名查号" in refused.value.message
