"""The carrier the settings name; a misconfiguration stops start-up with the setting's name."""
from __future__ import annotations

from core.settings import ConfigurationError, Settings
from mail.carriers.carrier import Carrier
from mail.carriers.dev import DevCarrier
from mail.carriers.kuaidi100 import Kuaidi100Carrier


def build_carrier(settings: Settings) -> Carrier:
    if settings.mail_carrier == "dev":
        return DevCarrier()
    if settings.mail_carrier == "kuaidi100":
        key, salt = settings.kuaidi100_key.get_secret_value(), settings.kuaidi100_salt.get_secret_value()
        if not (settings.kuaidi100_customer and key and salt):
            raise ConfigurationError("SONGDA_KUAIDI100_CUSTOMER / SONGDA_KUAIDI100_KEY / SONGDA_KUAIDI100_SALT 未设置")
        return Kuaidi100Carrier(customer=settings.kuaidi100_customer, key=key, salt=salt,
                                base_url=settings.kuaidi100_base_url)
    raise ConfigurationError(f"SONGDA_MAIL_CARRIER={settings.mail_carrier} 无法识别：请设为 dev 或 kuaidi100")
