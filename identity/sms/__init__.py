"""Texts to litigants (短信): the gateway interface, its implementations, and the use cases.

``gateway`` holds the interface and ``build_gateway``; ``aliyun`` and ``dev`` implement it;
``templates`` renders and counts texts; ``sending`` records them and their carrier reports.
"""
from identity.sms.gateway import (
    DeliveryReport,
    SendResult,
    SmsError,
    SmsGateway,
    SmsRejected,
    SmsTemplateError,
    SmsUnavailable,
    build_gateway,
)

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
