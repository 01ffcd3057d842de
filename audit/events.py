"""Recording facts. Call ``record_event`` inside the same transaction as the state change."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from audit.choices import ActorKind, EventType
from audit.models import Event
from core.sql import insert


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "system")


@dataclass(frozen=True)
class RequestMeta:
    """Where a request came from; stored with every event (docuseal's tracking data)."""

    ip: str = ""
    user_agent: str = ""

    @classmethod
    def none(cls) -> RequestMeta:
        return cls()


def event_row(
    type: EventType,
    *,
    court_id: int,
    actor: Actor,
    meta: RequestMeta,
    service_id: int | None = None,
    recipient_id: int | None = None,
    delivery_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """An unsaved event, for bulk inserts."""
    return Event(
        type=type,
        court_id=court_id,
        service_id=service_id,
        recipient_id=recipient_id,
        delivery_id=delivery_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        data=data or {},
        ip=meta.ip[:64],
        user_agent=meta.user_agent[:500],
    )


# Called with every recorded event of the types it names, inside the event's transaction (the
# court's webhooks enqueue their outbox jobs here). Registered by the app at assembly, so
# documents/ need not import court/. Naming the types lets a step whose event nobody listens to
# record it in one statement, without a transaction around it (service/access.py).
EventListener = Callable[[Event], Awaitable[Any]]
_listeners: dict[EventListener, frozenset[EventType]] = {}


def on_event_recorded(listener: EventListener, types: Iterable[EventType]) -> None:
    _listeners[listener] = frozenset(types)


def has_listeners(type: EventType) -> bool:
    return any(type in types for types in _listeners.values())


async def record_event(type: EventType, **kwargs: Any) -> Event:
    event = await insert(event_row(type, **kwargs))
    await announce(event)
    return event


async def announce(event: Event) -> None:
    """Call the listeners of an event stored by other means (inside one composed statement),
    still inside its transaction; ``record_event`` does this itself."""
    for listener, types in _listeners.items():
        if event.type in types:
            await listener(event)
