"""The packages the app is assembled from. Each registers itself: domain packages their job
types, periodic tasks and event listeners into a ``JobRegistry``; surfaces their routes into
the sanic app. The server and the worker both build their registry here."""
from __future__ import annotations

from functools import cache
from typing import Any

from jobs.registry import JobRegistry


@cache
def job_registry() -> JobRegistry:
    """Every package's background work. Built once per process and shared by every app in it:
    event listeners (``audit.events``) are process-wide, so they are registered once, too."""
    from address_confirmation.register import register as address_confirmation
    from announcement.register import register as announcement
    from audit.register import register as audit
    from centre.register import register as centre
    from court.webhooks.register import register as webhooks
    from entrusted.register import register as entrusted
    from inperson.register import register as inperson
    from mail.register import register as mail
    from miniprogram_api.register import register_jobs as miniprogram
    from phone.register import register as phone
    from receipts.register import register as receipts
    from service.register import register as service

    registry = JobRegistry()
    for register in (receipts, service, centre, mail, phone, inperson, announcement, entrusted, address_confirmation,
                     webhooks, miniprogram, audit):
        register(registry)
    return registry


def register_surfaces(app: Any) -> None:
    from court.api.register import register as court_api
    from court.console.register import register as console
    from miniprogram_api.register import register as miniprogram
    from portal.register import register as portal

    for register in (court_api, portal, console, miniprogram):
        register(app)
