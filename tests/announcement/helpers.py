"""Building blocks for the announcement tests: a recipient every channel failed for, the centre's
people, and an announcement ready to go to the paper."""
from __future__ import annotations

from datetime import datetime, timezone

from announcement.announcements import record_fee, request_announcement
from announcement.choices import FeePayer, FeeStatus
from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from tests.centre.helpers import centre_people
from tests.factories import make_court, make_service

META = RequestMeta.none()


def now() -> datetime:
    return datetime.now(timezone.utc)


async def announcement_case(settings, *, abroad: bool = False, court=None):
    """(announcement, recipient, (dispatcher, server, other, clerk) scopes), assigned and fee paid."""
    court = court or await make_court()
    scopes = await centre_people(settings, court)
    dispatcher, server, _, clerk = scopes
    _, people, _ = await make_service(court, settings, channels=["sms", "phone"])
    found = await request_announcement(clerk, people[0].id, abroad=abroad, collect_at="本院诉讼服务中心", now=now(),
                                       meta=META)
    await assign_tasks(dispatcher, [found.attempt_id], server.assignee_id, now=now(), meta=META)
    found = await record_fee(clerk, found.id, payer=FeePayer.PARTY, status=FeeStatus.PAID, note="原告已缴纳",
                             now=now(), meta=META)
    return found, people[0], scopes
