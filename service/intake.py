"""Use cases by which a court system puts work into the platform: upload a document, create a
service. Each is one transaction with its audit event; a failure leaves no rows and no files."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from addresses.book import AddressNote, record_addresses
from addresses.choices import AddressKind, AddressSource
from addresses.people import person_keys
from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import ValidationFailed
from core.settings import Settings
from core.sql import fetch, insert_rows, insert_values
from documents.kinds import DocumentKind
from documents.models import Document
from documents.pdf_inspection import inspect_pdf
from documents.storage import Storage
from identity.id_numbers import mask_id_number
from identity.phones import mask_phone
from identity.pii_keys import pii_cipher
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from service.areas import area_of
from service.case_numbers import court_code_of
from service.choices import ELECTRONIC_CHANNELS, Channel, CourtSystem, TaskStatus
from service.drafts import ServiceDraft, check_service_draft
from service.lineage import lineage_of
from service.models import (
    Attempt,
    Case,
    Court,
    Delivery,
    Recipient,
    RecipientDocument,
    Service,
    ServiceDocument,
)
from service.recipient_address import seal_address
from service.status import ServiceRows

log = logging.getLogger(__name__)


async def upload_document(
    *,
    court: Court,
    data: bytes,
    filename: str,
    kind: DocumentKind,
    title: str,
    storage: Storage,
    max_bytes: int,
    max_pages: int,
    client_id: int | None,
    actor: Actor,
    meta: RequestMeta,
) -> Document:
    facts = inspect_pdf(data, max_bytes=max_bytes, max_pages=max_pages)
    # The blob stays if the row below fails: blobs are shared by identical bytes, and a request
    # storing the same file may be about to commit its row (a dropped upload and its retry).
    # Unreferenced blobs are removed a day later (service/files.py).
    key, _ = storage.put(data)
    async with in_transaction():
        document = await Document.create(
            court=court,
            kind=kind,
            title=title or _title_from(filename) or kind.label,
            original_filename=filename[:255],
            sha256=key,
            size=len(data),
            page_count=facts.page_count,
            uploaded_by_client_id=client_id,
        )
        await record_event(
            EventType.DOCUMENT_UPLOADED, court_id=court.id, actor=actor, meta=meta,
            data={"document_id": document.id, "sha256": key, "pages": facts.page_count},
        )
    return document


def _title_from(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return stem[:-4] if stem.lower().endswith(".pdf") else stem


async def create_service(
    *,
    court: Court,
    draft: ServiceDraft,
    source_system: CourtSystem,
    source_client_id: int | None,
    actor: Actor,
    meta: RequestMeta,
    now: datetime,
    valid_days: int,
    settings: Settings,
) -> Service:
    return (await create_service_rows(
        court=court, draft=draft, source_system=source_system, source_client_id=source_client_id,
        actor=actor, meta=meta, now=now, valid_days=valid_days, settings=settings,
    )).service


async def create_service_rows(
    *,
    court: Court,
    draft: ServiceDraft,
    source_system: CourtSystem,
    source_client_id: int | None,
    actor: Actor,
    meta: RequestMeta,
    now: datetime,
    valid_days: int,
    settings: Settings,
) -> ServiceRows:
    """Create the service; return its rows as stored (``RETURNING *``), ready for
    ``render_service`` without reading them back."""
    check_service_draft(draft, now=now)
    if court_code_of(draft.case.case_number) != court.code:
        raise ValidationFailed("请求内容有误", details=[{
            "field": "case.case_number",
            "message": f"案号中的法院代字与本院代字 {court.code} 不符",
        }])
    origin_number = draft.case.origin_case_number
    if origin_number is not None and (court_code_of(origin_number) != court.code
                                      or origin_number == draft.case.case_number):
        raise ValidationFailed("请求内容有误", details=[{
            "field": "case.origin_case_number",
            "message": "原审案号或执行依据须为本院的另一个案件" if origin_number != draft.case.case_number
            else "原审案号不能与本案案号相同",
        }])
    documents = {d.id: d for d in await Document.filter(court=court, id__in=draft.document_ids)}
    missing = [
        {"field": f"document_ids.{i}", "message": f"文书 {doc_id} 不存在"}
        for i, doc_id in enumerate(draft.document_ids) if doc_id not in documents
    ]
    if missing:
        raise ValidationFailed("请求内容有误", details=missing)

    cipher = pii_cipher(settings)
    async with in_transaction():
        case, created = await _get_or_create_case(court, draft)
        if not created:
            await _refresh_case(case, draft)
        if origin_number is not None:
            await _link_origin(court, case, origin_number)
        [service] = await insert_rows([Service(
            court=court, case=case, source_system=source_system, source_client_id=source_client_id,
            external_id=draft.external_id,
            expires_at=draft.expires_at or now + timedelta(days=valid_days),
        )])
        await insert_rows([
            ServiceDocument(service_id=service.id, document_id=doc_id, position=pos)
            for pos, doc_id in enumerate(draft.document_ids)
        ])
        # One INSERT for all recipients; an agent points at an earlier recipient of this request,
        # whose id exists only once that INSERT has run, so agents get it in one UPDATE after.
        position_of_ref = {r.ref: pos for pos, r in enumerate(draft.recipients) if r.ref}
        sealed = [seal_address(cipher, r.address) for r in draft.recipients]
        recipients = sorted(await insert_rows([
            Recipient(
                service_id=service.id, position=pos, name=r.name, role=r.role,
                phone_cipher=cipher.encrypt(r.phone, context="phone"),
                phone_index=cipher.blind_index(r.phone, context="phone"),
                phone_masked=mask_phone(r.phone),
                id_type=r.id_type.value if r.id_type else None,
                id_number_cipher=cipher.encrypt(r.id_number, context="id_number") if r.id_number else None,
                id_number_index=cipher.blind_index(r.id_number, context="id_number") if r.id_number else None,
                id_number_masked=mask_id_number(r.id_type, r.id_number) if r.id_number else None,
                address_cipher=sealed[pos][0], address_masked=sealed[pos][1], consent_basis=r.consent,
                channels=[c.value for c in r.channels],
            )
            for pos, r in enumerate(draft.recipients)
        ]), key=lambda recipient: recipient.position)
        # As when recipients were created one by one: only a principal listed before its agent.
        agents = [(recipient, recipients[position_of_ref[r.agent_of]].id)
                  for recipient, r in zip(recipients, draft.recipients)
                  if r.agent_of and position_of_ref.get(r.agent_of, recipient.position) < recipient.position]
        if agents:
            await fetch(Recipient, _SET_AGENT_OF, [a.id for a, _ in agents], [of for _, of in agents])
            for agent, of in agents:
                agent.agent_of_id = of
        await record_addresses(cipher, _address_notes(cipher, case.id, recipients, draft), court_id=court.id, now=now)
        deliveries = await insert_rows([
            Delivery(service_id=service.id, recipient_id=recipient.id, channel=channel)
            for recipient, r in zip(recipients, draft.recipients) for channel in r.channels
            if channel in ELECTRONIC_CHANNELS
        ])
        # Every channel is an attempt: electronic ones mirror their delivery and are the
        # platform's; the others are tasks for the service centre's dispatcher (centre/).
        delivery_of = {(d.recipient_id, d.channel): d.id for d in deliveries}
        due = now + timedelta(days=settings.task_due_days)
        attempts = await insert_rows([
            Attempt(court_id=court.id, centre_id=court.centre_id, service_id=service.id,
                    recipient_id=recipient.id, channel=channel,
                    delivery_id=delivery_of.get((recipient.id, channel)),
                    status=TaskStatus.IN_PROGRESS if channel in ELECTRONIC_CHANNELS else TaskStatus.UNASSIGNED,
                    area=area_of(r.address),
                    due_at=None if channel in ELECTRONIC_CHANNELS else due,
                    created_at=now, updated_at=now)
            for recipient, r in zip(recipients, draft.recipients) for channel in r.channels
        ])
        # The SMS notices go out after commit, from the outbox (service/notices.py).
        await OutboxJob.bulk_create([
            OutboxJob(kind=JobKind.NOTIFY_SMS, dedupe_key=f"notify:{d.id}",
                      payload={"delivery_id": d.id}, available_at=now)
            for d in deliveries if d.channel == Channel.SMS
        ])
        recipient_documents = await insert_rows([
            RecipientDocument(service_id=service.id, recipient_id=recipient.id, document_id=doc_id)
            for recipient in recipients for doc_id in draft.document_ids
        ])
        await record_event(
            EventType.SERVICE_CREATED, court_id=court.id, service_id=service.id, actor=actor, meta=meta,
            data={
                "case_number": case.case_number,
                "document_ids": draft.document_ids,
                "recipient_ids": [r.id for r in recipients],
                "external_id": draft.external_id,
                "task_ids": [a.id for a in attempts if a.delivery_id is None],
            },
        )
    log.info("service %s created for case id %s with %d recipients", service.id, case.id, len(recipients))
    service.case = case
    return ServiceRows(
        service=service, case=case, documents=[documents[doc_id] for doc_id in draft.document_ids],
        recipients=recipients, deliveries=deliveries, recipient_documents=recipient_documents,
        attempts=attempts,
    )


def _address_notes(cipher, case_id: int, recipients: list[Recipient], draft: ServiceDraft) -> list[AddressNote]:
    """地址库: what the court's system says about each recipient — the postal address and the phone."""
    notes = []
    for recipient, r in zip(recipients, draft.recipients):
        person = person_keys(cipher, r.name, id_number_index=recipient.id_number_index,
                             phone_index=recipient.phone_index)
        common = {"person": person, "source": AddressSource.COURT_INTAKE, "case_id": case_id,
                  "recipient_id": recipient.id, "evidence": {"service_id": recipient.service_id}}
        if r.address.strip():
            notes.append(AddressNote(kind=AddressKind.POSTAL, value=r.address, **common))
        notes.append(AddressNote(kind=AddressKind.PHONE, value=r.phone, **common))
    return notes


