"""Building blocks for the mail tests: mail tasks at known addresses, assigned, with the court's
price table set."""
from __future__ import annotations

from datetime import datetime, timezone

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from core.settings import Settings
from documents.storage import LocalStorage
from mail.costs import set_prices
from service.models import Court, Recipient
from tests.centre.helpers import centre_people, service_with_tasks
from tests.factories import make_court

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()
LIUZHOU = "广西壮族自治区柳州市城中区示范路{n}号"
BEIHAI = "广西壮族自治区北海市海城区北部湾路{n}号"
GUANGZHOU = "广东省广州市天河区体育西路{n}号"


async def mail_tasks(settings: Settings, addresses: list[str], *, court: Court | None = None, documents: int = 1,
                     assignee_id: int | None = None, assign: bool = True):
    """One service with a recipient per address, each with a mail task (and an SMS delivery),
    assigned to a process server. Returns (people, [tasks], storage): people as centre_people."""
    court = court or await make_court()
    await set_prices(court.id, origin="广西壮族自治区柳州市城中区法院路1号", printing_fen=800, same_city_fen=2000,
                     same_province_fen=3000, other_province_fen=4000, now=NOW)
    people = await centre_people(settings, court)
    from tests.factories import make_service
    service, recipients, _ = await make_service(court, settings, recipients=len(addresses), documents=documents,
                                                channels=["sms", "mail"])
    from identity.pii_keys import pii_cipher
    from service.recipient_address import seal_address
    for recipient, address in zip(recipients, addresses, strict=True):
        sealed, masked = seal_address(pii_cipher(settings), address)
        await Recipient.filter(id=recipient.id).update(address_cipher=sealed, address_masked=masked)
    from service.models import Attempt
    tasks = await Attempt.filter(service_id=service.id, delivery_id=None).order_by("recipient_id")
    if assign:
        await assign_tasks(people[0], [t.id for t in tasks], assignee_id or people[1].staff_id, now=NOW, meta=META)
    return people, tasks, LocalStorage(settings.files_dir)


__all__ = ["BEIHAI", "GUANGZHOU", "LIUZHOU", "META", "NOW", "mail_tasks", "service_with_tasks"]
