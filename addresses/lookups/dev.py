"""Dev lookups: they answer from the number itself, deterministically, and say so in the log.
Never used in production (``build.build_lookups``)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from addresses.choices import AddressKind
from addresses.divisions import _cpca
from addresses.lookups.lookup import AddressLookup, LookupPurpose, LookupResult, LookupSource

log = logging.getLogger(__name__)


def _place(code: str) -> str:
    """Province, city and county an administrative code names, as far as the table knows them."""
    table = _cpca().ad_2_addr_dict
    names = [table[key].name for key in (f"{code[:2]:0<12}", f"{code[:4]:0<12}", f"{code[:6]:0<12}")
             if len(code) >= 6 and code[:6].isdigit() and key in table]
    return "".join(dict.fromkeys(names))


@dataclass(frozen=True)
class DevPopulationLookup:
    """Dev: the registered residence is the division of the ID number's area code."""

    source: LookupSource = LookupSource.POPULATION

    async def lookup(self, *, name: str, id_number: str | None, phone: str | None,
                     purpose: LookupPurpose | None = None) -> list[LookupResult]:
        log.warning("dev population lookup: the answer is made up from the ID number's area code")
        place = _place(id_number or "")
        return [LookupResult(AddressKind.REGISTERED, f"{place}示范路{int(id_number[-4:-1]) % 200 + 1}号")] \
            if place and id_number else []


@dataclass(frozen=True)
class DevCarrierLookup:
    """Dev: the carrier's address on file (机主登记地址), made up from the number."""

    source: LookupSource = LookupSource.CARRIER

    async def lookup(self, *, name: str, id_number: str | None, phone: str | None,
                     purpose: LookupPurpose | None = None) -> list[LookupResult]:
        log.warning("dev carrier lookup: the answer is made up from the number")
        if not phone:
            return []
        return [LookupResult(AddressKind.POSTAL, f"广西壮族自治区柳州市城中区运营路{int(phone[-3:]) + 1}号")]


DEV_LOOKUPS: dict[LookupSource, AddressLookup] = {LookupSource.POPULATION: DevPopulationLookup(),
                                                  LookupSource.CARRIER: DevCarrierLookup()}
