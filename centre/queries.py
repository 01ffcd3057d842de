"""What the service-centre pages read: the dispatch list (送达分派), a to-do list (送达待办), one
task with everything its handler needs, suggestions of who should take a task, and the court's
list of PII reveals.

Access is decided in each query through ``Scope`` (never fetched first and checked after). The
two lists are keyset-paged on ``(due_at, id)`` over the partial indexes of open tasks
(migration 0004), so page 1000 costs what page 1 does.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from audit.choices import EventType
from audit.models import Event
from centre.models import Contact, Evidence
from centre.scope import Scope
from centre.staff import display_names
from centre.tasks import task_in_scope
from core.errors import Forbidden, NotFound, ValidationFailed
from core.sql import fetch
from documents.models import Document
from service.areas import area_of
from service.choices import TASK_CHANNELS, Channel, Outcome, RecipientRole, TaskStatus
from service.models import Attempt, Case, Court, Recipient, Service

PAGE_SIZE = 50
MAX_AREA, MAX_CASE_NUMBER = 64, 64
# The open statuses a to-do list shows as tabs, then the closed ones.
TO_DO_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.CLOSED)


# -- filters and cursors -------------------------------------------------------------------------

@dataclass(frozen=True)
class DispatchFilters:
    channel: Channel | None = None
    area: str = ""              # a prefix of the task's area (省 市 区)
    court_id: int | None = None
    overdue: bool = False
    case_number: str = ""       # 案号 contains


def dispatch_filters(args: Mapping[str, str]) -> DispatchFilters:
    """Filters from a form's text fields; a bad value is a 422 naming the field."""
    channel = (args.get("channel") or "").strip()
    if channel:
        try:
            channel_value = Channel(channel)
        except ValueError:
            raise ValidationFailed("送达方式无效", code="bad_filter") from None
        if channel_value not in TASK_CHANNELS:
            raise ValidationFailed("送达方式无效：电子送达没有人工任务", code="bad_filter")
    area = (args.get("area") or "").strip()
    if len(area) > MAX_AREA:
        raise ValidationFailed(f"地区不超过{MAX_AREA}个字", code="bad_filter")
    # "广西柳州" finds 广西壮族自治区 柳州市 …: the typed names read as the tasks' areas were written.
    area = area_of(area) or area
    case_number = (args.get("case_number") or "").strip()
    if len(case_number) > MAX_CASE_NUMBER:
        raise ValidationFailed(f"案号不超过{MAX_CASE_NUMBER}个字", code="bad_filter")
    court = (args.get("court") or "").strip()
    if court and not (court.isascii() and court.isdigit() and len(court) < 10):
        raise ValidationFailed("法院无效", code="bad_filter")
    overdue = (args.get("overdue") or "").strip()
    if overdue not in ("", "0", "1", "on"):
        raise ValidationFailed("“只看超期”的取值无效", code="bad_filter")
    return DispatchFilters(channel=Channel(channel) if channel else None, area=area,
                           court_id=int(court) if court else None, overdue=overdue in ("1", "on"),
                           case_number=case_number)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's (due_at, id); ``due_at`` None sorts last."""

    due_at: datetime | None
    id: int

    def encode(self) -> str:
        due = "n" if self.due_at is None else str(int(self.due_at.timestamp() * 1_000_000))
        return f"{due}.{self.id}"


def parse_cursor(text: str | None) -> Cursor | None:
    """``None`` for the first page; a malformed cursor is a 422 (never a 500)."""
    if not text:
        return None
    due, _, ident = text.partition(".")
    try:
        if not (ident.isascii() and ident.isdigit() and 0 < int(ident) < 2**31 and len(due) < 20):
            raise ValueError
        at = None if due == "n" else datetime.fromtimestamp(int(due) / 1_000_000).astimezone()
    except (ValueError, OverflowError, OSError):
        raise ValidationFailed("分页参数无效，请从第一页重新浏览", code="bad_cursor") from None
    return Cursor(at, int(ident))


# -- rows ----------------------------------------------------------------------------------------

