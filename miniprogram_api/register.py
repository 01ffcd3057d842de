"""The mini-program surface: its routes, and the subscribe message (订阅消息) queued for each new
service and sent from the outbox."""
from __future__ import annotations

from typing import Any

from audit.choices import EventType
from audit.events import on_event_recorded
from jobs.registry import JobRegistry
from miniprogram_api.subscribe import SUBSCRIBE_JOBS, enqueue_subscribe_messages


def register_jobs(jobs: JobRegistry) -> None:
    on_event_recorded(enqueue_subscribe_messages, {EventType.SERVICE_CREATED})
    jobs.add_job_type(SUBSCRIBE_JOBS)


def register(app: Any) -> None:
    from miniprogram_api.confirmation_routes import bp as confirmation
    from miniprogram_api.face_routes import bp as face
    from miniprogram_api.routes import bp as api

    app.blueprint(api)
    app.blueprint(face)
    app.blueprint(confirmation)
