"""The two sources through the court's lookup gateway: what each sends (the minimum its answer
needs) and how its records become address-book addresses."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from addresses.choices import AddressKind
from addresses.lookups.gateway import LookupGateway
from addresses.lookups.lookup import LookupFailed, LookupPurpose, LookupResult, LookupSource

log = logging.getLogger(__name__)
POPULATION_PATH = "/v1/population/residence"
CARRIER_PATH = "/v1/carrier/subscriber-address"
MAX_VALUE = 500
KINDS = {
    LookupSource.POPULATION: {"registered": AddressKind.REGISTERED,
                              "habitual_residence": AddressKind.HABITUAL_RESIDENCE},
    LookupSource.CARRIER: {"subscriber": AddressKind.POSTAL},
}


def _results(source: LookupSource, records: list[Mapping[str, Any]]) -> list[LookupResult]:
    found = []
    for record in records:
        kind = KINDS[source].get(str(record.get("type") or ""))
        value = " ".join(str(record.get("address") or "").replace("\x00", "").split())
        if kind is None or not value:
            log.info("lookup gateway: %s record of type %r skipped", source.value, record.get("type"))
            continue
        found.append(LookupResult(kind, value[:MAX_VALUE]))
    return found


def _common(purpose: LookupPurpose | None, name: str) -> dict[str, str]:
    if purpose is None:  # the gateway refuses a query without a reason: fail here, clearly
        raise LookupFailed("外部查询须说明查询原因", code="lookup_reason_required")
    return {"request_id": purpose.request_id, "court_code": purpose.court_code,
            "operator": str(purpose.staff_id), "purpose": purpose.reason, "name": name}


class GatewayPopulationLookup:
    """最高院人口信息库: by name + ID number; answers 户籍地址 and, where known, 经常居住地."""

    source = LookupSource.POPULATION

    def __init__(self, gateway: LookupGateway) -> None:
        self._gateway = gateway

    async def lookup(self, *, name: str, id_number: str | None, phone: str | None,
                     purpose: LookupPurpose | None = None) -> list[LookupResult]:
        if not id_number:
            return []
        records = await self._gateway.post(POPULATION_PATH, {**_common(purpose, name), "id_number": id_number},
                                           what="人口信息库")
        return _results(self.source, records)


class GatewayCarrierLookup:
    """运营商实名查号: by name + mobile number; the carrier answers the holder's registered
    address only when the name is the number's real-name holder."""

    source = LookupSource.CARRIER

    def __init__(self, gateway: LookupGateway) -> None:
        self._gateway = gateway

    async def lookup(self, *, name: str, id_number: str | None, phone: str | None,
                     purpose: LookupPurpose | None = None) -> list[LookupResult]:
        if not phone:
            return []
        records = await self._gateway.post(CARRIER_PATH, {**_common(purpose, name), "phone": phone},
                                           what="运营商查号")
        return _results(self.source, records)