@dataclass
class TaskRow:
    id: int
    status: TaskStatus
    channel: Channel
    area: str
    recipient_id: int
    recipient_name: str
    recipient_role: RecipientRole
    case_number: str
    case_id: int
    service_id: int
    court_name: str
    created_at: datetime
    due_at: datetime | None
    hand_back_reason: str
    assignee_id: int | None
    closed_at: datetime | None
    outcome_label: str
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.status is not TaskStatus.CLOSED and self.due_at is not None and self.due_at < self.now

    @property
    def age(self) -> str:
        """How long the task has waited, as a clerk would say it."""
        seconds = max(0, int((self.now - self.created_at).total_seconds()))
        if seconds < 3600:
            return f"{seconds // 60}分钟"
        if seconds < 86400:
            return f"{seconds // 3600}小时"
        return f"{seconds // 86400}天"


@dataclass
class Page:
    rows: list[TaskRow]
    next_cursor: str | None


_SELECT = '''
SELECT "a"."id", "a"."status", "a"."channel", "a"."area", "a"."recipient_id", "a"."service_id",
       "a"."created_at", "a"."due_at", "a"."hand_back_reason", "a"."assignee_id", "a"."closed_at",
       "a"."outcome", "r"."name" AS "recipient_name", "r"."role" AS "recipient_role",
       "c"."case_number", "c"."id" AS "case_id", "ct"."name" AS "court_name"
FROM "attempt" "a"
JOIN "recipient" "r" ON "r"."id" = "a"."recipient_id"
JOIN "service" "s" ON "s"."id" = "a"."service_id"
JOIN "court_case" "c" ON "c"."id" = "s"."case_id"
JOIN "court" "ct" ON "ct"."id" = "a"."court_id"
'''
_DUE = "COALESCE(\"a\".\"due_at\", 'infinity'::timestamptz)"


def _row(row: dict, now: datetime) -> TaskRow:
    return TaskRow(
        id=row["id"], status=TaskStatus(row["status"]), channel=Channel(row["channel"]), area=row["area"],
        recipient_id=row["recipient_id"], recipient_name=row["recipient_name"],
        recipient_role=RecipientRole(row["recipient_role"]), case_number=row["case_number"],
        case_id=row["case_id"], service_id=row["service_id"], court_name=row["court_name"],
        created_at=row["created_at"], due_at=row["due_at"], hand_back_reason=row["hand_back_reason"],
        assignee_id=row["assignee_id"], closed_at=row["closed_at"],
        outcome_label=Outcome(row["outcome"]).label if row["outcome"] else "", now=now)


def _keyset(where: list[str], params: list, cursor: Cursor | None) -> None:
    if cursor is not None:
        params.extend([cursor.due_at, cursor.id])
        n = len(params)
        where.append(f"({_DUE}, \"a\".\"id\") > (COALESCE(${n - 1}::timestamptz, 'infinity'::timestamptz), ${n})")


async def _page(where: list[str], params: list, order: str, now: datetime, page_size: int,
                cursor_of=None) -> Page:
    params.append(page_size + 1)
    sql = f'{_SELECT} WHERE {" AND ".join(where)} ORDER BY {order} LIMIT ${len(params)}'
    rows = [_row(r, now) for r in await fetch(Attempt, sql, *params)]
    more = len(rows) > page_size
    rows = rows[:page_size]
    last = rows[-1] if rows and more else None
    next_cursor = None
    if last is not None:
        next_cursor = cursor_of(last) if cursor_of else Cursor(last.due_at, last.id).encode()
    return Page(rows, next_cursor)


async def dispatch_list(scope: Scope, filters: DispatchFilters, cursor: Cursor | None, *, now: datetime,
                        page_size: int = PAGE_SIZE) -> Page:
    """待分派 and 已退回 tasks of the dispatcher's centre, soonest due first."""
    if not scope.dispatches:
        raise Forbidden("只有调度主管可以查看待分派任务")
    where = ['"a"."centre_id" = $1', "\"a\".\"status\" IN ('unassigned', 'handed_back')",
             '"a"."delivery_id" IS NULL']
    params: list = [scope.centre_id]
    if filters.channel is not None:
        params.append(filters.channel.value)
        where.append(f'"a"."channel" = ${len(params)}')
    if filters.area:
        params.append(_like(filters.area) + "%")
        where.append(f'"a"."area" LIKE ${len(params)}')
    if filters.court_id is not None:
        params.append(filters.court_id)
        where.append(f'"a"."court_id" = ${len(params)}')
    if filters.overdue:
        params.append(now)
        where.append(f'"a"."due_at" < ${len(params)}')
    if filters.case_number:
        # Cases first (a trigram index answers "contains"), then their recipients' tasks: a rare
        # case number never walks the whole list.
        params.append("%" + _like(filters.case_number) + "%")
        where.append(f'"a"."recipient_id" IN (SELECT "r2"."id" FROM "court_case" "c2" '
                     f'JOIN "service" "s2" ON "s2"."case_id" = "c2"."id" '
                     f'JOIN "recipient" "r2" ON "r2"."service_id" = "s2"."id" '
                     f'WHERE "c2"."case_number" ILIKE ${len(params)})')
    _keyset(where, params, cursor)
    return await _page(where, params, f'{_DUE}, "a"."id"', now, page_size)


