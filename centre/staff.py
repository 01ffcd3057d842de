"""The service-centre staff a task may be given to, read from the staff accounts table.

Staff accounts belong to the console surface (court/console/models.py); the domain reads the few
columns it needs by SQL instead of importing the surface.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.sql import fetch
from service.models import Attempt

# Roles that handle tasks (court/console/models.StaffRole values).
HANDLER_ROLES = ("process_server", "dispatcher")


@dataclass(frozen=True)
class Handler:
    id: int
    display_name: str
    role: str
    centre_id: int


_HANDLERS = ('SELECT "id", "display_name", "role", "centre_id" FROM "staff_account" '
             'WHERE "centre_id" = $1 AND "disabled_at" IS NULL AND "role" = ANY($2::text[]) '
             'ORDER BY "display_name", "id"')


async def handlers_of(centre_id: int) -> list[Handler]:
    """Active process servers and dispatchers of a centre."""
    return [Handler(**row) for row in await fetch(Attempt, _HANDLERS, centre_id, list(HANDLER_ROLES))]


async def handler(centre_id: int, staff_id: int) -> Handler | None:
    return next((h for h in await handlers_of(centre_id) if h.id == staff_id), None)


async def display_names(staff_ids: set[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = await fetch(Attempt, 'SELECT "id", "display_name" FROM "staff_account" WHERE "id" = ANY($1::int[])',
                       sorted(staff_ids))
    return {row["id"]: row["display_name"] for row in rows}
