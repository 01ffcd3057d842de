"""service/lineage.py and intake's ``case.origin_case_number`` (原审案号 / 执行依据)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from audit.events import Actor, RequestMeta
from core.errors import ValidationFailed
from service.choices import CourtSystem
from service.drafts import ServiceDraft
from service.intake import create_service
from service.lineage import lineage_of
from service.models import Case
from tests.factories import make_court, make_document, recipient_body, service_body


async def _serve(db, court, number: str, origin: str | None = None):
    doc = await make_document(court, db.data_dir)
    body = service_body([doc.id], [recipient_body()], case_number=number)
    if origin is not None:
        body["case"]["origin_case_number"] = origin
    return await create_service(court=court, draft=ServiceDraft.model_validate(body), source_system=CourtSystem.TRIAL,
                                source_client_id=None, actor=Actor.system(), meta=RequestMeta.none(),
                                now=datetime.now(timezone.utc), valid_days=30, settings=db)


async def test_appeal_and_enforcement_link_to_the_first_instance(db):
    court = await make_court()
    first = await _serve(db, court, "(2024)桂1202民初100号")
    appeal = await _serve(db, court, "(2025)桂1202民终7号", origin="(2024)桂1202民初100号")
    enforcement = await _serve(db, court, "(2025)桂1202执33号", origin="（2025）桂1202民终7号")
    unrelated = await _serve(db, court, "(2024)桂1202民初101号")
    assert (await Case.get(id=appeal.case_id)).origin_id == first.case_id
    lineage = frozenset({first.case_id, appeal.case_id, enforcement.case_id})
    for service in (first, appeal, enforcement):
        assert await lineage_of(service.case_id) == lineage
    assert await lineage_of(unrelated.case_id) == {unrelated.case_id}


async def test_an_origin_not_yet_on_the_platform_is_created_and_later_pushes_keep_the_link(db):
    court = await make_court()
    enforcement = await _serve(db, court, "(2025)桂1202执34号", origin="(2024)桂1202民初200号")
    origin = await Case.get(court_id=court.id, case_number="(2024)桂1202民初200号")
    assert (await Case.get(id=enforcement.case_id)).origin_id == origin.id
    await _serve(db, court, "(2025)桂1202执34号", origin="(2024)桂1202民初201号")  # a later push cannot move it
    assert (await Case.get(id=enforcement.case_id)).origin_id == origin.id
    # Nor close a cycle: the origin naming its successor is ignored.
    await _serve(db, court, "(2024)桂1202民初200号", origin="(2025)桂1202执34号")
    assert (await Case.get(id=origin.id)).origin_id is None


@pytest.mark.parametrize("origin, message", [
    ("(2024)桂0102民初1号", "原审案号或执行依据须为本院的另一个案件"),
    ("(2025)桂1202民终8号", "原审案号不能与本案案号相同"),
])
async def test_origin_must_be_another_case_of_this_court(db, origin, message):
    court = await make_court()
    with pytest.raises(ValidationFailed) as caught:
        await _serve(db, court, "(2025)桂1202民终8号", origin=origin)
    assert caught.value.details == [{"field": "case.origin_case_number", "message": message}]
    assert not await Case.filter(court_id=court.id).exists()
