"""The SMS gateway interface (短信网关): one Protocol, an Aliyun and a dev implementation.

Our code path is always the same; only the far end changes (warehouse's ``IEmailSender``).
Provider modules translate their vendor's errors into the exceptions below, so no SDK
exception ever reaches a use case or a handler.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.errors import AppError
from identity.models import SmsStatus, SmsTemplate

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "DeliveryReport",
    "SendResult",
    "SmsError",
    "SmsGateway",
    "SmsRejected",
    "SmsTemplateError",
    "SmsUnavailable",
    "build_gateway",
]


@dataclass(frozen=True)
class SendResult:
    """The provider accepted the text. ``provider_message_id`` is Aliyun's BizId."""

    provider_message_id: str | None
    request_id: str


@dataclass(frozen=True)
class DeliveryReport:
    """What the carrier said about one text (回执).

    ``status`` is DELIVERED, FAILED, or SENT while the carrier has not answered yet.
    ``received_at`` is the carrier's time of arrival (or of failure), timezone-aware.
    """

    provider_message_id: str | None
    phone: str
    status: SmsStatus
    received_at: datetime | None
    error_code: str = ""


@runtime_checkable  # lets tests check an implementation against the interface
class SmsGateway(Protocol):
    """Sends template texts and reads carrier reports back.

    ``provider`` names the implementation in ``SmsMessage.provider``; ``sign_name`` is the
    短信签名 shown in 【】 before every text, needed to render and count what is sent.
    """

    provider: str
    sign_name: str

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> SendResult:
        """Send one text; raises ``SmsRejected``, ``SmsUnavailable`` or ``SmsTemplateError``."""
        ...

    async def query_reports(self, phone: str, sent_on: date,
                            provider_message_id: str | None) -> list[DeliveryReport]:
        """Reports for texts sent to ``phone`` on ``sent_on`` (China Standard Time date).

        With ``provider_message_id`` only that text is reported, and each report carries the
        id. Without it a provider may be unable to say which text a report belongs to
        (Aliyun's detail rows carry no BizId), so ``provider_message_id`` may be None.
        """
        ...



class SmsError(AppError):
    """Base of every SMS failure. ``provider_code`` is the vendor's own code, for the record."""

    status = 502
    code = "sms_error"

    def __init__(self, message: str, *, provider_code: str = "", code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, code=code, status=status)
        self.provider_code = provider_code


class SmsRejected(SmsError):
    """The provider refused this text: the number, the content, a limit, or our account.

    ``code``/``status`` say what the caller can do about it: ``sms_phone_invalid`` (422),
    ``sms_rate_limited`` (429), ``sms_unavailable`` (503, account-wide limits) or
    ``sms_misconfigured`` (500, our templates, signature or keys are wrong).
    """

    status = 502
    code = "sms_rejected"


class SmsUnavailable(SmsError):
    """Network error, timeout or provider-side 5xx: the text may be retried later."""

    status = 503
    code = "sms_unavailable"

    def __init__(self, message: str = "短信服务暂时不可用，请稍后再试", **kwargs) -> None:
        super().__init__(message, **kwargs)


class SmsTemplateError(SmsError):
    """Our own call does not fit the template (missing or unknown parameter): a bug, not input."""

    status = 500
    code = "sms_misconfigured"


def build_gateway(settings: Settings) -> SmsGateway:
    """The gateway ``SONGDA_SMS_GATEWAY`` names; the dev one is refused in production."""
    # Imported here so that dev mode never loads the Aliyun SDK, and to avoid an import cycle.
    from core.settings import ConfigurationError, Mode, SmsGatewayName

    if settings.sms_gateway is SmsGatewayName.ALIYUN:
        from identity.sms.aliyun import AliyunSmsGateway

        return AliyunSmsGateway.from_settings(settings)
    if settings.sms_gateway is SmsGatewayName.DEV:
        if settings.mode is Mode.PRODUCTION:
            raise ConfigurationError("SONGDA_SMS_GATEWAY=dev 仅供开发：生产环境请设为 aliyun")
        from identity.sms.dev import DevSmsGateway

        return DevSmsGateway(settings.data_dir / "dev-sms.jsonl", sign_name=settings.sms_sign_name)
    raise ConfigurationError(f"SONGDA_SMS_GATEWAY={settings.sms_gateway!r} 不是已知的短信网关")
