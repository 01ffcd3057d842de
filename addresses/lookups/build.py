"""The lookups the settings name, per source. Production never answers with a made-up address:
there ``dev`` counts as ``off``, and a source left out is refused to staff with a 503."""
from __future__ import annotations

import logging

from addresses.lookups.adapters import GatewayCarrierLookup, GatewayPopulationLookup
from addresses.lookups.dev import DEV_LOOKUPS
from addresses.lookups.gateway import LookupGateway
from addresses.lookups.lookup import AddressLookup, LookupSource
from core.settings import ConfigurationError, Mode, Settings

log = logging.getLogger(__name__)


def build_lookups(settings: Settings) -> dict[LookupSource, AddressLookup]:
    choice = {LookupSource.POPULATION: settings.lookup_population, LookupSource.CARRIER: settings.lookup_carrier}
    gateway = None
    if "gateway" in choice.values():
        secret = settings.lookup_gateway_secret.get_secret_value()
        if not (settings.lookup_gateway_base_url and settings.lookup_gateway_app_key and secret):
            raise ConfigurationError("SONGDA_LOOKUP_GATEWAY_BASE_URL / SONGDA_LOOKUP_GATEWAY_APP_KEY / "
                                     "SONGDA_LOOKUP_GATEWAY_SECRET 未设置")
        gateway = LookupGateway(base_url=settings.lookup_gateway_base_url, app_key=settings.lookup_gateway_app_key,
                                secret=secret, timeout=settings.lookup_timeout_seconds)
    built: dict[LookupSource, AddressLookup] = {}
    for source, name in choice.items():
        if name == "gateway":
            built[source] = (GatewayPopulationLookup if source is LookupSource.POPULATION
                             else GatewayCarrierLookup)(gateway)
        elif name == "dev" and settings.mode is Mode.PRODUCTION:
            log.warning("SONGDA_LOOKUP_%s=dev is ignored in production: the lookup is refused", source.name)
        elif name == "dev":
            built[source] = DEV_LOOKUPS[source]
    return built
