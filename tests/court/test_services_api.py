"""POST/GET /court/api/v1/services, events and revoke: behaviour and bad input."""
from __future__ import annotations

import pytest

from audit.models import Event
from service.models import Case, Delivery, Recipient, RecipientDocument, Service, ServiceDocument
from tests.factories import make_client, make_court, make_document, recipient_body, service_body

URL = "/court/api/v1/services"


async def _setup(db, documents: int = 1):
    client, key, auth = await make_client()
    docs = [await make_document(client.court, db.data_dir) for _ in range(documents)]
    return client, auth, [d.id for d in docs]


async def _row_counts() -> dict[str, int]:
    return {m.__name__: await m.all().count() for m in
            (Case, Service, ServiceDocument, Recipient, Delivery, RecipientDocument)}


async def test_create_service_with_litigant_and_lawyer(http, db):
    client, auth, doc_ids = await _setup(db, documents=3)
    litigant = recipient_body(ref="p1", role="plaintiff", phone="13812345678", id_number="11010519491231002X")
    lawyer = recipient_body(ref="a1", name="赵律师", role="agent", agent_of="p1", channels=["portal"],
                            id_number=None, id_type=None)
    response = await http.post(URL, headers=auth, json=service_body(doc_ids, [litigant, lawyer]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case_number"] == "(2024)桂1202民初123号"
    assert body["status"] == "in_progress"
    assert [d["id"] for d in body["documents"]] == doc_ids
    first, second = body["recipients"]
    assert first["phone"] == "138****5678"
    assert first["id_number"] == "110105********002X"
    assert [d["channel"] for d in first["deliveries"]] == ["sms", "portal", "wechat"]
    assert all(d["state"] == "created" and d["id"] for d in first["deliveries"])
    assert len(first["documents"]) == 3
    assert second["agent_of"] == first["id"]
    assert [d["channel"] for d in second["deliveries"]] == ["portal"]
    # Nothing in plaintext at rest.
    row = await Recipient.get(id=first["id"])
    assert "13812345678" not in row.phone_cipher and "11010519491231002X" not in (row.id_number_cipher or "")
    events = await Event.filter(service_id=body["id"])
    assert [e.type.value for e in events] == ["service.created"]


async def test_full_width_case_number_is_normalised_and_case_reused(http, db):
    _, auth, doc_ids = await _setup(db)
    for number in ("（2024）桂1202民初123号", "(2024)桂1202民初123号"):
        response = await http.post(URL, headers=auth, json=service_body(doc_ids, case_number=number))
        assert response.status_code == 201
        assert response.json()["case_number"] == "(2024)桂1202民初123号"
    assert await Case.all().count() == 1


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda b: b.pop("case"), "case"),
    (lambda b: b.pop("recipients"), "recipients"),
    (lambda b: b.update(recipients=[]), "recipients"),
    (lambda b: b.update(document_ids="1"), "document_ids"),
    (lambda b: b["case"].update(case_number="2024民初123"), "case.case_number"),
    (lambda b: b["case"].update(case_number="(2024)桂1202民初0号"), "case.case_number"),
    (lambda b: b["case"].update(case_number="(2024)京0105民初1号"), "case.case_number"),
    (lambda b: b["recipients"][0].update(id_number="11010519491231002Y"), "recipients.0.id_number"),
    (lambda b: b["recipients"][0].update(id_number="110105491231002"), "recipients.0.id_number"),
    (lambda b: b["recipients"][0].update(id_type="passport", id_number="!"), "recipients.0.id_number"),
    (lambda b: b["recipients"][0].update(id_number=None), "recipients.0"),
    (lambda b: b["recipients"][0].update(phone="12345"), "recipients.0.phone"),
    (lambda b: b["recipients"][0].update(role="judge"), "recipients.0.role"),
    (lambda b: b["recipients"][0].update(consent="maybe"), "recipients.0.consent"),
    (lambda b: b["recipients"][0].pop("consent"), "recipients.0.consent"),
    (lambda b: b["recipients"][0].update(channels=[]), "recipients.0.channels"),
    (lambda b: b["recipients"][0].update(channels=["sms", "sms"]), "recipients.0.channels"),
    (lambda b: b["recipients"][0].update(channels=["fax"]), "recipients.0.channels.0"),
    (lambda b: b["recipients"][0].update(name=""), "recipients.0.name"),
    (lambda b: b["recipients"][0].update(nickname="小王"), "recipients.0.nickname"),
    (lambda b: b.update(priority="high"), "priority"),
    (lambda b: b.update(expires_at="2000-01-01T00:00:00+08:00"), "expires_at"),
    (lambda b: b.update(expires_at="next week"), "expires_at"),
    (lambda b: b.update(document_ids=[999999]), "document_ids.0"),
    (lambda b: b.update(document_ids=b["document_ids"] * 2), "document_ids"),
])
async def test_bad_input_is_422_with_field_path_and_stores_nothing(http, db, mutate, field):
    _, auth, doc_ids = await _setup(db)
    body = service_body(doc_ids)
    mutate(body)
    before = await _row_counts()
    response = await http.post(URL, headers=auth, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert any(d["field"].startswith(field) for d in error["details"]), error
    assert all(d["message"] for d in error["details"])
    assert await _row_counts() == before


async def test_duplicate_recipients_and_bad_agent_links(http, db):
    _, auth, doc_ids = await _setup(db)
    same = recipient_body(ref="x")
    twin = dict(same, ref="y")
    cases = [
        ([same, twin], "recipients.1.id_number"),
        ([same, dict(recipient_body(), ref="x")], "recipients.1.ref"),
        ([same, recipient_body(role="agent", agent_of="nobody")], "recipients.1.agent_of"),
        ([same, recipient_body(role="agent")], "recipients.1.agent_of"),
        ([recipient_body(role="defendant", agent_of="x", ref="z"), same], "recipients.0.agent_of"),
        ([recipient_body(ref="s", role="agent", agent_of="s")], "recipients.0.agent_of"),
    ]
    for recipients, field in cases:
        response = await http.post(URL, headers=auth, json=service_body(doc_ids, recipients))
        assert response.status_code == 422, (field, response.text)
        assert field in [d["field"] for d in response.json()["error"]["details"]], response.text
    assert await Service.all().count() == 0


async def test_malformed_json_and_non_object_body(http, db):
    _, auth, _ = await _setup(db)
    response = await http.post(URL, headers={**auth, "content-type": "application/json"}, content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    response = await http.post(URL, headers=auth, json=[1, 2])
    assert response.status_code == 422


async def test_another_courts_documents_and_services_are_invisible(http, db):
    _, auth, doc_ids = await _setup(db)
    other_court = await make_court(code="京0105", name="北京市朝阳区人民法院")
    other_client, _, other_auth = await make_client(other_court)
    other_doc = await make_document(other_court, db.data_dir)
    response = await http.post(URL, headers=auth, json=service_body([other_doc.id]))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "document_ids.0"

    created = (await http.post(URL, headers=auth, json=service_body(doc_ids))).json()
    for method, path in [("GET", f"{URL}/{created['id']}"), ("GET", f"{URL}/{created['id']}/events"),
                         ("POST", f"{URL}/{created['id']}/revoke")]:
        response = await http.request(method, path, headers=other_auth, json={"reason": "x"})
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "service_not_found"
    listed = (await http.get(URL, headers=other_auth, params={"case_number": "(2024)桂1202民初123号"})).json()
    assert listed["services"] == []


async def test_authentication_errors(http, db):
    await _setup(db)
    assert (await http.get(URL)).json()["error"]["code"] == "missing_api_key"
    response = await http.get(URL, headers={"Authorization": "Bearer sdk_wrong"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def test_get_list_and_events(http, db):
    _, auth, doc_ids = await _setup(db)
    ids = []
    for n in range(3):
        response = await http.post(URL, headers=auth, json=service_body(
            doc_ids, case_number=f"(2024)桂1202民初{100 + n}号", external_id=f"T-{n}"))
        ids.append(response.json()["id"])
    page = (await http.get(URL, headers=auth, params={"limit": 2})).json()
    assert [s["id"] for s in page["services"]] == [ids[2], ids[1]]
    rest = (await http.get(URL, headers=auth, params={"limit": 2, "before": page["next_before"]})).json()
    assert [s["id"] for s in rest["services"]] == [ids[0]] and rest["next_before"] is None
    by_case = (await http.get(URL, headers=auth, params={"case_number": "（2024）桂1202民初101号"})).json()
    assert [s["id"] for s in by_case["services"]] == [ids[1]]
    by_external = (await http.get(URL, headers=auth, params={"external_id": "T-2"})).json()
    assert [s["id"] for s in by_external["services"]] == [ids[2]]
    for params in ({"limit": "0"}, {"limit": "abc"}, {"status": "done"}, {"case_number": "abc"}):
        response = await http.get(URL, headers=auth, params=params)
        assert response.status_code == 422, params
    detail = (await http.get(f"{URL}/{ids[0]}", headers=auth)).json()
    assert detail["case"]["cause"] == "民间借贷纠纷"
    events = (await http.get(f"{URL}/{ids[0]}/events", headers=auth)).json()["events"]
    assert [e["type"] for e in events] == ["service.created"]
    assert (await http.get(f"{URL}/999999", headers=auth)).status_code == 404


async def test_revoke(http, db):
    _, auth, doc_ids = await _setup(db)
    created = (await http.post(URL, headers=auth, json=service_body(doc_ids))).json()
    path = f"{URL}/{created['id']}/revoke"
    assert (await http.post(path, headers=auth, json={})).status_code == 422
    response = await http.post(path, headers=auth, json={"reason": "当事人已和解撤诉"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked" and body["revoke_reason"] == "当事人已和解撤诉"
    assert {d["state"] for r in body["recipients"] for d in r["deliveries"]} == {"revoked"}
    assert body["recipients"][0]["status"] == "revoked"
    again = await http.post(path, headers=auth, json={"reason": "重复"})
    assert again.status_code == 200 and again.json()["revoke_reason"] == "当事人已和解撤诉"
    types = [e["type"] for e in (await http.get(f"{URL}/{created['id']}/events", headers=auth)).json()["events"]]
    assert types.count("service.revoked") == 1 and types.count("delivery.revoked") == 3


async def test_openapi_document_is_valid(http, db):
    from openapi_spec_validator import validate

    response = await http.get("/court/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert {"/documents", "/services", "/services/{service_id}", "/services/{service_id}/events",
            "/services/{service_id}/revoke"} <= set(spec["paths"])
    assert "ServiceDraft" in spec["components"]["schemas"]


async def test_case_service_report_pdf(http, db):
    import subprocess

    from tests.factories import make_signed_delivery

    client, _, auth = await make_client()
    service, recipient, _, _ = await make_signed_delivery(db, documents=1, court=client.court)
    case_number = (await service.case).case_number
    response = await http.get(f"{URL.rsplit('/', 1)[0]}/cases/report.pdf", headers=auth,
                              params={"case_number": case_number})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout
    assert "送达报告" in text.decode() and recipient.name in text.decode()
    missing = await http.get(f"{URL.rsplit('/', 1)[0]}/cases/report.pdf", headers=auth,
                             params={"case_number": "(2024)桂1202民初99999号"})
    assert missing.status_code == 404
    assert (await http.get(f"{URL.rsplit('/', 1)[0]}/cases/report.pdf", headers=auth)).status_code == 422


async def test_post_response_is_what_get_reads_back(http, db):
    """The POST answers from the rows it wrote; that must be exactly the stored service's view:
    agents, several documents in their order, mixed channels, an offset expiry, a refreshed case."""
    _, auth, doc_ids = await _setup(db, documents=3)
    first = await http.post(URL, headers=auth, json=service_body(doc_ids[:1]))
    assert first.status_code == 201, first.text
    doc_ids = [doc_ids[2], doc_ids[0], doc_ids[1]]
    people = [
        recipient_body(ref="p1", role="plaintiff"),
        recipient_body(ref="d1", role="defendant", channels=["wechat", "sms"]),
        recipient_body(ref="a1", name="赵律师", role="agent", agent_of="d1", channels=["portal"],
                       id_number=None, id_type=None),
        recipient_body(ref="a2", name="钱律师", role="agent", agent_of="p1", channels=["sms"],
                       id_number=None, id_type=None),
    ]
    body = service_body(doc_ids, people, external_id="X-1", expires_at="2099-03-01T08:30:00+08:00")
    body["case"].update(cause="买卖合同纠纷", judge="")  # the case exists: cause refreshed, judge kept
    response = await http.post(URL, headers=auth, json=body)
    assert response.status_code == 201, response.text
    posted = response.json()
    assert posted["case"]["cause"] == "买卖合同纠纷" and posted["case"]["judge"] == "张法官"
    assert [r["agent_of"] for r in posted["recipients"]][2:] == [posted["recipients"][1]["id"],
                                                                 posted["recipients"][0]["id"]]
    assert [d["document_id"] for d in posted["recipients"][0]["documents"]] == doc_ids
    assert posted == (await http.get(f"{URL}/{posted['id']}", headers=auth)).json()
    again = await http.post(URL, headers={**auth, "Idempotency-Key": "k-1"}, json=service_body(doc_ids[:1]))
    assert again.status_code == 201
    assert again.json() == (await http.get(f"{URL}/{again.json()['id']}", headers=auth)).json()


async def test_concurrent_services_of_one_new_case_share_it(http, db):
    import asyncio

    _, auth, doc_ids = await _setup(db)
    responses = await asyncio.gather(*(
        http.post(URL, headers=auth, json=service_body(doc_ids, case_number="(2024)桂1202民初777号"))
        for _ in range(4)))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert await Case.filter(case_number="(2024)桂1202民初777号").count() == 1
    assert await Service.filter(case__case_number="(2024)桂1202民初777号").count() == 4
