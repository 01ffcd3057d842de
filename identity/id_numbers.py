"""Identity document numbers (证件号码): normalisation, validation and masking.

Every function here is pure: it takes a string and returns a string or raises
``InvalidIdNumber`` with a Chinese message that can be shown to the person typing.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date

__all__ = [
    "ID_NUMBER_SHAPES",
    "IdType",
    "InvalidIdNumber",
    "normalize_id_number",
    "mask_id_number",
    "birth_date",
]


class IdType(str, enum.Enum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    USCC = "uscc"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[IdType, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.USCC: "统一社会信用代码",
}


class InvalidIdNumber(ValueError):
    """The number cannot be a valid document of the given type; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- shared ---------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def _clean(raw: str) -> str:
    # NFKC folds full-width digits/letters (１２３ＡＢＣ) and the ideographic space to ASCII,
    # which is what Chinese IMEs produce when the user forgets to switch to half-width.
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", raw)).upper()


# --- 居民身份证, GB 11643-1999 ------------------------------------------------------------

# Province-level codes of GB/T 2260. 81/82/83 also appear on 港澳台居民居住证 (2018),
# which use the same 18-digit GB 11643 layout with area code 810000/820000/830000.
_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2, indexed by sum % 11
# re.ASCII everywhere: NFKC folds full-width digits but leaves Arabic-Indic (٠١٢) and other
# script digits alone, and a bare \d would accept them into a stored, masked, matched number.
_RESIDENT_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
_EARLIEST_BIRTH = date(1900, 1, 1)


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS))
    return _RESIDENT_CHECK_CHARS[total % 11]


def _parse_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def _normalize_resident_id(value: str, today: date) -> str:
    if len(value) == 15 and value.isascii() and value.isdigit():
        raise InvalidIdNumber("15位旧身份证号码已停用，请提供18位号码")
    if len(value) != 18:
        raise InvalidIdNumber("身份证号码应为18位")
    if not _RESIDENT_SHAPE.fullmatch(value):
        raise InvalidIdNumber("身份证号码只能包含数字，最后一位可以是X")
    if value[:2] not in _PROVINCE_CODES:
        raise InvalidIdNumber("身份证号码的地区码无效")
    born = _parse_birth_date(value)
    if born is None or not _EARLIEST_BIRTH <= born <= today:
        raise InvalidIdNumber("身份证号码中的出生日期无效")
    if resident_id_check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号码校验位错误")
    return value


def birth_date(value: str) -> date:
    """出生日期 of a normalised resident ID number."""
    born = _parse_birth_date(value) if _RESIDENT_SHAPE.fullmatch(value) else None
    if born is None:
        raise InvalidIdNumber("身份证号码中的出生日期无效")
    return born


# --- 护照 / 回乡证 / 台胞证 ----------------------------------------------------------------

# Chinese passports are E/G + 8 characters; foreign passports vary, so only the ICAO 9303
# upper bound (and a sane lower bound) is enforced.
_PASSPORT = re.compile(r"[A-Z0-9]{5,17}")
# 回乡证: H (Hong Kong) or M (Macao) + 8 digits (card since 2013) or 10 digits (booklet).
_HK_MACAO_PERMIT = re.compile(r"[HM](?:\d{8}|\d{10})", re.ASCII)
# 台胞证: 8 digits on the 2015 card; older booklets carried 10 characters.
_TAIWAN_PERMIT = re.compile(r"\d{8}|[0-9A-Z]{10}", re.ASCII)


def _normalize_passport(value: str, today: date) -> str:
    if not _PASSPORT.fullmatch(value):
        raise InvalidIdNumber("护照号码应为5至17位字母或数字")
    return value


def _normalize_hk_macao_permit(value: str, today: date) -> str:
    if not _HK_MACAO_PERMIT.fullmatch(value):
        raise InvalidIdNumber("港澳居民来往内地通行证号码应为H或M开头加8位或10位数字")
    return value


def _normalize_taiwan_permit(value: str, today: date) -> str:
    if not _TAIWAN_PERMIT.fullmatch(value):
        raise InvalidIdNumber("台湾居民来往大陆通行证号码应为8位数字或10位字母数字")
    return value


# --- 统一社会信用代码, GB 32100-2015 --------------------------------------------------------

# I, O, Z, S, V are left out of the alphabet because they read like 1, 0, 2, 5, U.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _normalize_uscc(value: str, today: date) -> str:
    if len(value) != 18:
        raise InvalidIdNumber("统一社会信用代码应为18位")
    if any(ch not in USCC_ALPHABET for ch in value):
        raise InvalidIdNumber("统一社会信用代码含有无效字符（只能是数字和除I、O、Z、S、V以外的大写字母）")
    if uscc_check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("统一社会信用代码校验位错误")
    return value


# --- public API -------------------------------------------------------------------------

# The shape of each type's number after normalisation (ASCII, no whitespace, upper case), as a
# regular expression: what the OpenAPI document states. Check digits and dates are checked besides.
ID_NUMBER_SHAPES: dict[IdType, str] = {
    IdType.RESIDENT_ID: _RESIDENT_SHAPE.pattern,
    IdType.PASSPORT: _PASSPORT.pattern,
    IdType.HK_MACAO_PERMIT: _HK_MACAO_PERMIT.pattern,
    IdType.TAIWAN_PERMIT: _TAIWAN_PERMIT.pattern,
    IdType.USCC: f"[{USCC_ALPHABET}]{{18}}",
}

_NORMALIZERS = {
    IdType.RESIDENT_ID: _normalize_resident_id,
    IdType.PASSPORT: _normalize_passport,
    IdType.HK_MACAO_PERMIT: _normalize_hk_macao_permit,
    IdType.TAIWAN_PERMIT: _normalize_taiwan_permit,
    IdType.USCC: _normalize_uscc,
}


def normalize_id_number(id_type: IdType, raw: str, *, today: date | None = None) -> str:
    """Return the canonical form of ``raw`` or raise ``InvalidIdNumber``.

    ``today`` bounds resident-ID birth dates; it is a parameter so tests need no clock.
    """
    value = _clean(raw)
    if not value:
        raise InvalidIdNumber(f"请填写{IdType(id_type).label}号码")
    return _NORMALIZERS[IdType(id_type)](value, today or date.today())


def mask_id_number(id_type: IdType, value: str) -> str:
    """Masked form for screens and receipts: 110105********002X, or E1*******9 for others."""
    if IdType(id_type) is IdType.RESIDENT_ID and len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]
