"""The same hostile inputs through the API: POST /services and /documents never answer 5xx."""
from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_client, make_document, recipient_body, service_body
from tests.hardening.bridge import LoopBridge, run_in_thread
from tests.hardening.strategies import HARDENING, any_text
from tests.hardening.test_validator_properties import mutated_pdfs

EXAMPLES = int(os.environ.get("SONGDA_FUZZ_EXAMPLES", "150"))
FIELDS = [("case", "cause"), ("case", "judge"), ("case", "clerk"), ("case", "case_number"),
          ("recipient", "name"), ("recipient", "address"), ("recipient", "ref"), ("recipient", "phone"),
          ("recipient", "id_number"), ("recipient", "agent_of"), ("service", "external_id")]


def _ok(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.json()["error"]["code"]


async def test_post_services_text_fields_never_5xx(http, db):
    _, _, auth = await make_client()
    doc = await make_document(await _court(), db.data_dir)

    def fuzz(call: LoopBridge) -> None:
        @settings(HARDENING, max_examples=EXAMPLES)
        @given(st.lists(st.tuples(st.sampled_from(FIELDS), any_text), min_size=1, max_size=4),
               st.lists(st.integers(), max_size=3), st.sampled_from(["resident_id", "passport", "uscc", "hk_macao_permit"]))
        def one(edits, extra_ids, id_type) -> None:
            body = service_body([doc.id, *extra_ids], [recipient_body(id_type=id_type)],
                                case_number="(2024)桂1202民初123号")
            for (where, name), value in edits:
                {"case": body["case"], "recipient": body["recipients"][0], "service": body}[where][name] = value
            _ok(call(http.post("/court/api/v1/services", json=body, headers=auth)))

        one()

    await run_in_thread(fuzz)


async def test_post_documents_never_5xx(http, db):
    _, _, auth = await make_client()

    def fuzz(call: LoopBridge) -> None:
        @settings(HARDENING, max_examples=EXAMPLES)
        @given(st.one_of(st.binary(max_size=2048), mutated_pdfs()), any_text, any_text,
               st.sampled_from(["summons", "judgment", "other", "bogus", ""]))
        def one(data, filename, title, kind) -> None:
            files = {"file": (filename or "x.pdf", data, "application/pdf")}
            _ok(call(http.post("/court/api/v1/documents", files=files, data={"title": title, "kind": kind},
                               headers=auth)))

        one()

    await run_in_thread(fuzz)


async def _court():
    from tests.factories import make_court

    return await make_court()
