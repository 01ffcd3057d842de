"""The telephony provider interface (语音服务): one Protocol, an Aliyun and a dev implementation.

The platform places a two-leg call (click-to-call, 点击拨号): it rings the staff member's phone
first, then the litigant's, showing the court's registered number, with recording on. Staff
never hold the litigant's number. A court whose 12368 platform offers the same three operations
(place a two-leg recorded call; ask a call's state, duration and outcome by its id; download its
recording) plugs in as another implementation of ``Telephony`` (docs/PHONE.md has the mapping).

Provider modules translate their vendor's errors into the exceptions below, so no SDK exception
reaches a use case or a handler.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.enums import LabelledEnum
from core.errors import AppError

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "CallDetail", "CallOutcome", "InvalidNumber", "PlacedCall", "Telephony", "TelephonyError",
    "TelephonyRejected", "TelephonyUnavailable", "build_telephony", "mask_number", "normalize_number",
]


class CallOutcome(LabelledEnum):
    """How a call ended, as the provider reports it (呼叫结果)."""

    ANSWERED = "answered", "接通"
    NO_ANSWER = "no_answer", "无人接听"
    BUSY = "busy", "忙"
    EMPTY_NUMBER = "empty_number", "空号"
    REJECTED = "rejected", "拒接"
    STAFF_UNREACHED = "staff_unreached", "工作人员未接听"
    UNKNOWN = "unknown", "结果未知"


@dataclass(frozen=True)
class PlacedCall:
    """The provider took the call request; ``call_id`` asks about it later."""

    call_id: str
    request_id: str


@dataclass(frozen=True)
class CallDetail:
    """What the provider says about a call. ``ended`` False: still ringing or talking (or not
    reported yet). ``recorded``: a recording can be fetched."""

    ended: bool
    outcome: CallOutcome | None = None
    started_at: datetime | None = None   # the litigant answered
    ended_at: datetime | None = None
    duration: int = 0                    # seconds of conversation
    recorded: bool = False


@runtime_checkable
class Telephony(Protocol):
    provider: str

    async def place_call(self, *, staff_phone: str, callee: str, out_id: str) -> PlacedCall:
        """Ring ``staff_phone``, then ``callee``, recorded. Raises ``TelephonyRejected`` or
        ``TelephonyUnavailable``."""
        ...

    async def call_detail(self, call_id: str, *, placed_at: datetime) -> CallDetail:
        """The call's state now; ``placed_at`` narrows the provider's search to that day."""
        ...

    async def fetch_recording(self, call_id: str, *, placed_at: datetime) -> bytes:
        """The call's recording (MP3 bytes). ``TelephonyUnavailable`` while it is not ready or
        cannot be fetched: the caller retries later."""
        ...


class TelephonyError(AppError):
    """Base of every telephony failure; ``provider_code`` is the vendor's own code, for the record."""

    status = 502
    code = "telephony_error"

    def __init__(self, message: str, *, provider_code: str = "", code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, code=code, status=status)
        self.provider_code = provider_code


class TelephonyRejected(TelephonyError):
    """The provider refused the call: the number, a limit, or our account."""

    code = "telephony_rejected"


class TelephonyUnavailable(TelephonyError):
    """Network error, timeout, provider 5xx, or a recording not ready yet: try again later."""

    status = 503
    code = "telephony_unavailable"

    def __init__(self, message: str = "语音服务暂时不可用，请稍后再试", **kwargs) -> None:
        super().__init__(message, **kwargs)


class InvalidNumber(AppError):
    status = 422
    code = "phone_number_invalid"


# Mainland mobiles (1[3-9] + 9 digits) and landlines (0 + area code of 2-3 digits + 7-8 digits,
# written with or without a dash). 400/800 and short numbers cannot be called back by this route.
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0[1-9]\d{8,10}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-.()]+")


def normalize_number(raw: str) -> str:
    """The digits of a mainland mobile or landline (``+86``/``0086`` dropped); else ``InvalidNumber``."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            rest = value[len(prefix):]
            value = rest if _MOBILE.fullmatch(rest) else "0" + rest
            break
    if _MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value):
        return value
    raise InvalidNumber("号码不是有效的中国大陆手机或固定电话号码，无法拨打", code="phone_number_invalid")


def mask_number(number: str) -> str:
    """138****1234 / 0772****567: recognisable, not callable."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if number.startswith("1") else \
        number[:4] + "*" * (len(number) - 7) + number[-3:]


def build_telephony(settings: Settings) -> Telephony:
    """The provider ``SONGDA_TELEPHONY`` names; the dev one is refused in production."""
    from core.settings import ConfigurationError, Mode, TelephonyName

    if settings.telephony is TelephonyName.ALIYUN:
        from phone.aliyun import AliyunTelephony

        return AliyunTelephony.from_settings(settings)
    if settings.telephony is TelephonyName.DEV:
        if settings.mode is Mode.PRODUCTION:
            raise ConfigurationError("SONGDA_TELEPHONY=dev 仅供开发：生产环境请设为 aliyun")
        from phone.dev import DevTelephony

        return DevTelephony()
    raise ConfigurationError(f"SONGDA_TELEPHONY={settings.telephony!r} 不是已知的语音服务")
