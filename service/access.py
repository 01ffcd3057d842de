"""A recipient's delivery, document and receipt, and their steps: opened → verified → viewed.

The one access module of the recipient aggregate (portal, mini-program, console, verify page):
surfaces ask it for a visit by session, a delivery of their recipients, a document of a
delivery, a receipt by number, and never assemble SQL or re-check a scope themselves. Every
query is scoped in the query itself (to the delivery's own recipient, the session's phone, the
caller's recipients or court), so one litigant's delivery can never be used to reach another's
documents; what is out of scope is "not found". Each step commits together with its event in one composed
statement (a compare-and-set); when it changed nothing, a read says why.
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from functools import cache

from tortoise import timezone
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, announce, event_row, has_listeners, record_event
from audit.models import Event
from core.errors import AppError, NotFound
from core.sql import columns, fetch, instance
from documents.models import Document
from identity.models import Session
from service.choices import Channel, DeliveryState, ServiceStatus
from service.delivery_states import can_move
from service.effects import facts_select
from service.models import Case, Court, Delivery, Receipt, Recipient, RecipientDocument, Service, ServiceDocument

_EVENT = {
    DeliveryState.NOTIFIED: EventType.DELIVERY_NOTIFIED,
    DeliveryState.ARRIVED: EventType.DELIVERY_ARRIVED,
    DeliveryState.OPENED: EventType.DELIVERY_OPENED,
    DeliveryState.VERIFIED: EventType.DELIVERY_VERIFIED,
    DeliveryState.VIEWED: EventType.DELIVERY_VIEWED,
    DeliveryState.FAILED: EventType.DELIVERY_FAILED,
    DeliveryState.EXPIRED: EventType.DELIVERY_EXPIRED,
}


# A delivery whose documents may be read and downloaded.
_READABLE = (DeliveryState.VERIFIED, DeliveryState.VIEWED, DeliveryState.SIGNED)


class DeliveryClosed(AppError):
    """The service was revoked or has expired: shown to the litigant with the court's phone."""

    status = 410
    code = "delivery_closed"


@cache
def delivery_read() -> tuple[str, str]:
    """The select list and FROM clause of a delivery as a page shows it (with its service, case,
    court and recipient; aliases d, s, c, ct, r), for ``delivery_of_row``. Also joined to the
    visitor's session in one statement (portal/pages.py)."""
    d, s = Delivery._meta.db_table, Service._meta.db_table
    select = (f'{columns(Delivery, "d")}, {columns(Service, "s")}, {columns(Case, "c")}, '
              f'{columns(Court, "ct")}, {columns(Recipient, "r")}')
    joins = (f'"{d}" "d" JOIN "{s}" "s" ON "s"."id" = "d"."service_id" '
             f'JOIN "{Case._meta.db_table}" "c" ON "c"."id" = "s"."case_id" '
             f'JOIN "{Court._meta.db_table}" "ct" ON "ct"."id" = "c"."court_id" '
             f'JOIN "{Recipient._meta.db_table}" "r" ON "r"."id" = "d"."recipient_id"')
    return select, joins


@cache
def _delivery_sql(lock: bool) -> str:
    d, s = Delivery._meta.db_table, Service._meta.db_table
    if lock:
        # Locks the delivery row alone (locking the service row too would serialise every
        # recipient of a service) but reads its service in the same statement.
        return (f'SELECT {columns(Delivery, "d")}, {columns(Service, "s")} FROM "{d}" "d" '
                f'JOIN "{s}" "s" ON "s"."id" = "d"."service_id" WHERE "d"."id" = $1 FOR UPDATE OF d')
    select, joins = delivery_read()
    return f'SELECT {select} FROM {joins} WHERE "d"."id" = $1'


async def live_delivery(delivery_id: int, *, now: datetime, for_update: bool = False) -> Delivery:
    """The delivery with its service (and, unless locked, its case, court and recipient), or
    ``DeliveryClosed`` once revoked or expired."""
    rows = await fetch(Delivery, _delivery_sql(for_update), delivery_id)
    return delivery_of_row(rows[0] if rows else None, now=now, joined=not for_update)


