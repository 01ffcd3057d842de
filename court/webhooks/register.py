"""Webhooks: the events a court system is pushed enqueue their jobs in the event's own
transaction (documents/ and service/ may not import court/), and the relay sends them."""
from __future__ import annotations

from audit.events import on_event_recorded
from court.webhooks.relay import WEBHOOK_JOBS
from court.webhooks.subscriptions import WEBHOOK_EVENTS, enqueue_webhooks
from jobs.registry import JobRegistry


def register(jobs: JobRegistry) -> None:
    on_event_recorded(enqueue_webhooks, WEBHOOK_EVENTS)
    jobs.add_job_type(WEBHOOK_JOBS)
