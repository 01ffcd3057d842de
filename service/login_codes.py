"""The portal login code (诉讼服务网登录验证码): asked for by any phone, texted only to a phone on file.

Whether a phone is on file must not show, neither in the answer nor in how long it takes: the
request does the same work for every phone (``identity.code_requests.issue_pending_code``: the
same limits, the same statements, the same HMAC, a code stored either way) and queues one
``login_code`` outbox job, in the transaction that stores the code. The job (run by the consumer,
off the request path) looks the phone up and texts the code only when some recipient carries
it; for any other phone it sends nothing and spends no SMS budget. The job holds the phone and
the code encrypted with the PII cipher, and forgets both once it has run.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from types import SimpleNamespace

from core.settings import Settings
from identity.code_requests import PendingCode, issue_pending_code, text_pending_code
from identity.limits import LimitBackend, build_limit_backend
from identity.models import CodePurpose
from identity.pii_keys import pii_cipher
from identity.sms.gateway import SmsGateway, SmsUnavailable
from jobs.consumer import run_batch
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import enqueue
from jobs.registry import JobContext, JobType, RetryRule, one_at_a_time
from service.models import Recipient

__all__ = ["LOGIN_CODE_JOBS", "request_login_code", "send_pending_login_codes"]


async def request_login_code(phone: str, *, client_ip: str, limits: LimitBackend, settings: Settings,
                             now: datetime) -> None:
    """Issue a login code for the normalised ``phone`` and queue its text; the same work and the
    same outcome for every phone. Raises what ``issue_pending_code`` raises (429s, lock)."""
    subject = pii_cipher(settings).blind_index(phone, context="phone")

    async def queue(pending: PendingCode) -> None:
        await enqueue(JobKind.LOGIN_CODE, f"login_code:{secrets.token_hex(16)}", pending.payload(), now=now)

    await issue_pending_code(purpose=CodePurpose.LOGIN, subject=subject, phone=phone, client_ip=client_ip,
                             limits=limits, settings=settings, now=now, queue=queue)


def _limits(ctx: JobContext) -> LimitBackend:
    # The web process's own backend when it runs the consumer; the worker builds one, once.
    backend = getattr(ctx.providers, "limit_backend", None)
    if backend is None:
        backend = ctx.providers.limit_backend = build_limit_backend(ctx.settings)
    return backend


async def _login_code_job(job: OutboxJob, ctx: JobContext) -> bool:
    pending = PendingCode.from_payload(job.payload)
    sent = False
    if await Recipient.filter(phone_index=pending.subject).exists():
        sent = await text_pending_code(pending, gateway=ctx.providers.sms_gateway, limits=_limits(ctx),
                                       settings=ctx.settings, now=ctx.now)
    # Done: neither the phone nor the code is kept, even encrypted.
    await OutboxJob.filter(id=job.id).update(payload={})
    return sent


# Someone is waiting for the text: urgent, drained for up to half a second a tick. An SMS outage is
# retried briefly; a code lives minutes, so the job gives up after ten (a text after that is useless).
LOGIN_CODE_JOBS = JobType(
    JobKind.LOGIN_CODE,
    one_at_a_time(_login_code_job, transient=(SmsUnavailable,), reason=lambda exc: exc.message),
    batch=20, lease=timedelta(minutes=1),
    retry=RetryRule(base=timedelta(seconds=5), cap=timedelta(seconds=30), give_up_after=timedelta(minutes=10)),
    budget=0.5, urgent=True, priority=50)


async def send_pending_login_codes(*, gateway: SmsGateway, settings: Settings, worker_id: str, now: datetime,
                                   limit: int = 20) -> int:
    """One batch now, through the consumer's path (tests, demo): how many codes were texted."""
    _, sent = await run_batch(LOGIN_CODE_JOBS, JobContext(SimpleNamespace(sms_gateway=gateway), settings, worker_id,
                                                          now), limit=limit)
    return sent