def delivery_of_row(row: dict | None, *, now: datetime, joined: bool = True) -> Delivery:
    """The delivery read by ``delivery_read`` (``joined``) or with its service alone; 404 when
    there is none, ``DeliveryClosed`` once revoked or expired."""
    if row is None or row["d.id"] is None:
        raise NotFound("送达不存在", code="delivery_not_found")
    delivery = instance(Delivery, row, "d")
    service = delivery.service = instance(Service, row, "s")
    if joined:
        case = service.case = instance(Case, row, "c")
        case.court = instance(Court, row, "ct")
        delivery.recipient = instance(Recipient, row, "r")
    if delivery.state is DeliveryState.REVOKED or service.status is ServiceStatus.REVOKED:
        raise DeliveryClosed("该送达已被法院撤回", code="delivery_revoked")
    if delivery.state is DeliveryState.EXPIRED or (service.expires_at <= now and delivery.state is not DeliveryState.SIGNED):
        raise DeliveryClosed("该送达链接已过期", code="delivery_expired")
    return delivery


async def advance(delivery_id: int, target: DeliveryState, *, actor: Actor, meta: RequestMeta,
                  now: datetime, data: dict | None = None) -> Delivery:
    """Move forward if the delivery has not been there yet; a repeat is a quiet no-op (a litigant
    opening the link twice is not an error). The move and its event are one compare-and-set
    statement; it runs in a transaction only when a listener (the court's webhooks) must write
    with it."""
    listened = has_listeners(_EVENT[target])
    async with in_transaction() if listened else nullcontext():
        moved = await fetch(Delivery, _advance_sql(target), delivery_id, now, *_event_values(
            _EVENT[target], actor, meta, data))
        if moved:
            delivery = instance(Delivery, moved[0], "d")
            delivery.service = instance(Service, moved[0], "s")
            if listened:
                await announce(instance(Event, moved[0], "ev"))
            return delivery
    # Nothing moved: unknown or closed (``live_delivery`` raises), or already there or further.
    return await live_delivery(delivery_id, now=now)


_EVENT_COLUMNS = ("type", "actor_kind", "actor_id", "data", "ip", "user_agent", "created_at")


def _event_values(type: EventType, actor: Actor, meta: RequestMeta, data: dict | None) -> tuple:
    """``_EVENT_COLUMNS`` as ``record_event`` would store them (its truncation, its JSON)."""
    event = event_row(type, court_id=0, actor=actor, meta=meta, data=data)
    return (event.type.value, event.actor_kind.value, event.actor_id,
            Event._meta.fields_map["data"].to_db_value(event.data, event), event.ip, event.user_agent,
            timezone.now())


@cache
def _access_sql(download: bool) -> str:
    """$1 delivery id, $2 document id, $3 now, $4… the event's ``_EVENT_COLUMNS``. Counts the
    access only while the delivery is verified (or further) and open, as the locked path checks,
    records its event, and says whether every other document had been opened already (with the
    document, for the page that shows it). The delivery row is share-locked: a revocation or a
    signature of the same delivery waits."""
    d, s, rd = Delivery._meta.db_table, Service._meta.db_table, RecipientDocument._meta.db_table
    readable = ", ".join(f"'{state.value}'" for state in _READABLE)
    if download:
        counts = '"download_count" = "rd"."download_count" + 1, "first_downloaded_at" = COALESCE("rd"."first_downloaded_at", $3)'
        # A download does not count as opening: this document's own row must have been read too.
        unread = ""
    else:
        counts = ('"view_count" = "rd"."view_count" + 1, "first_viewed_at" = COALESCE("rd"."first_viewed_at", $3), '
                  '"last_viewed_at" = $3')
        # The statement sees the rows as they were before it: this view reads this document.
        unread = 'AND "other"."document_id" <> $2 '
    event = _event_insert("counted", 4, ids='"court_id", "service_id", "recipient_id", "id"')
    event += f' RETURNING {columns(Event, "ev")}'
    return (f'WITH "live" AS (SELECT "d"."id", "d"."service_id", "d"."recipient_id", "d"."state", "s"."court_id" '
            f'FROM "{d}" "d" JOIN "{s}" "s" ON "s"."id" = "d"."service_id" WHERE "d"."id" = $1 '
            f'AND "d"."state" IN ({readable}) AND "s"."status" <> \'{ServiceStatus.REVOKED.value}\' '
            f'AND ("s"."expires_at" > $3 OR "d"."state" = \'{DeliveryState.SIGNED.value}\') FOR SHARE OF "d"), '
            f'"counted" AS (UPDATE "{rd}" AS "rd" SET {counts} FROM "live" '
            f'WHERE "rd"."recipient_id" = "live"."recipient_id" AND "rd"."document_id" = $2 '
            f'RETURNING "live".*), '
            f'"recorded" AS ({event}) '
            f'SELECT "state", NOT EXISTS (SELECT 1 FROM "{rd}" "other" WHERE "other"."recipient_id" = "counted"."recipient_id" '
            f'{unread}AND "other"."first_viewed_at" IS NULL) AS "all_read", {columns(Document, "doc")}, "recorded".* '
            f'FROM "counted" JOIN "{Document._meta.db_table}" "doc" ON "doc"."id" = $2, "recorded"')


