"""The external lookup interface (外部地址查询): the 最高院人口信息库 (registered residence by ID
number) and 运营商实名查号 (the carrier's address for a real-name mobile number).

A provider answers the addresses it holds, or none ("not found" is an empty list, not an
error). Everything else is a ``LookupFailed`` with a Chinese message for staff: the use case
(``centre.address_book.external_lookup``) records the failed lookup and shows the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from addresses.choices import AddressKind
from core.enums import LabelledEnum
from core.errors import AppError


class LookupSource(LabelledEnum):
    POPULATION = "population", "最高院人口信息库"
    CARRIER = "carrier", "运营商实名查号"


@dataclass(frozen=True)
class LookupResult:
    kind: AddressKind
    value: str


@dataclass(frozen=True)
class LookupPurpose:
    """Why and by whom (查询事由, 查询人): the provider's own audit log needs both, and a court's
    gateway refuses a query without them. The staff id, never the staff member's name."""

    reason: str
    staff_id: int
    court_code: str
    request_id: str


class AddressLookup(Protocol):
    source: LookupSource

    async def lookup(self, *, name: str, id_number: str | None, phone: str | None,
                     purpose: LookupPurpose | None = None) -> list[LookupResult]: ...


class LookupFailed(AppError):
    """The provider gave no answer about the person; ``code`` says why (recorded in the audit log)."""

    status = 503
    code = "lookup_failed"


class LookupUnavailable(LookupFailed):
    """Network error, timeout, 5xx or an unreadable answer: try again later."""

    code = "lookup_unavailable"


class LookupAuthFailed(LookupFailed):
    """The provider refused our credentials, signature or clock: an administrator must act."""

    code = "lookup_auth_failed"


class LookupProviderLimited(LookupFailed):
    """The provider's own quota for this platform is spent."""

    status = 429
    code = "lookup_provider_limited"


class LookupRefused(LookupFailed):
    """The provider answered about the person but will not disclose: e.g. the name is not the
    number's real-name holder (运营商实名不一致)."""

    status = 422
    code = "lookup_refused"


class LookupNotConfigured(LookupFailed):
    code = "lookup_not_configured"
