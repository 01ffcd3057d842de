"""跟踪视图: every recipient of a case, or one person across cases and services, with a timeline
that merges what the platform recorded (delivery.*, document.*, receipt.* events) and what staff
did (task.* events and the contact rows of the tasks).

The person is matched by the blind index of their ID number, else by phone blind index and name
(a recipient named without an ID number). Which recipients a caller sees is the scope's rule in
the query itself (centre/scope.py): a court's staff their court's, a dispatcher the centre's, a
process server only the recipients of their own tasks — and of the staff work only their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q

from audit.choices import EventType
from audit.models import Event
from centre.models import Contact
from centre.scope import Scope
from centre.staff import display_names
from core.errors import NotFound
from service.choices import DeliveryState, FailureReason, Outcome, ServiceMethod, ServiceStatus
from service.models import Attempt, Case, Delivery, Recipient, Service, ServiceDocument

MACHINE, STAFF = "machine", "staff"
# Staff facts come from the contact rows (with the time of the contact), not their events.
_SKIPPED = {EventType.TASK_CONTACT_RECORDED, EventType.DELIVERY_CODE_SENT, EventType.DELIVERY_CODE_FAILED,
            EventType.PII_REVEALED}
_HIGHLIGHTED = {EventType.DELIVERY_SIGNED, EventType.RECEIPT_READY}
MAX_PEOPLE = 200   # one person across cases: more rows than a page can show are cut, and said so


@dataclass(frozen=True)
class Line:
    """One line of a timeline, in Chinese."""

    at: datetime
    text: str
    source: str             # MACHINE or STAFF
    highlight: bool = False  # served / receipt sealed: the page marks it


@dataclass
class RecipientTrack:
    recipient: Recipient
    service: Service
    case: Case
    documents: list[str]
    attempts: list[Attempt]
    served: bool
    lines: list[Line] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.service.status is ServiceStatus.COMPLETED


@dataclass
class CaseTrack:
    case: Case
    tracks: list[RecipientTrack]


@dataclass
class PersonTrack:
    """The same person (受送达人) across cases and services."""

    anchor: Recipient
    matched_by: str          # how the rows were matched, in Chinese
    tracks: list[RecipientTrack]
    cut: bool = False


def _valid_id(value: int) -> bool:
    return 0 < value < 2**31


async def track_case(scope: Scope, case_id: int) -> CaseTrack:
    """按案件跟踪: every recipient of every service of the case that ``scope`` covers; a case the
    caller sees nothing of is 404 (whether it exists is not told)."""
    if not _valid_id(case_id):
        raise NotFound("案件不存在")
    recipients = await Recipient.filter(service__case_id=case_id, **scope.attempt_filter("attempts__")) \
        .distinct().order_by("service_id", "position")
    if not recipients:
        raise NotFound("案件不存在")
    case = await Case.get(id=case_id)
    return CaseTrack(case, await _tracks(scope, recipients))


async def track_person(scope: Scope, recipient_id: int) -> PersonTrack:
    """按受送达人跟踪: the recipient and every other recipient row of the same person that
    ``scope`` covers, newest service first."""
    if not _valid_id(recipient_id):
        raise NotFound("受送达人不存在")
    anchor = await Recipient.filter(id=recipient_id, **scope.attempt_filter("attempts__")).first()
    if anchor is None:
        raise NotFound("受送达人不存在")
    if anchor.id_number_index:
        match, matched_by = Q(id_number_index=anchor.id_number_index), "按证件号码匹配"
    else:
        match, matched_by = Q(phone_index=anchor.phone_index, name=anchor.name), "按手机号码和姓名匹配"
    rows = await Recipient.filter(match, **scope.attempt_filter("attempts__")).distinct() \
        .order_by("-service_id", "position").limit(MAX_PEOPLE + 1).values_list("id", "service_id", "position")
    ids = [row[0] for row in rows]
    recipients = await Recipient.filter(id__in=ids[:MAX_PEOPLE]).order_by("-service_id", "position")
    return PersonTrack(anchor, matched_by, await _tracks(scope, recipients), cut=len(ids) > MAX_PEOPLE)


async def _tracks(scope: Scope, recipients: list[Recipient]) -> list[RecipientTrack]:
    ids = [r.id for r in recipients]
    service_ids = sorted({r.service_id for r in recipients})
    services = {s.id: s for s in await Service.filter(id__in=service_ids)}
    cases = {c.id: c for c in await Case.filter(id__in={s.case_id for s in services.values()})}
    titles: dict[int, list[str]] = {}
    titles_by_doc: dict[int, str] = {}
    for sd in await ServiceDocument.filter(service_id__in=service_ids).order_by("service_id", "position") \
            .prefetch_related("document"):
        title = sd.document.title or sd.document.kind.label
        titles.setdefault(sd.service_id, []).append(title)
        titles_by_doc[sd.document_id] = title
    # Every attempt of a visible recipient is listed; the staff work (events, contacts) only of
    # the attempts the scope covers: a process server sees their own.
    attempts = await Attempt.filter(recipient_id__in=ids).order_by("id")
    mine = set(await Attempt.filter(recipient_id__in=ids, **scope.attempt_filter()).values_list("id", flat=True))
    deliveries = {d.id: d for d in await Delivery.filter(recipient_id__in=ids)}
    contacts = await Contact.filter(attempt_id__in=mine).order_by("contacted_at", "id") if mine else []
    events = await Event.filter(Q(recipient_id__in=ids) | Q(service_id__in=service_ids, recipient_id=None)) \
        .order_by("created_at", "id")
    names = await display_names({c.staff_id for c in contacts} | {a.assignee_id for a in attempts if a.assignee_id})
    by_id = {a.id: a for a in attempts}
    tracks = {}
    for r in recipients:
        own = [a for a in attempts if a.recipient_id == r.id]
        served = any(a.outcome is Outcome.SERVED for a in own) or any(
            d.state is DeliveryState.SIGNED for d in deliveries.values() if d.recipient_id == r.id)
        service = services[r.service_id]
        tracks[r.id] = RecipientTrack(r, service, cases[service.case_id], titles.get(r.service_id, []), own, served)
    shared: dict[int, list[Line]] = {}   # service-wide events (created, revoked, extended)
    for event in events:
        if event.type in _SKIPPED:
            continue
        attempt = by_id.get((event.data or {}).get("attempt_id")) if event.type.value.startswith(
            ("task.", "attempt.")) else None
        if event.type.value.startswith("task.") and (attempt is None or attempt.id not in mine):
            continue
        line = _event_line(event, attempt, deliveries, titles_by_doc, titles.get(event.service_id, []))
        if event.recipient_id is None:
            shared.setdefault(event.service_id, []).append(line)
        elif event.recipient_id in tracks:
            tracks[event.recipient_id].lines.append(line)
    for contact in contacts:
        attempt = by_id[contact.attempt_id]
        tracks[attempt.recipient_id].lines.append(Line(
            contact.contacted_at,
            f"{attempt.channel.label}：{contact.kind.label}联系（{names.get(contact.staff_id, '工作人员')}）——{contact.result}",
            STAFF))
    for track in tracks.values():
        track.lines = sorted(shared.get(track.service.id, []) + track.lines, key=lambda line: line.at)
    return [tracks[r.id] for r in recipients]


def _event_line(event: Event, attempt: Attempt | None, deliveries: dict[int, Delivery],
                titles: dict[int, str], service_titles: list[str]) -> Line:
    data = event.data or {}
    label = event.type.label
    if event.type is EventType.SERVICE_CREATED and service_titles:
        return Line(event.created_at, f"{label}：" + "、".join(f"《{t}》" for t in service_titles), MACHINE)
    if event.type in (EventType.DOCUMENT_VIEWED, EventType.DOCUMENT_DOWNLOADED):
        title = titles.get(data.get("document_id"), "文书")
        return Line(event.created_at, f"{_channel_of(event, deliveries)}{label}：《{title}》", MACHINE)
    if event.type is EventType.RECEIPT_READY:
        return Line(event.created_at, f"{label}（编号 {data.get('receipt_no', '—')}）", MACHINE, True)
    if attempt is not None:
        return _attempt_line(event, attempt, data)
    highlight = event.type in _HIGHLIGHTED
    return Line(event.created_at, f"{_channel_of(event, deliveries)}{label}", MACHINE, highlight)


def _channel_of(event: Event, deliveries: dict[int, Delivery]) -> str:
    delivery = deliveries.get(event.delivery_id) if event.delivery_id else None
    return f"{delivery.channel.label}：" if delivery else ""


def _attempt_line(event: Event, attempt: Attempt, data: dict) -> Line:
    prefix = f"{attempt.channel.label}：{event.type.label}"
    source = MACHINE if attempt.delivery_id else STAFF
    if event.type is EventType.TASK_ASSIGNED and data.get("assignee"):
        return Line(event.created_at, f"{prefix}（送达员：{data['assignee']}）", source)
    if event.type is EventType.TASK_HANDED_BACK:
        return Line(event.created_at, f"{prefix}（原因：{data.get('reason', '')}）", source)
    if event.type is EventType.TASK_EVIDENCE_ADDED:
        return Line(event.created_at, f"{prefix}：{data.get('filename', '')}", source)
    if event.type is EventType.TASK_NOTE_CHANGED:
        return Line(event.created_at, prefix, source)
    if event.type in (EventType.TASK_CLOSED, EventType.ATTEMPT_CLOSED):
        return Line(event.created_at, f"{prefix}，{_outcome(data)}", source, data.get("outcome") == Outcome.SERVED.value)
    return Line(event.created_at, prefix, source)


def _outcome(data: dict) -> str:
    outcome = _label(Outcome, data.get("outcome"))
    if data.get("outcome") == Outcome.SERVED.value and data.get("method"):
        return f"{outcome}（{_label(ServiceMethod, data['method'])}）"
    if data.get("failure_reason"):
        text = f"：{data['failure_text']}" if data.get("failure_text") else ""
        return f"{outcome}（{_label(FailureReason, data['failure_reason'])}{text}）"
    return outcome


def _label(kind, value) -> str:
    try:
        return kind(value).label
    except ValueError:
        return str(value or "—")