@cache
def _advance_sql(target: DeliveryState) -> str:
    """$1 delivery id, $2 now, $3… the event's ``_EVENT_COLUMNS``. Moves the delivery only from a
    state it may move from, while its service is neither revoked nor expired (what
    ``live_delivery`` checks), and returns it with its service and the recorded event. The
    UPDATE locks the delivery row alone, as the locked path does."""
    sources = ", ".join(f"'{state.value}'" for state in DeliveryState if can_move(state, target))
    event = _event_insert("moved", 3, ids='"s.court_id", "d.service_id", "d.recipient_id", "d.id"')
    return (f'WITH "moved" AS (UPDATE "{Delivery._meta.db_table}" AS "d" '
            f'SET "state" = \'{target.value}\', "{target.value}_at" = $2 FROM "{Service._meta.db_table}" AS "s" '
            f'WHERE "d"."id" = $1 AND "s"."id" = "d"."service_id" AND "d"."state" IN ({sources}) '
            f'AND "s"."status" <> \'{ServiceStatus.REVOKED.value}\' AND "s"."expires_at" > $2 '
            f'RETURNING {columns(Delivery, "d")}, {columns(Service, "s")}), '
            f'"recorded" AS ({event} RETURNING {columns(Event, "ev")}) '
            f'SELECT * FROM "moved", "recorded"')


def _event_insert(source: str, first_param: int, *, ids: str) -> str:
    """The INSERT of a composed step's event: its court, service, recipient and delivery ids are
    ``ids`` of the CTE ``source``, its ``_EVENT_COLUMNS`` parameters from ``$first_param`` on."""
    params = ", ".join(f"${n}" for n in range(first_param, first_param + len(_EVENT_COLUMNS)))
    names = ", ".join(f'"{column}"' for column in _EVENT_COLUMNS)
    return (f'INSERT INTO "{Event._meta.db_table}" AS "ev" ("court_id", "service_id", "recipient_id", "delivery_id", '
            f'{names}) SELECT {ids}, {params} FROM "{source}"')


async def record_identity_step(delivery: Delivery, type: EventType, *, actor: Actor, meta: RequestMeta,
                               data: dict | None = None) -> None:
    """A code texted for this delivery, or a code that did not verify (with the reason): the
    timeline a clerk reads when a litigant says "the code never came" or "I was locked out".
    No state changes; the code itself is never in ``data``."""
    await record_event(type, court_id=await _court_id(delivery), service_id=delivery.service_id,
                       recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                       actor=actor, meta=meta, data=data)


async def service_of(delivery: Delivery) -> Service:
    """The delivery's service: the one ``live_delivery`` loaded, else one query."""
    service = delivery.service
    if isinstance(service, Service):
        return service
    service = await Service.get(id=delivery.service_id)
    delivery.service = service
    return service


async def case_of(delivery: Delivery) -> Case:
    """The delivery's case with its court: the ones ``live_delivery`` loaded, else one query."""
    service = await service_of(delivery)
    case = service.case
    if not isinstance(case, Case):
        case = service.case = await Case.get(id=service.case_id).select_related("court")
    return case


async def recipient_of(delivery: Delivery) -> Recipient:
    recipient = delivery.recipient
    if not isinstance(recipient, Recipient):
        recipient = delivery.recipient = await Recipient.get(id=delivery.recipient_id)
    return recipient


async def receipt_of(delivery: Delivery) -> Receipt | None:
    """The delivery's receipt once signed (sealed or still pending), else None."""
    rows = await fetch(Receipt, _receipt_sql(), delivery.id)
    return instance(Receipt, rows[0], "rc") if rows else None


@cache
def _receipt_sql() -> str:
    return f'SELECT {columns(Receipt, "rc")} FROM "{Receipt._meta.db_table}" "rc" WHERE "rc"."delivery_id" = $1'


async def _court_id(delivery: Delivery) -> int:
    return (await service_of(delivery)).court_id


