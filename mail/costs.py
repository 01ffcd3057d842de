"""费用: what each mail item costs the court, from the court's price table.

The seed's prices: 跨域集中打印 8 元/件; 双程邮寄 同城 20, 区内 30, 省外 40 元/件. The band is
measured from the court's own place (``MailPrice.origin``) to the destination: same province and
city → 同城, same province → 区内, else 省外.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import ValidationFailed
from mail.choices import PriceBand
from mail.models import MailPrice
from service.areas import area_of

DEFAULT_FEN = {"printing": 800, PriceBand.SAME_CITY: 2000, PriceBand.SAME_PROVINCE: 3000,
               PriceBand.OTHER_PROVINCE: 4000}
MAX_FEN = 100_000
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")   # 1,000 元 a line: anything above is a typing error


@dataclass(frozen=True)
class Prices:
    origin: str
    printing_fen: int
    postage_fen: dict[PriceBand, int]


@dataclass(frozen=True)
class Place:
    province: str
    city: str

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.province, self.city) if p)


def place_of(address: str) -> Place | None:
    """Province and city of a postal address; None when no province is recognisable. A
    municipality (北京市 …) is its own city."""
    parts = area_of(address).split()
    if not parts:
        return None
    province = parts[0]
    if province in MUNICIPALITIES:
        return Place(province, province)
    if not province.endswith(("省", "自治区", "特别行政区")):
        return None
    city = parts[1] if len(parts) > 1 and parts[1].endswith(("市", "自治州", "地区", "盟")) else ""
    return Place(province, city)


def band_of(origin: Place, destination: Place) -> PriceBand:
    if origin.province != destination.province:
        return PriceBand.OTHER_PROVINCE
    if origin.city and origin.city == destination.city:
        return PriceBand.SAME_CITY
    return PriceBand.SAME_PROVINCE


async def prices_of(court_id: int) -> Prices:
    row = await MailPrice.get_or_none(court_id=court_id)
    if row is None:
        return Prices("", DEFAULT_FEN["printing"], {b: DEFAULT_FEN[b] for b in PriceBand})
    return Prices(row.origin, row.printing_fen, {PriceBand.SAME_CITY: row.same_city_fen,
                                                 PriceBand.SAME_PROVINCE: row.same_province_fen,
                                                 PriceBand.OTHER_PROVINCE: row.other_province_fen})


async def set_prices(court_id: int, *, origin: str, printing_fen: int, same_city_fen: int, same_province_fen: int,
                     other_province_fen: int, now: datetime) -> MailPrice:
    """The court's price table and its own address (邮寄价格表)."""
    if place_of(origin) is None:
        raise ValidationFailed("法院所在地无法识别省、市，请填写如“广西壮族自治区北海市海城区…”", code="origin_unrecognised")
    values = {"printing_fen": printing_fen, "same_city_fen": same_city_fen, "same_province_fen": same_province_fen,
              "other_province_fen": other_province_fen}
    if any(not 0 <= v <= MAX_FEN for v in values.values()):
        raise ValidationFailed("单价应在0至1000元之间", code="price_out_of_range")
    row, _ = await MailPrice.update_or_create(defaults={"origin": origin.strip(), "updated_at": now, **values},
                                              court_id=court_id)
    return row


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
