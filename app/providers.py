"""Every outside-world dependency, built once per process from settings: the web server
(``app/factory.py``) and the worker (``app/worker.py``) both start here."""
from __future__ import annotations

from core.settings import Settings


def providers(settings: Settings) -> dict:
    """A misconfigured seal certificate, SMS gateway or telephony provider stops start-up here, with a message
    naming the setting."""
    from addresses.lookups.build import build_lookups
    from announcement.publishers.build import build_publisher
    from court.webhooks.relay import webhook_http_client
    from documents.storage import LocalStorage
    from identity.sms.gateway import build_gateway
    from identity.wechat.api import build_wechat_api
    from mail.carriers.build import build_carrier
    from phone.telephony import build_telephony
    from receipts.seal import Sealer

    return {
        "storage": LocalStorage(settings.files_dir),
        "sealer": Sealer.from_settings(settings),
        "sms_gateway": build_gateway(settings),
        "webhook_http": webhook_http_client(allow_private=settings.webhook_allow_private),
        "wechat_api": build_wechat_api(settings),
        "mail_carrier": build_carrier(settings),
        "telephony": build_telephony(settings),
        "announcement_publisher": build_publisher(settings),
        "address_lookups": build_lookups(settings),
    }
