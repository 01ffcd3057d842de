"""schemathesis against the court intake API's own OpenAPI document, in process, on the test
database: every operation, valid and invalid inputs, an authenticated client. Fails on any 5xx, any
status code the document does not list, and any response that breaks its documented schema."""
from __future__ import annotations

import os

import httpx
import pytest
import requests
import schemathesis
from hypothesis import given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from court.api.openapi import openapi_document
from tests.factories import make_client, make_service
from tests.hardening.bridge import LoopBridge, run_in_thread
from tests.hardening.strategies import HARDENING

BASE = "http://testserver/court/api/v1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation and generation mode; the whole suite stays well under a minute at the default.
EXAMPLES = int(os.environ.get("SONGDA_FUZZ_API_EXAMPLES", "25"))

OPERATIONS = [(path, method) for path, ops in openapi_document()["paths"].items() for method in ops]


def _send(call: LoopBridge, http: httpx.AsyncClient, case, auth: dict[str, str], base: str = BASE) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=base, headers=auth)
    # The transport speaks `requests`' keywords (files, data, json); let requests encode the body once,
    # then send exactly those bytes through the app's in-process client.
    kwargs.pop("auth", None)
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if v is not None}).prepare()
    return call(http.request(prepared.method, prepared.url, headers=dict(prepared.headers),
                             content=prepared.body))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
async def test_operation_answers_as_documented(http, db, path, method, mode):
    # Something to find: service 1 with its documents, so ids the generator tries can hit real rows.
    await make_service(settings=db, documents=2)
    _, _, auth = await make_client()
    document = (await http.get("/court/api/v1/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operation = schema[path][method.upper()]

    def fuzz(call: LoopBridge) -> None:
        @settings(HARDENING, max_examples=EXAMPLES)
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case) -> None:
            response = _send(call, http, case, auth)
            case.validate_response(response, checks=CHECKS, headers=auth)

        one()

    await run_in_thread(fuzz)
