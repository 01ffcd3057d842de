"""External address lookups (外部地址查询): the interface (lookup.py), the dev providers (dev.py),
the court's lookup gateway (signing.py, gateway.py, adapters.py) and the choice by settings
(build.py). The use case is ``centre.address_book.external_lookup``."""
from addresses.lookups.dev import DEV_LOOKUPS
from addresses.lookups.lookup import (
    AddressLookup,
    LookupAuthFailed,
    LookupFailed,
    LookupNotConfigured,
    LookupProviderLimited,
    LookupPurpose,
    LookupRefused,
    LookupResult,
    LookupSource,
    LookupUnavailable,
)

__all__ = ["DEV_LOOKUPS", "AddressLookup", "LookupAuthFailed", "LookupFailed", "LookupNotConfigured",
           "LookupProviderLimited", "LookupPurpose", "LookupRefused", "LookupResult", "LookupSource",
           "LookupUnavailable"]