async def documents_of(delivery: Delivery) -> list[Document]:
    """The delivery's documents in the court's order — only its own recipient's rows."""
    return [document for document, _ in await reading_of(delivery)]


@cache
def _reading_sql() -> str:
    rd, sd = RecipientDocument._meta.db_table, ServiceDocument._meta.db_table
    return (f'SELECT {columns(RecipientDocument, "rd")}, {columns(Document, "doc")} FROM "{rd}" "rd" '
            f'JOIN "{Document._meta.db_table}" "doc" ON "doc"."id" = "rd"."document_id" '
            f'LEFT JOIN "{sd}" "sd" ON "sd"."service_id" = $2 AND "sd"."document_id" = "rd"."document_id" '
            f'WHERE "rd"."recipient_id" = $1 ORDER BY COALESCE("sd"."position", 0), "rd"."id"')


async def reading_of(delivery: Delivery) -> list[tuple[Document, RecipientDocument]]:
    """Each document of the delivery (court's order) with its recipient's reading row."""
    rows = await fetch(RecipientDocument, _reading_sql(), delivery.recipient_id, delivery.service_id)
    return [(instance(Document, row, "doc"), instance(RecipientDocument, row, "rd")) for row in rows]


async def record_document_access(delivery_id: int, document_id: int, *, download: bool, actor: Actor,
                                 meta: RequestMeta, now: datetime) -> Document:
    """Count a view or download of one document and return it; the delivery becomes ``viewed``
    once every document has been opened. Unknown or foreign document ids are 404.

    The count and its event are one statement; the move to ``viewed`` is a second one. A crash
    between them leaves a verified delivery with every document read, which the next view moves
    on and which signing accepts as it is (it needs verified or viewed, and nothing unread)."""
    type = EventType.DOCUMENT_DOWNLOADED if download else EventType.DOCUMENT_VIEWED
    listened = has_listeners(type)
    async with in_transaction() if listened else nullcontext():
        counted = await fetch(Delivery, _access_sql(download), delivery_id, document_id, now,
                              *_event_values(type, actor, meta, {"document_id": document_id}))
        if counted and listened:
            await announce(instance(Event, counted[0], "ev"))
    if not counted:
        raise await _not_counted(delivery_id, now=now)
    if counted[0]["state"] == DeliveryState.VERIFIED.value and counted[0]["all_read"]:
        # The last unread document: the delivery moves on, and a court hears of that.
        await advance(delivery_id, DeliveryState.VIEWED, actor=actor, meta=meta, now=now)
    return instance(Document, counted[0], "doc")


async def _not_counted(delivery_id: int, *, now: datetime) -> AppError:
    """Why a view counted nothing: unknown or closed delivery (raised by ``live_delivery``), not
    yet verified, or a document that is not this recipient's."""
    delivery = await live_delivery(delivery_id, now=now)
    if delivery.state not in _READABLE:
        return AppError("请先验证身份", code="not_verified", status=403)
    return NotFound("文书不存在", code="document_not_found")


# --- scoped lookups: what each surface may show its visitor ---------------------------------

async def visit_by_session(session_hash: str, delivery_id: int, *,
                           facts: bool = False) -> tuple[Session | None, dict | None]:
    """The session with this hash and, in the same statement (every /d/ page needs both), the
    delivery as ``delivery_read`` reads it: ``(None, None)`` for an unknown session. The row is
    for ``delivery_of_row``, to be called only once the session is known to open this delivery
    (a link session for it; a portal session asks ``portal_delivery``). ``facts``: the row also
    carries the recipient's legal-effect facts (``service.effects.facts_of_row``), for the landing
    page, which shows the effect line and writes nothing before it."""
    rows = await fetch(Session, _visit_sql(facts), session_hash, delivery_id)
    if not rows:
        return None, None
    return instance(Session, rows[0], "x"), rows[0]


@cache
def _visit_sql(facts: bool) -> str:
    select, joins = delivery_read()
    if facts:
        select += ", " + facts_select('"d"."recipient_id"', '"d"."service_id"', '"r"')
    return (f'SELECT {columns(Session, "x")}, {select} FROM "{Session._meta.db_table}" "x" '
            f'LEFT JOIN ({joins}) ON "d"."id" = $2 WHERE "x"."sid_hash" = $1')


async def portal_delivery(phone_index: str, delivery_id: int, *, now: datetime) -> Delivery | None:
    """The ``portal``-channel delivery of a recipient row carrying this phone (by blind index),
    read as ``live_delivery`` reads it; None when it is not theirs."""
    rows = await fetch(Delivery, _portal_delivery_sql(), delivery_id, phone_index)
    return delivery_of_row(rows[0], now=now) if rows else None


