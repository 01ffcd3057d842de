"""addresses/lookups.py: the dev providers behave as the interface says (a real adapter must too)."""
from __future__ import annotations

import pytest

from addresses.choices import AddressKind
from addresses.divisions import divide
from addresses.lookups import DEV_LOOKUPS, LookupSource
from tests.factories import phone, resident_id


@pytest.mark.parametrize("source", list(LookupSource))
async def test_each_provider_answers_addresses_with_real_divisions_or_nothing(source):
    provider = DEV_LOOKUPS[source]
    assert provider.source is source
    found = await provider.lookup(name="王小明", id_number=resident_id(), phone=phone())
    assert found and all(divide(r.value) is not None and r.kind in AddressKind for r in found)
    assert await provider.lookup(name="王小明", id_number=None, phone=None) == []
