"""schemathesis against the mini-program API's own OpenAPI document (/mp/api/v1/openapi.json), as
test_openapi_fuzz.py does for the court API: every operation, valid and invalid inputs, with the
token of a session verified by the SMS route (dev WeChat API). Fails on any 5xx, any status the
document does not list, and any answer that breaks its documented schema. The dev WeChat API never
passes a face check, so the face routes are fuzzed for their refusals."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis.generation.modes import GenerationMode

from miniprogram_api.openapi import openapi_document
from tests.factories import phone as new_phone
from tests.factories import resident_id
from tests.hardening.bridge import LoopBridge, run_in_thread
from tests.hardening.strategies import HARDENING
from tests.hardening.test_openapi_fuzz import CHECKS, _send
from tests.miniprogram_api.mp_helpers import last_code, person, serve

BASE = "http://testserver/mp/api/v1"
EXAMPLES = int(os.environ.get("SONGDA_FUZZ_API_EXAMPLES", "25"))
# Signed page images need a URL the server made: a fuzzer's guesses are all 404, which says little.
OPERATIONS = [(path, method) for path, ops in openapi_document()["paths"].items() for method in ops
              if path != "/pages/{delivery_id}/{document_id}/{page}.png" and (path, method) != ("/session", "delete")]


async def _verified_token(http, db) -> str:
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=2)
    token = (await http.post("/mp/api/v1/session", json={"code": "fuzz-login"})).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await http.post("/mp/api/v1/phone", json={"code": f"phone:{number}"}, headers=auth)).status_code == 200
    bound = await http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=auth)
    assert bound.status_code == 200, bound.text
    assert (await http.post("/mp/api/v1/phone/code", json={}, headers=auth)).status_code == 200
    done = await http.post("/mp/api/v1/phone", json={"sms_code": last_code(db, number)}, headers=auth)
    assert done.json()["status"]["verified"] is True
    return token


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
async def test_operation_answers_as_documented(http, db, path, method, mode):
    auth = {"Authorization": f"Bearer {await _verified_token(http, db)}"}
    schema = schemathesis.openapi.from_dict((await http.get("/mp/api/v1/openapi.json")).json())
    operation = schema[path][method.upper()]

    def fuzz(call: LoopBridge) -> None:
        @settings(HARDENING, max_examples=EXAMPLES)
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case) -> None:
            response = _send(call, http, case, auth, base=BASE)
            case.validate_response(response, checks=CHECKS, headers=auth)

        one()

    await run_in_thread(fuzz)
