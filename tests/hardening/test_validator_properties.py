"""Property tests over the input validators: whatever arrives, the answer is a normalised value or a
clean, typed refusal, never an unhandled exception; and what is accepted is canonical (ASCII where
the format is ASCII, and a fixed point of its own normaliser)."""
from __future__ import annotations

import random
from datetime import date, datetime, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.errors import AppError, ValidationFailed
from court.api.validation import parse
from documents.pdf_inspection import PdfFacts, inspect_pdf
from identity.id_numbers import (
    IdType,
    InvalidIdNumber,
    mask_id_number,
    normalize_id_number,
    resident_id_check_char,
    uscc_check_char,
)
from identity.phones import InvalidPhone, mask_phone, normalize_mobile
from service.case_numbers import PROVINCES, InvalidCaseNumber, court_code_of, normalize_case_number
from service.drafts import DocumentUploadForm, RevokeDraft, ServiceDraft, check_service_draft
from tests.factories import recipient_body, service_body
from tests.hardening.strategies import AWKWARD, HARDENING, any_text
from tests.paths import PDFS

TODAY = date(2025, 6, 1)
ASCII_DIGITS = "0123456789"


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=ASCII_DIGITS, min_size=n, max_size=n)


# --- 案号 ------------------------------------------------------------------------------------

@HARDENING
@given(any_text)
@example("(٢٠٢٤)桂1202民初123号")  # NFKC leaves Arabic-Indic digits alone; \d must not take them
@example("(2024)桂1202民初１２３号")
def test_case_number_is_normalised_or_refused(raw):
    try:
        number = normalize_case_number(raw, today=TODAY)
    except InvalidCaseNumber as exc:
        assert exc.message
        return
    assert normalize_case_number(number, today=TODAY) == number
    assert court_code_of(number)
    assert all(c.isascii() or "\u4e00" <= c <= "\u9fff" for c in number), number


@st.composite
def case_numbers(draw) -> tuple[str, str]:
    """A valid 案号 as typed (full-width, 〔〕, spaces) and its canonical form."""
    year = draw(st.integers(1949, TODAY.year + 1))
    court = draw(st.one_of(st.just("最高法"), st.builds(
        str.__add__, st.sampled_from(PROVINCES), st.sampled_from(["", "01", "1202"]))))
    kind = draw(st.text(alphabet=st.characters(min_codepoint=0x4e00, max_codepoint=0x9fff), min_size=1, max_size=5))
    seq = draw(st.integers(1, 9_999_999))
    canonical = f"({year}){court}{kind}{seq}号"
    typed = canonical
    if draw(st.booleans()):
        typed = typed.translate(str.maketrans("()0123456789", "（）０１２３４５６７８９"))
    if draw(st.booleans()):
        typed = typed.replace("(", "〔", 1).replace(")", "〕", 1).replace("（", "〔", 1).replace("）", "〕", 1)
    if draw(st.booleans()):
        typed = f"  {typed} "
    return typed, canonical


@HARDENING
@given(case_numbers())
def test_valid_case_numbers_are_accepted_in_every_typed_form(pair):
    typed, canonical = pair
    assert normalize_case_number(typed, today=TODAY) == canonical


# --- 证件号码 ---------------------------------------------------------------------------------

@HARDENING
@given(st.sampled_from(list(IdType)), any_text)
@example(IdType.RESIDENT_ID, "45" + "٠٢٠٢١٩٩٠٠١٠١٠٠١" + "X")
@example(IdType.HK_MACAO_PERMIT, "H١٢٣٤٥٦٧٨")
@example(IdType.TAIWAN_PERMIT, "١٢٣٤٥٦٧٨")
def test_id_number_is_normalised_or_refused(id_type, raw):
    try:
        value = normalize_id_number(id_type, raw, today=TODAY)
    except InvalidIdNumber as exc:
        assert exc.message
        return
    # Every format is ASCII: a number with other digits would be stored, masked and matched as typed.
    assert value.isascii() and value.isalnum(), value
    assert normalize_id_number(id_type, value, today=TODAY) == value
    assert len(mask_id_number(id_type, value)) == len(value)


