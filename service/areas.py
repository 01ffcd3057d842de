"""The area of a postal address (province, city, district) for grouping tasks by place: the
address book's normaliser (``addresses.divisions``, administrative codes from a maintained table)."""
from __future__ import annotations

from addresses.divisions import area_of

__all__ = ["area_of"]
