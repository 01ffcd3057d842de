"""What phone/ runs in the background: asking the provider about calls still ringing, fetching
recordings (with backoff), copying SMS arrival reports onto tasks, and recording retention."""
from __future__ import annotations

from jobs.registry import JobContext, JobRegistry, PeriodicTask
from phone.calls import refresh_open_calls
from phone.recordings import delete_expired_recordings, fetch_due_recordings
from phone.texts import record_text_reports

CALLS_EVERY = 3         # ticks (about seconds): a staff member is waiting for the call's end
RETENTION_EVERY = 3600


async def _calls(ctx: JobContext) -> None:
    await refresh_open_calls(telephony=ctx.providers.telephony, settings=ctx.settings, now=ctx.now)
    await fetch_due_recordings(telephony=ctx.providers.telephony, storage=ctx.providers.storage,
                               settings=ctx.settings, now=ctx.now)
    await record_text_reports(now=ctx.now)


async def _retention(ctx: JobContext) -> None:
    await delete_expired_recordings(storage=ctx.providers.storage, settings=ctx.settings, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.add_periodic(PeriodicTask("phone.calls", _calls, every=CALLS_EVERY))
    jobs.add_periodic(PeriodicTask("phone.recording_retention", _retention, every=RETENTION_EVERY))
