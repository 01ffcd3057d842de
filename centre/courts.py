"""Registering a court: the court, the service centre (送达中心) that handles its tasks, and the
default escalation rules (centre/escalation_rules.py) its centre starts with."""
from __future__ import annotations

from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from centre.escalation_rules import default_rules
from service.models import Court, ServiceCentre


async def register_court(*, code: str, name: str, phone: str = "", centre: ServiceCentre | None = None) -> Court:
    """The court, with ``centre`` or a centre of its own (a county court's outsourced team), and
    the default escalation rules. Registering a code twice returns the existing court unchanged."""
    async with in_transaction():
        existing = await Court.get_or_none(code=code)
        if existing is not None:
            return existing
        if centre is None:
            centre = await ServiceCentre.create(name=f"{name}送达中心")
        court = await Court.create(code=code, name=name, phone=phone, centre=centre)
        await default_rules(court.id, now=datetime.now(timezone.utc))
    return court
