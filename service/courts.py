"""Registering a court: the court and the service centre (送达中心) that handles its tasks."""
from __future__ import annotations

from tortoise.transactions import in_transaction

from service.models import Court, ServiceCentre


async def register_court(*, code: str, name: str, phone: str = "", centre: ServiceCentre | None = None) -> Court:
    """The court, with ``centre`` or a centre of its own (a county court's outsourced team).
    Registering a code twice returns the existing court unchanged."""
    async with in_transaction():
        existing = await Court.get_or_none(code=code)
        if existing is not None:
            return existing
        if centre is None:
            centre = await ServiceCentre.create(name=f"{name}送达中心")
        return await Court.create(code=code, name=name, phone=phone, centre=centre)