def todo_status(text: str | None) -> TaskStatus:
    """The to-do tab from a query string: 待办理 by default; a bad value is a 422."""
    if not text:
        return TaskStatus.ASSIGNED
    try:
        status = TaskStatus(text)
    except ValueError:
        raise ValidationFailed("状态无效", code="bad_filter") from None
    if status not in TO_DO_STATUSES:
        raise ValidationFailed("状态无效", code="bad_filter")
    return status


async def todo_list(scope: Scope, status: TaskStatus, cursor: Cursor | None, *, now: datetime,
                    page_size: int = PAGE_SIZE) -> Page:
    """A process server's own tasks in one status (a dispatcher: the centre's), soonest due first;
    closed tasks last closed first."""
    if scope.centre_id is None:
        raise Forbidden("只有送达中心人员有待办任务")
    condition, params = scope.sql("a", 1)
    params = list(params)
    params.append(status.value)
    where = [condition, f'"a"."status" = ${len(params)}', '"a"."delivery_id" IS NULL']
    if status is TaskStatus.CLOSED:
        # Keyset on (closed_at, id) descending; the cursor's due_at carries closed_at here.
        if cursor is not None:
            params.extend([cursor.due_at, cursor.id])
            n = len(params)
            where.append(f'("a"."closed_at", "a"."id") < (${n - 1}::timestamptz, ${n})')
        return await _page(where, params, '"a"."closed_at" DESC, "a"."id" DESC', now, page_size,
                           cursor_of=lambda r: Cursor(r.closed_at, r.id).encode())
    _keyset(where, params, cursor)
    return await _page(where, params, f'{_DUE}, "a"."id"', now, page_size)


# -- one task ------------------------------------------------------------------------------------

@dataclass
class TaskDetail:
    attempt: Attempt
    recipient: Recipient
    service: Service
    case: Case
    court: Court
    documents: list[Document]
    contacts: list[Contact]
    evidence: list[Evidence]
    events: list[Event]
    names: dict[int, str] = field(default_factory=dict)   # staff id → display name
    now: datetime | None = None

    @property
    def overdue(self) -> bool:
        a = self.attempt
        return (a.status is not TaskStatus.CLOSED and a.due_at is not None and self.now is not None
                and a.due_at < self.now)


async def task_detail(scope: Scope, attempt_id: int, *, now: datetime | None = None) -> TaskDetail:
    """The task with its recipient (masked PII only), case, documents, contacts, evidence and
    its own events; 404 outside ``scope``."""
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.delivery_id is not None:
        raise NotFound("任务不存在")
    recipient = await Recipient.get(id=attempt.recipient_id)
    service = await Service.get(id=attempt.service_id)
    case = await Case.get(id=service.case_id)
    court = await Court.get(id=attempt.court_id)
    documents = await Document.filter(service_documents__service_id=service.id).order_by(
        "service_documents__position")
    contacts = await Contact.filter(attempt_id=attempt.id).order_by("contacted_at", "id")
    evidence = await Evidence.filter(attempt_id=attempt.id).order_by("id")
    events = [e for e in await Event.filter(service_id=service.id, recipient_id=attempt.recipient_id).order_by("id")
              if (e.data or {}).get("attempt_id") == attempt.id]
    staff_ids = {c.staff_id for c in contacts} | {e.uploaded_by_id for e in evidence if e.uploaded_by_id}
    staff_ids |= {int(e.actor_id) for e in events if e.actor_kind.value == "staff" and e.actor_id.isdigit()}
    if attempt.assignee_id:
        staff_ids.add(attempt.assignee_id)
    return TaskDetail(attempt, recipient, service, case, court, documents, contacts, evidence, events,
                      await display_names(staff_ids), now)


@dataclass
class ServiceTask:
    attempt: Attempt
    recipient_name: str
    assignee: str
    evidence: list[Evidence]