@cache
def _portal_delivery_sql() -> str:
    select, joins = delivery_read()
    return (f'SELECT {select} FROM {joins} WHERE "d"."id" = $1 '
            f'AND "d"."channel" = \'{Channel.PORTAL.value}\' AND "r"."phone_index" = $2')


async def delivery_for_recipients(recipient_ids: list[int], delivery_id: int, *, channel: Channel) -> Delivery:
    """One of these recipients' deliveries on ``channel``; another's is 404."""
    delivery = await Delivery.get_or_none(id=delivery_id, recipient_id__in=recipient_ids, channel=channel)
    if delivery is None:
        raise NotFound("送达不存在", code="delivery_not_found")
    return delivery


async def document_for_delivery(delivery: Delivery, document_id: int) -> Document:
    """A document served to the delivery's own recipient; any other id is 404."""
    rows = await fetch(Document, _document_sql(), delivery.recipient_id, document_id)
    if not rows:
        raise NotFound("文书不存在", code="document_not_found")
    return instance(Document, rows[0], "doc")


@cache
def _document_sql() -> str:
    return (f'SELECT {columns(Document, "doc")} FROM "{RecipientDocument._meta.db_table}" "rd" '
            f'JOIN "{Document._meta.db_table}" "doc" ON "doc"."id" = "rd"."document_id" '
            f'WHERE "rd"."recipient_id" = $1 AND "rd"."document_id" = $2')


async def receipt_for_recipients(recipient_ids: list[int], receipt_no: str) -> Receipt:
    """One of these recipients' receipts by its number; another's is 404."""
    receipt = await Receipt.get_or_none(receipt_no=receipt_no, recipient_id__in=recipient_ids)
    if receipt is None:
        raise NotFound("送达回证不存在", code="receipt_not_found")
    return receipt


async def receipts_of_recipients(recipient_ids: list[int]) -> dict[int, Receipt]:
    """The receipts of these recipients (ids the caller scoped already), by recipient id."""
    return {r.recipient_id: r for r in await Receipt.filter(recipient_id__in=recipient_ids)}


async def receipt_for_court(court_id: int, receipt_id: int) -> Receipt | None:
    """A receipt of this court (the console); another court's is None."""
    return await Receipt.get_or_none(id=receipt_id, court_id=court_id)


async def receipt_by_number(receipt_no: str) -> Receipt:
    """The public lookup behind the QR code (the number is random and unguessable): the receipt
    with its court, its service with the case, its recipient and its delivery, in one statement."""
    rows = await fetch(Receipt, _receipt_by_number_sql(), receipt_no.strip().upper()[:32])
    if not rows:
        raise NotFound("未找到该编号的送达回证：它不是本平台出具的", code="receipt_not_found")
    row = rows[0]
    receipt = instance(Receipt, row, "rc")
    receipt.court = instance(Court, row, "ct")
    service = receipt.service = instance(Service, row, "s")
    service.case = instance(Case, row, "c")
    receipt.recipient = instance(Recipient, row, "r")
    receipt.delivery = instance(Delivery, row, "d")
    return receipt


@cache
def _receipt_by_number_sql() -> str:
    return (f'SELECT {columns(Receipt, "rc")}, {columns(Court, "ct")}, {columns(Service, "s")}, '
            f'{columns(Case, "c")}, {columns(Recipient, "r")}, {columns(Delivery, "d")} '
            f'FROM "{Receipt._meta.db_table}" "rc" '
            f'JOIN "{Court._meta.db_table}" "ct" ON "ct"."id" = "rc"."court_id" '
            f'JOIN "{Service._meta.db_table}" "s" ON "s"."id" = "rc"."service_id" '
            f'JOIN "{Case._meta.db_table}" "c" ON "c"."id" = "s"."case_id" '
            f'JOIN "{Recipient._meta.db_table}" "r" ON "r"."id" = "rc"."recipient_id" '
            f'JOIN "{Delivery._meta.db_table}" "d" ON "d"."id" = "rc"."delivery_id" '
            f'WHERE "rc"."receipt_no" = $1')


async def service_documents(service_id: int) -> list[Document]:
    """A service's documents in the court's order (the verify page lists what the receipt covers)."""
    return [sd.document for sd in await ServiceDocument.filter(service_id=service_id)
            .order_by("position").prefetch_related("document")]
