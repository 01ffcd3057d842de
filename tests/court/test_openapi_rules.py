"""The court OpenAPI document states the rules its validators enforce: phone, case number, ID
number, document ids, the upload limits of the app's own settings and the error codes. Where the
validators normalise first, a pattern over the raw value would refuse input the API accepts, so
those rules are stated after normalisation (x-normalized-pattern) and checked against the
validators here."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from court.api.openapi import NO_CONTROLS, openapi_document
from identity.id_numbers import IdType, normalize_id_number, uscc_check_char
from identity.phones import MOBILE_PATTERN, normalize_mobile
from service.case_numbers import normalize_case_number
from service.drafts import ServiceDraft

ROOT = Path(__file__).resolve().parents[2]
USCC = "91110000600037341" + uscc_check_char("91110000600037341")
# Raw forms the API accepts (full-width digits, +86, separators, 〔〕, lower case, spaces).
ACCEPTED_CASE_NUMBERS = ["(2024)桂1202民初123号", "（２０２４）桂1202民初123号", "〔2023〕最高法民终1号", " (2024)京 01 执 7 号"]
ACCEPTED_PHONES = ["13812345678", "+86 138-1234-5678", "１３８１２３４５６７８", "＋８６１３８１２３４５６７８", "0086(138)12345678"]
ACCEPTED_IDS = [(IdType.RESIDENT_ID, "11010519491231002x"), (IdType.RESIDENT_ID, "１１０１０５１９４９１２３１００２Ｘ"),
                (IdType.PASSPORT, "e 1234 5678"), (IdType.HK_MACAO_PERMIT, "h12345678"),
                (IdType.TAIWAN_PERMIT, "12345678"), (IdType.USCC, USCC.lower())]


@pytest.fixture(scope="module")
def spec() -> dict:
    return openapi_document()


def _schemas(spec):
    return spec["components"]["schemas"]


def _validator(spec, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def test_phone_rule(spec):
    phone = _schemas(spec)["RecipientDraft"]["properties"]["phone"]
    assert MOBILE_PATTERN in phone["description"] and "+86" in phone["description"]
    assert "NFKC" in phone["description"]
    assert phone["x-normalized-pattern"] == f"^{MOBILE_PATTERN}$"
    for raw in ACCEPTED_PHONES:  # the raw-value pattern refuses nothing the validator takes
        assert re.search(phone["pattern"], raw)
        assert re.fullmatch(phone["x-normalized-pattern"], normalize_mobile(raw), re.ASCII)
    assert not re.fullmatch(phone["x-normalized-pattern"], "12812345678", re.ASCII)


def test_case_number_rule(spec):
    case_number = _schemas(spec)["CaseDraft"]["properties"]["case_number"]
    assert "法院代字" in case_number["description"] and "本院代字" in case_number["description"]
    assert case_number["x-normalized-pattern"] in case_number["description"]
    assert "?P<" not in case_number["x-normalized-pattern"]  # ECMA-262, not Python only
    for raw in ACCEPTED_CASE_NUMBERS:
        assert re.search(case_number["pattern"], raw) and len(raw) >= case_number["minLength"]
        assert re.fullmatch(case_number["x-normalized-pattern"], normalize_case_number(raw), re.ASCII)
    for wrong in ("(2024)XX1202民初123号", "(2024)桂1202民初0号", "2024桂1202民初123号"):
        assert not re.fullmatch(case_number["x-normalized-pattern"], wrong, re.ASCII)
    for op in (spec["paths"]["/services"]["get"], spec["paths"]["/cases/report.pdf"]["get"]):
        param = next(p for p in op["parameters"] if p["name"] == "case_number")
        assert "法院代字" in (param.get("description") or param["schema"].get("description", ""))


def test_id_number_rule(spec):
    id_number = _schemas(spec)["RecipientDraft"]["properties"]["id_number"]
    assert "校验位" in id_number["description"] and "NFKC" in id_number["description"]
    patterns = id_number["x-normalized-patterns"]
    assert set(patterns) == {t.value for t in IdType}
    for id_type, raw in ACCEPTED_IDS:
        assert re.search(NO_CONTROLS, raw)
        normal = normalize_id_number(id_type, raw, today=date(2025, 1, 1))
        assert re.fullmatch(patterns[id_type.value], normal, re.ASCII), (id_type, normal)
    assert not re.fullmatch(patterns["hk_macao_permit"], "X12345678", re.ASCII)


def test_document_id_rule(spec):
    document_ids = _schemas(spec)["ServiceDraft"]["properties"]["document_ids"]
    assert document_ids["items"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert (document_ids["minItems"], document_ids["maxItems"], document_ids["uniqueItems"]) == (1, 50, True)
    assert "不能重复" in document_ids["description"]
    assert _schemas(spec)["RecipientDraft"]["properties"]["channels"]["uniqueItems"] is True


def test_a_draft_the_api_accepts_matches_the_schema(spec):
    """Every raw form above, in one body: pydantic takes it, and so does the document's schema."""
    body = {"case": {"case_number": ACCEPTED_CASE_NUMBERS[1], "cause": "买卖合同纠纷\t"},
            "document_ids": [1, 2], "recipients": [
                {"ref": f"r{i}", "name": "张三", "role": "plaintiff", "phone": ACCEPTED_PHONES[i % len(ACCEPTED_PHONES)],
                 "id_type": id_type.value, "id_number": raw, "consent": "confirmed", "channels": ["sms"]}
                for i, (id_type, raw) in enumerate(ACCEPTED_IDS)]}
    ServiceDraft.model_validate(body)
    assert not list(_validator(spec, "ServiceDraft").iter_errors(body))
    body["recipients"][0]["name"] = "张\x00三"  # what web/input_guard.py refuses, the schema does too
    assert list(_validator(spec, "ServiceDraft").iter_errors(body))


def test_upload_limits_come_from_the_apps_settings(db):
    small = db.model_copy(update={"max_document_bytes": 2 * 1024 * 1024, "max_document_pages": 7})
    upload = openapi_document(small)["paths"]["/documents"]["post"]
    file = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"]
    assert (file["maxLength"], file["x-max-pages"]) == (2 * 1024 * 1024, 7)
    assert "2097152" in file["description"] and "7 页" in file["description"]
    default = openapi_document(db)["paths"]["/documents"]["post"]
    assert default["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"]["maxLength"] \
        == db.max_document_bytes


async def test_served_document_uses_the_apps_limits(http, db):
    spec = (await http.get("/court/api/v1/openapi.json")).json()
    file = spec["paths"]["/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"][
        "properties"]["file"]
    assert (file["maxLength"], file["x-max-pages"]) == (db.max_document_bytes, db.max_document_pages)


def test_error_codes_are_listed_and_real(spec):
    upload = spec["paths"]["/documents"]["post"]["responses"]
    assert {"invalid_characters", "pdf_active_content", "document_too_dense", "document_too_many_pages"} \
        <= set(upload["422"]["x-error-codes"])
    assert upload["507"]["x-error-codes"] == ["storage_full"] and "storage_full" in upload["507"]["description"]
    assert "document_too_large" in upload["413"]["x-error-codes"]
    assert "invalid_characters" in spec["paths"]["/services"]["post"]["responses"]["422"]["x-error-codes"]
    source = "\n".join(p.read_text() for d in ("app", "core", "court", "documents", "service", "web")
                       for p in (ROOT / d).rglob("*.py"))
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                for code in response.get("x-error-codes", []):
                    assert f'"{code}"' in source, (path, status, code)
