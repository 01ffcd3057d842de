"""/console/addresses: the address book with masked values and the audited reveal, refusals and the
proposal, extracted candidates, figures; every bad input a Chinese 4xx."""
from __future__ import annotations

from addresses.choices import AddressSource, CandidateStatus
from addresses.models import Address, AddressCandidate
from audit.choices import EventType
from audit.models import Event
from tests.addresses.corpus import render_pdf
from tests.court.console.helpers import logged_in
from tests.factories import make_court, make_service, make_staff


def recipient_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


PLEADING = ["民事起诉状\n原告：张三，男，住广西柳州市城中区示范路1号。", "被告：王小明，户籍地广西北海市海城区北部湾中路3号。"]


async def _clerk(db, http, court):
    account, password, secret = await make_staff(court, "clerk", settings=db)
    return await logged_in(http, account, password, secret)


async def test_the_book_is_masked_the_reveal_is_audited_and_a_refusal_opens_the_presumption(db, http):
    court = await make_court()
    token = await _clerk(db, http, court)
    _, [recipient], _ = await make_service(court, db)
    page = await http.get(f"/console/addresses/recipients/{recipient.id}")
    assert page.status_code == 200
    assert "广西壮族自治区柳州市城中区****" in page.text and "示范路1号" not in page.text
    assert "尚未确认送达地址" in page.text
    # The same address from another source: one line, both sources, recorded twice.
    from addresses.book import AddressNote, record_addresses
    from addresses.choices import AddressKind
    from addresses.people import person_keys
    from identity.pii_keys import pii_cipher
    from service.recipient_address import open_address
    cipher = pii_cipher(db)
    person = person_keys(cipher, recipient.name, id_number_index=recipient.id_number_index)
    await record_addresses(cipher, [AddressNote(person, AddressKind.POSTAL, AddressSource.EXTERNAL_LOOKUP,
                                                open_address(cipher, recipient))], court_id=court.id, now=recipient_now())
    page = await http.get(f"/console/addresses/recipients/{recipient.id}")
    assert "外部查询、法院推送" in page.text and "共2次记录" in page.text
    assert await Event.filter(type=EventType.ADDRESS_LOOKED_UP).count() == 2  # each opening counts
    postal = await Address.get(recipient_id=recipient.id, kind="postal")
    url = f"/console/addresses/recipients/{recipient.id}"

    no_reason = await http.post(f"{url}/reveal", data={"csrf_token": token, "address_id": str(postal.id)})
    assert no_reason.status_code == 422 and "请填写查看原因" in no_reason.text
    bad_id = await http.post(f"{url}/reveal", data={"csrf_token": token, "address_id": "x1", "reason": "核对地址"})
    assert bad_id.status_code == 422 and "请选择地址" in bad_id.text
    shown = await http.post(f"{url}/reveal", data={"csrf_token": token, "address_id": str(postal.id),
                                                   "reason": "核对邮寄地址"})
    assert shown.status_code == 200 and "示范路1号" in shown.text and shown.headers["cache-control"] == "no-store"
    [event] = await Event.filter(type=EventType.PII_REVEALED)
    assert event.data["field"] == "address" and event.data["reason"] == "核对邮寄地址"

    empty = await http.post(f"{url}/refusal", data={"csrf_token": token, "note": ""})
    assert empty.status_code == 422 and "拒绝确认" in empty.text
    done = await http.post(f"{url}/refusal", data={"csrf_token": token, "note": "电话中明确拒绝确认地址"})
    assert done.status_code == 303
    page = await http.get(done.headers["location"])
    assert "已记录当事人拒绝确认送达地址" in page.text and "送达意见第8条第4项" in page.text  # the looked-up address
    forged = await http.post(f"{url}/refusal", data={"note": "无令牌"})
    assert forged.status_code == 403


async def test_another_courts_recipient_is_not_found(db, http):
    court, other = await make_court(), await make_court("桂0102", "示范市青秀区人民法院")
    await _clerk(db, http, court)
    _, [stranger], _ = await make_service(other, db)
    assert (await http.get(f"/console/addresses/recipients/{stranger.id}")).status_code == 404
    assert (await http.get("/console/addresses/recipients/99999999999")).status_code == 404


