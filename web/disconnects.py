"""Writes that finish even when the client goes away.

sanic cancels a handler whose connection drops (a phone losing signal, a double tap that makes
the browser abandon the first request). A use case that is one transaction survives that (it
rolls back), but a handler that makes several steps — consume the SMS code, rotate the session,
mark the delivery verified — would be left half done, and a cancellation inside a transaction
makes the connection's rollback race the next request. So write handlers run to their end in a
task of their own; the dropped client simply never reads the answer.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from core.errors import AppError

log = logging.getLogger(__name__)


def finish_on_disconnect(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """For handlers whose body sanic has already read (not ``stream=True`` routes)."""

    @wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        task = asyncio.ensure_future(handler(*args, **kwargs))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_outcome_after_disconnect)
            raise

    return wrapper


def _outcome_after_disconnect(task: asyncio.Future) -> None:
    if task.cancelled():
        return
    error = task.exception()
    # A refusal (wrong code, already signed) is an answer nobody is waiting for; anything else
    # is a fault to log as the error handler would have.
    if error is not None and not isinstance(error, AppError):
        log.error("handler failed after its client disconnected", exc_info=error)