_SET_AGENT_OF = ('UPDATE "recipient" SET "agent_of_id" = u.agent_of FROM unnest($1::int[], $2::int[]) '
                 'AS u(id, agent_of) WHERE "recipient"."id" = u.id')


_CASE_SQL = 'SELECT * FROM "court_case" WHERE "court_id" = $1 AND "case_number" = $2'


async def _get_or_create_case(court: Court, draft: ServiceDraft) -> tuple[Case, bool]:
    return await _case_by_number(court, draft.case.case_number, cause=draft.case.cause, judge=draft.case.judge,
                                 clerk=draft.case.clerk)


async def _link_origin(court: Court, case: Case, origin_number: str) -> None:
    """The case continues ``origin_number`` (原审 / 执行依据), a case of this court, created bare when
    the platform has not seen it yet. A link once made stays: a later push cannot move a case to
    another lineage, nor make a case its own ancestor."""
    if case.origin_id is not None:
        return
    origin, _ = await _case_by_number(court, origin_number)
    if origin.id in await lineage_of(case.id):
        return
    await Case.filter(id=case.id, origin_id=None).update(origin_id=origin.id)
    case.origin_id = origin.id


async def _case_by_number(court: Court, number: str, **fields: str) -> tuple[Case, bool]:
    """``Case.get_or_create`` in fixed SQL and without its savepoint: the SELECT, then for a new
    case ``INSERT … ON CONFLICT DO NOTHING`` (a concurrent request that created it first wins,
    and its row is read after its commit)."""
    if rows := await fetch(Case, _CASE_SQL, court.id, number):
        return Case._init_from_db(**rows[0]), False
    names, values = insert_values(Case(court_id=court.id, case_number=number, **fields))
    marks = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    rows = await fetch(Case, f'INSERT INTO "court_case" ({", ".join(names)}) VALUES ({marks}) '
                             'ON CONFLICT ("court_id", "case_number") DO NOTHING RETURNING *', *values)
    if rows:
        return Case._init_from_db(**rows[0]), True
    return Case._init_from_db(**(await fetch(Case, _CASE_SQL, court.id, number))[0]), False


async def _refresh_case(case: Case, draft: ServiceDraft) -> None:
    """The court system's latest push is the truth about 案由, judge and clerk."""
    changed = {
        field: value for field in ("cause", "judge", "clerk")
        if (value := getattr(draft.case, field)) and value != getattr(case, field)
    }
    if changed:
        await Case.filter(id=case.id).update(**changed)
        for field, value in changed.items():  # the rows in hand say what is stored
            setattr(case, field, value)
