"""Who may see which attempts, decided in the query itself.

The surface turns a signed-in staff account into a ``Scope``; domain code never learns roles,
only the rows a scope covers: a court's attempts (clerk, judge, admin), a service centre's
(dispatcher), or one process server's own tasks within their centre.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.choices import ActorKind
from audit.events import Actor


@dataclass(frozen=True)
class Scope:
    staff_id: int
    court_id: int | None = None      # court staff: every attempt of this court
    centre_id: int | None = None     # centre staff: attempts of the centre's courts
    assignee_id: int | None = None   # a process server: only tasks assigned to them

    def __post_init__(self) -> None:
        if (self.court_id is None) == (self.centre_id is None):
            raise ValueError("a scope is a court's or a centre's")
        if self.assignee_id is not None and self.centre_id is None:
            raise ValueError("only centre staff have tasks of their own")

    @property
    def actor(self) -> Actor:
        return Actor(ActorKind.STAFF, str(self.staff_id))

    @property
    def dispatches(self) -> bool:
        """A centre-wide scope: the dispatcher's."""
        return self.centre_id is not None and self.assignee_id is None

    def attempt_filter(self, prefix: str = "") -> dict[str, Any]:
        """Tortoise filter kwargs over Attempt (``prefix`` like ``"attempt__"`` from a related model)."""
        if self.court_id is not None:
            return {f"{prefix}court_id": self.court_id}
        kwargs: dict[str, Any] = {f"{prefix}centre_id": self.centre_id}
        if self.assignee_id is not None:
            kwargs[f"{prefix}assignee_id"] = self.assignee_id
        return kwargs

    def sql(self, alias: str, first_param: int) -> tuple[str, list[Any]]:
        """The same rule as a SQL condition on attempt ``alias``, with its parameters from
        ``$first_param``."""
        if self.court_id is not None:
            return f'"{alias}"."court_id" = ${first_param}', [self.court_id]
        if self.assignee_id is not None:
            return (f'"{alias}"."centre_id" = ${first_param} AND "{alias}"."assignee_id" = ${first_param + 1}',
                    [self.centre_id, self.assignee_id])
        return f'"{alias}"."centre_id" = ${first_param}', [self.centre_id]