async def service_tasks(scope: Scope, service_id: int) -> list[ServiceTask]:
    """The tasks of one service that ``scope`` covers (a court's staff: all of them), with their
    evidence, for the service page's 送达任务 section."""
    attempts = await Attempt.filter(service_id=service_id, delivery_id=None, **scope.attempt_filter()
                                    ).order_by("recipient_id", "id")
    ids = [a.id for a in attempts]
    evidence: dict[int, list[Evidence]] = {i: [] for i in ids}
    for e in await Evidence.filter(attempt_id__in=ids).order_by("id"):
        evidence[e.attempt_id].append(e)
    names = dict(await Recipient.filter(id__in={a.recipient_id for a in attempts}).values_list("id", "name"))
    staff = await display_names({a.assignee_id for a in attempts if a.assignee_id})
    return [ServiceTask(a, names.get(a.recipient_id, ""), staff.get(a.assignee_id, "") if a.assignee_id else "",
                        evidence[a.id]) for a in attempts]


# -- who should take it --------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    id: int
    display_name: str
    in_area: int      # tasks of this area the person has (open, or closed in the last 30 days)
    open_load: int    # tasks the person has open now

    @property
    def label(self) -> str:
        return f"{self.display_name}（本地区{self.in_area}件 · 在办{self.open_load}件）"


# Per person, two index-only counts over the partial indexes of migration 0004 (which carry the
# area): open tasks, and tasks closed since $3.
_SUGGEST = '''
SELECT "s"."id", "s"."display_name", "o"."open_load", "o"."open_in_area" + "c"."closed_in_area" AS "in_area"
FROM "staff_account" "s"
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS "open_load", COUNT(*) FILTER (WHERE "a"."area" = $2) AS "open_in_area"
    FROM "attempt" "a" WHERE "a"."assignee_id" = "s"."id" AND "a"."status" IN ('assigned', 'in_progress')
    AND "a"."delivery_id" IS NULL) "o"
CROSS JOIN LATERAL (
    SELECT COUNT(*) FILTER (WHERE "a"."area" = $2) AS "closed_in_area"
    FROM "attempt" "a" WHERE "a"."assignee_id" = "s"."id" AND "a"."status" = 'closed'
    AND "a"."delivery_id" IS NULL AND "a"."closed_at" > $3) "c"
WHERE "s"."centre_id" = $1 AND "s"."role" = 'process_server' AND "s"."disabled_at" IS NULL
ORDER BY "in_area" DESC, "open_load", "s"."display_name", "s"."id"
'''


async def suggest_handlers(centre_id: int, area: str, *, now: datetime) -> list[Suggestion]:
    """Process servers of the centre, those who know the area and have least open work first."""
    area = (area or "")[:MAX_AREA]
    # No area: NULL, which equals no row's area.
    rows = await fetch(Attempt, _SUGGEST, centre_id, area or None, now - timedelta(days=30))
    return [Suggestion(r["id"], r["display_name"], r["in_area"], r["open_load"]) for r in rows]


# -- PII reveals ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reveal:
    at: datetime
    staff: str
    field: str
    attempt_id: int | None
    reason: str
    ip: str


REVEAL_FIELDS = {"phone": "手机号码", "id_number": "证件号码"}
# What a ``pii.revealed`` event may name: the fields above (查看 with a reason) and sealed evidence
# (a face, fingerprint or signature) someone looked at.
REVEALED_LABELS = {**REVEAL_FIELDS, "evidence": "现场采集材料"}


async def reveals_of_court(court_id: int, *, page: int = 1, per_page: int = PAGE_SIZE) -> tuple[list[Reveal], bool]:
    """Who saw which recipient's phone or ID number, for which task and why; newest first."""
    page = max(1, min(page, 10_000))
    events = await Event.filter(court_id=court_id, type=EventType.PII_REVEALED).order_by("-id") \
        .offset((page - 1) * per_page).limit(per_page + 1)
    names = await display_names({int(e.actor_id) for e in events if e.actor_id.isdigit()})
    rows = [Reveal(e.created_at, names.get(int(e.actor_id), e.actor_id) if e.actor_id.isdigit() else e.actor_id,
                   REVEALED_LABELS.get((e.data or {}).get("field", ""), ""), (e.data or {}).get("attempt_id"),
                   (e.data or {}).get("reason", ""), e.ip) for e in events[:per_page]]
    return rows, len(events) > per_page