@st.composite
def resident_ids(draw) -> str:
    province = draw(st.sampled_from(["11", "31", "44", "45", "65", "81"]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    first17 = province + draw(_digits(4)) + born.strftime("%Y%m%d") + draw(_digits(3))
    return first17 + resident_id_check_char(first17)


@HARDENING
@given(resident_ids(), st.booleans())
def test_valid_resident_ids_are_accepted(number, full_width):
    typed = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ")) if full_width else number
    assert normalize_id_number(IdType.RESIDENT_ID, typed, today=TODAY) == number


@HARDENING
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_valid_uscc_are_accepted(first17):
    code = first17 + uscc_check_char(first17)
    assert normalize_id_number(IdType.USCC, code.lower(), today=TODAY) == code


# --- 手机号码 ---------------------------------------------------------------------------------

@HARDENING
@given(any_text)
@example("1٣٨١٢٣٤٥٦٧٨")  # NFKC keeps Arabic-Indic digits; a mobile is 11 ASCII digits
@example("13٨12345678")
def test_phone_is_normalised_or_refused(raw):
    try:
        phone = normalize_mobile(raw)
    except InvalidPhone as exc:
        assert exc.message
        return
    assert len(phone) == 11 and all(c in ASCII_DIGITS for c in phone), phone
    assert normalize_mobile(phone) == phone
    assert mask_phone(phone).startswith(phone[:3])


@HARDENING
@given(st.sampled_from("3456789"), _digits(9), st.sampled_from(["", "+86", "0086", "86", "+86 "]),
       st.sampled_from(["", " ", "-", "."]))
def test_valid_phones_are_accepted(second, rest, prefix, sep):
    number = "1" + second + rest
    assert normalize_mobile(prefix + sep.join([number[:3], number[3:7], number[7:]])) == number


# --- request models: names, addresses, causes, titles ----------------------------------------

_TEXT_FIELDS = st.sampled_from([
    ("case", "cause"), ("case", "judge"), ("case", "clerk"), ("case", "case_number"),
    ("recipient", "name"), ("recipient", "address"), ("recipient", "ref"), ("recipient", "agent_of"),
    ("recipient", "phone"), ("recipient", "id_number"), ("service", "external_id"),
])
_JSONISH = st.one_of(any_text, st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                     st.lists(any_text, max_size=2), st.dictionaries(any_text, any_text, max_size=2))


def _draft_problems(body) -> None:
    """Parse and check a service body the way the API does: return, or raise ValidationFailed only."""
    draft = parse(ServiceDraft, body)
    check_service_draft(draft, now=datetime.now(timezone.utc))


@HARDENING
@given(_TEXT_FIELDS, st.one_of(any_text, _JSONISH))
def test_service_draft_text_fields_never_crash(field, value):
    where, name = field
    body = service_body([1])
    target = {"case": body["case"], "recipient": body["recipients"][0], "service": body}[where]
    target[name] = value
    try:
        _draft_problems(body)
    except ValidationFailed as exc:
        assert exc.details and all(d["field"] is not None and d["message"] for d in exc.details)


@HARDENING
@given(st.lists(st.fixed_dictionaries({}, optional={
    "ref": _JSONISH, "name": any_text, "role": st.sampled_from(["plaintiff", "agent", "legal_representative", "x"]),
    "id_type": st.sampled_from(["resident_id", "passport", "uscc", "nope", None]), "id_number": any_text,
    "agent_of": _JSONISH, "channels": st.lists(st.sampled_from(["sms", "portal", "wechat", "fax"]), max_size=4),
    "consent": st.sampled_from(["confirmed", "court_found", ""]),
}), min_size=1, max_size=4), st.one_of(st.none(), any_text, st.datetimes().map(str)))
def test_recipient_combinations_never_crash(overrides, expires_at):
    body = service_body([1, 2], [recipient_body(**o) for o in overrides])
    if expires_at is not None:
        body["expires_at"] = expires_at
    try:
        _draft_problems(body)
    except ValidationFailed as exc:
        assert exc.details


@HARDENING
@given(st.one_of(any_text, _JSONISH), st.one_of(any_text, _JSONISH))
def test_upload_form_and_revoke_never_crash(title, reason):
    for model, body in ((DocumentUploadForm, {"kind": "summons", "title": title}), (RevokeDraft, {"reason": reason})):
        try:
            parse(model, body)
        except ValidationFailed as exc:
            assert exc.details


# --- PDF inspection ----------------------------------------------------------------------------

_SAMPLES = [p.read_bytes() for p in sorted(PDFS.glob("*.pdf"))]
_LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 500}


def _inspect(data: bytes) -> None:
    try:
        facts = inspect_pdf(data, **_LIMITS)
    except AppError as exc:
        assert 400 <= exc.status < 500 and exc.code and exc.message
        return
    assert isinstance(facts, PdfFacts) and 1 <= facts.page_count <= _LIMITS["max_pages"]


@HARDENING
@given(st.one_of(st.binary(max_size=4096), st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b)))
def test_arbitrary_bytes_are_inspected_or_refused(data):
    _inspect(data)


@st.composite
def mutated_pdfs(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(_SAMPLES)))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "splice", "dup", "token"]))
        at = rng.randrange(len(data))
        if op == "flip":
            data[at] ^= 1 << rng.randrange(8)
        elif op == "cut":
            del data[at:at + rng.randrange(1, 2048)]
        elif op == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "dup":
            data[at:at] = data[rng.randrange(len(data)):][:rng.randrange(1, 4096)]
        else:  # a structural token where it can confuse the parser
            data[at:at] = draw(st.sampled_from([b"obj", b"endobj", b"stream", b"endstream", b"xref", b"trailer",
                                                b"%%EOF", b"<<", b">>", b"/Length 999999", b"/Count -1",
                                                b"/Count 2147483648", b"/Encrypt", b"/Kids [0 0 R]"]))
        if not data:
            break
    return bytes(data)


@HARDENING
@given(mutated_pdfs())
def test_mutated_sample_pdfs_are_inspected_or_refused(data):
    _inspect(data)


@pytest.mark.parametrize("ch", AWKWARD)
def test_awkward_characters_in_every_validator(ch):
    """One pass of each awkward character through every validator, outside hypothesis' sampling."""
    for fn, exc in ((lambda s: normalize_case_number(s, today=TODAY), InvalidCaseNumber),
                    (normalize_mobile, InvalidPhone),
                    (lambda s: normalize_id_number(IdType.RESIDENT_ID, s, today=TODAY), InvalidIdNumber)):
        with pytest.raises(exc):
            fn(ch * 3)