async def test_candidates_are_extracted_then_accepted_or_rejected(db, http):
    court = await make_court()
    token = await _clerk(db, http, court)
    _, [recipient], [document] = await make_service(court, db, pdf=render_pdf(PLEADING))
    url = f"/console/addresses/documents/{document.id}"
    assert "尚未提取" in (await http.get(url)).text
    assert (await http.post(f"{url}/extract", data={"csrf_token": token})).status_code == 303
    again = await http.post(f"{url}/extract", data={"csrf_token": token})
    assert again.status_code == 409 and "已提取过" in again.text
    first, second = await AddressCandidate.all().order_by("id")
    page = await http.get(url)
    assert "广西壮族自治区北海市海城区****" in page.text and "北部湾" not in page.text
    bad = await http.post(f"{url}/candidates/{first.id}", data={"csrf_token": token, "decision": "maybe"})
    assert bad.status_code == 422 and "请选择采纳或驳回" in bad.text
    no_one = await http.post(f"{url}/candidates/{first.id}", data={"csrf_token": token, "decision": "accept"})
    assert no_one.status_code == 422 and "受送达人" in no_one.text
    accepted = await http.post(f"{url}/candidates/{second.id}", data={
        "csrf_token": token, "decision": "accept", "recipient_id": str(recipient.id)})
    assert accepted.status_code == 303
    rejected = await http.post(f"{url}/candidates/{first.id}", data={"csrf_token": token, "decision": "reject"})
    assert rejected.status_code == 303
    assert [c.status for c in await AddressCandidate.all().order_by("id")] == [
        CandidateStatus.REJECTED, CandidateStatus.ACCEPTED]
    assert await Address.filter(recipient_id=recipient.id, source=AddressSource.DOCUMENT).count() == 1


async def test_a_document_without_an_address_says_so(db, http):
    court = await make_court()
    token = await _clerk(db, http, court)
    _, _, [document] = await make_service(court, db, pdf=render_pdf(["本判决为终审判决。"]))
    response = await http.post(f"/console/addresses/documents/{document.id}/extract", data={"csrf_token": token})
    assert response.status_code == 422 and "未找到地址" in response.text
    assert await AddressCandidate.all().count() == 0


async def test_figures_count_collected_confirmed_and_lookups(db, http):
    court = await make_court()
    await _clerk(db, http, court)
    _, [recipient], _ = await make_service(court, db)
    await http.get(f"/console/addresses/recipients/{recipient.id}")
    page = await http.get("/console/addresses/stats")
    assert page.status_code == 200
    assert 'id="collected">2<' in page.text and 'id="lookups">1<' in page.text and "法院推送" in page.text
    bad = await http.get("/console/addresses/stats?from=2026-13-01")
    assert bad.status_code == 422 and "日期格式" in bad.text
    backwards = await http.get("/console/addresses/stats?from=2026-12-01&to=2026-11-01")
    assert backwards.status_code == 422


async def test_external_lookups_need_a_reason_are_recorded_and_limited_per_staff_member(db, http):
    from centre.address_book import LOOKUPS_PER_DAY

    court = await make_court()
    token = await _clerk(db, http, court)
    _, [recipient], _ = await make_service(court, db)
    url = f"/console/addresses/recipients/{recipient.id}/lookup"
    no_reason = await http.post(url, data={"csrf_token": token, "source": "population"})
    assert no_reason.status_code == 422 and "请填写查询原因" in no_reason.text
    bad_source = await http.post(url, data={"csrf_token": token, "source": "psychic", "reason": "核实户籍"})
    assert bad_source.status_code == 422 and "请选择查询渠道" in bad_source.text
    done = await http.post(url, data={"csrf_token": token, "source": "population", "reason": "核实户籍地址"})
    assert done.status_code == 303
    [found] = await Address.filter(recipient_id=recipient.id, source=AddressSource.EXTERNAL_LOOKUP)
    assert found.kind.value == "registered" and found.adcode == "450202" and found.evidence["reason"] == "核实户籍地址"
    looked = await Event.filter(type=EventType.ADDRESS_LOOKED_UP, data__contains={"external": "population"})
    assert len(looked) == 1 and looked[0].data["address_ids"] == [found.id]
    for _ in range(LOOKUPS_PER_DAY - 1):
        assert (await http.post(url, data={"csrf_token": token, "source": "carrier", "reason": "核实"})).status_code == 303
    limited = await http.post(url, data={"csrf_token": token, "source": "carrier", "reason": "核实"})
    assert limited.status_code == 429 and "已达上限" in limited.text


def test_production_without_real_lookups_refuses_instead_of_making_an_address_up(db):
    """The production console (its cookies and CSRF differ) is not reachable in-process: the rule
    is checked where the providers are built; the use case refuses a missing source with a 503
    (tests/centre/test_address_lookup.py)."""
    from addresses.lookups import DEV_LOOKUPS
    from addresses.lookups.build import build_lookups
    from core.settings import Mode

    assert build_lookups(db) == DEV_LOOKUPS
    assert build_lookups(db.model_copy(update={"mode": Mode.PRODUCTION})) == {}
