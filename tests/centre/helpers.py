"""Building blocks for the service-centre tests: a service with tasks, and the scopes of the
people who work on them."""
from __future__ import annotations

from centre.scope import Scope
from core.settings import Settings
from documents.kinds import DocumentKind
from service.models import Attempt, Court
from tests.factories import make_court, make_service, make_staff


async def service_with_tasks(settings: Settings, *, channels: list[str] | None = None, recipients: int = 1,
                             court: Court | None = None, kind: DocumentKind = DocumentKind.SUMMONS):
    """A service whose recipients have electronic channels and tasks; returns (service, people,
    [task attempts])."""
    service, people, _ = await make_service(court, settings, recipients=recipients, kind=kind,
                                            channels=channels or ["sms", "mail", "phone"])
    tasks = await Attempt.filter(service_id=service.id, delivery_id=None).order_by("id")
    return service, people, tasks


async def centre_people(settings: Settings, court: Court | None = None):
    """(dispatcher scope, process server scope, second process server scope, clerk scope)."""
    court = court or await make_court()
    dispatcher, _, _ = await make_staff(court, "dispatcher", settings=settings)
    server, _, _ = await make_staff(court, "process_server", settings=settings)
    other, _, _ = await make_staff(court, "process_server", settings=settings)
    clerk, _, _ = await make_staff(court, "clerk", settings=settings)
    return (Scope(dispatcher.id, centre_id=court.centre_id),
            Scope(server.id, centre_id=court.centre_id, assignee_id=server.id),
            Scope(other.id, centre_id=court.centre_id, assignee_id=other.id),
            Scope(clerk.id, court_id=court.id))
