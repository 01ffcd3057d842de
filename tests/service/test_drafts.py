"""Service drafts: the cross-field rules of check_service_draft, each reported at its field path."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from core.errors import ValidationFailed
from identity.id_numbers import IdType
from service.choices import RecipientRole
from service.drafts import ServiceDraft, check_service_draft
from tests.factories import phone, recipient_body, resident_id, service_body

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def draft(recipients: list[dict] | None = None, document_ids: list[int] | None = None,
          **overrides) -> ServiceDraft:
    return ServiceDraft.model_validate(service_body(document_ids or [1, 2], recipients, **overrides))


def problems(d: ServiceDraft) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        check_service_draft(d, now=NOW)
    assert info.value.status == 422 and info.value.code == "validation_failed"
    assert all(set(p) == {"field", "message"} and p["message"] for p in info.value.details)
    return info.value.details


def fields_of(d: ServiceDraft) -> list[str]:
    return [p["field"] for p in problems(d)]


def party(ref: str, **overrides) -> dict:
    return recipient_body(ref=ref, **overrides)


def agent(ref: str, agent_of: str | None, role: str = "agent", name: str = "李律师", **overrides) -> dict:
    return recipient_body(ref=ref, role=role, name=name, agent_of=agent_of, **overrides)


# --- valid drafts ----------------------------------------------------------------------------

def test_factory_body_is_valid():
    d = draft()
    check_service_draft(d, now=NOW)
    assert d.case.case_number == "(2024)桂1202民初123号"
    assert d.recipients[0].id_type is IdType.RESIDENT_ID


def test_parties_with_agent_and_legal_representative_are_valid():
    d = draft([
        party("p1", role="plaintiff"),
        party("d1", name="示范有限公司", id_type=None, id_number=None),
        agent("a1", "p1"),
        agent("lr1", "d1", role="legal_representative", name="赵经理"),
    ])
    check_service_draft(d, now=NOW)


def test_agent_may_point_to_a_party_listed_after_it():
    check_service_draft(draft([agent("a1", "p1"), party("p1")]), now=NOW)


def test_same_person_in_two_roles_is_allowed():
    same = {"name": "王小明", "phone": phone(), "id_type": None, "id_number": None}
    check_service_draft(draft([party("p1", role="plaintiff", **same),
                               party("p2", role="third_party", **same)]), now=NOW)


def test_recipients_without_refs_are_valid():
    check_service_draft(draft([party(None), party(None)]), now=NOW)


def test_future_aware_expiry_is_valid():
    check_service_draft(draft(expires_at="2024-06-05T00:00:00+08:00"), now=NOW)


# --- cross-field rules -----------------------------------------------------------------------

def test_duplicate_refs():
    assert fields_of(draft([party("p1"), party("p2"), party("p1")])) == ["recipients.2.ref"]


def test_duplicate_id_numbers():
    same = resident_id()
    assert fields_of(draft([party("p1", id_number=same), party("p2", id_number=same)])) == [
        "recipients.1.id_number"]


def test_duplicate_id_numbers_in_different_writing_are_the_same_person():
    same = resident_id(17)
    assert same.endswith("X")
    d = draft([party("p1", id_number=same.lower()), party("p2", id_number=" " + same + " ")])
    assert fields_of(d) == ["recipients.1.id_number"]


def test_duplicate_name_phone_and_role():
    same_phone = phone()
    d = draft([party("p1", name="王小明", phone=same_phone), party("p2", name="王小明", phone=same_phone)])
    assert fields_of(d) == ["recipients.1"]


def test_duplicate_name_phone_and_role_with_differently_written_phone():
    number = phone()
    d = draft([party("p1", name="王小明", phone=number),
               party("p2", name=" 王小明 ", phone="+86 " + number[:3] + "-" + number[3:])])
    assert fields_of(d) == ["recipients.1"]


@pytest.mark.parametrize("role", ["agent", "legal_representative"])
def test_representative_without_agent_of(role):
    assert fields_of(draft([party("p1"), agent("a1", None, role=role)])) == ["recipients.1.agent_of"]


@pytest.mark.parametrize("role", ["plaintiff", "defendant", "third_party"])
def test_party_with_agent_of(role):
    d = draft([party("p1"), party("p2", role=role, agent_of="p1")])
    assert fields_of(d) == ["recipients.1.agent_of"]


def test_self_agent():
    assert fields_of(draft([party("p1"), agent("a1", "a1")])) == ["recipients.1.agent_of"]


def test_agent_of_unknown_ref():
    details = problems(draft([party("p1"), agent("a1", "nobody")]))
    assert [p["field"] for p in details] == ["recipients.1.agent_of"]
    assert "nobody" in details[0]["message"]


def test_agent_of_an_agent():
    d = draft([party("p1"), agent("a1", "p1"), agent("a2", "a1", name="周律师")])
    assert fields_of(d) == ["recipients.2.agent_of"]


def test_legal_representative_of_an_agent():
    d = draft([party("p1"), agent("a1", "p1"), agent("lr", "a1", role="legal_representative", name="钱某")])
    assert fields_of(d) == ["recipients.2.agent_of"]


def test_duplicate_document_ids():
    assert fields_of(draft(document_ids=[3, 4, 3])) == ["document_ids"]


@pytest.mark.parametrize("expires_at", [
    "2024-05-01T00:00:00+08:00",   # past
    "2024-05-06T09:00:00+08:00",   # exactly now
    "2024-05-06T00:30:00Z",        # past, in another zone
])
def test_expires_at_not_in_the_future(expires_at):
    assert fields_of(draft(expires_at=expires_at)) == ["expires_at"]


@pytest.mark.parametrize("expires_at", ["2030-01-01T00:00:00", "2020-01-01T00:00:00"])
def test_expires_at_without_timezone(expires_at):
    details = problems(draft(expires_at=expires_at))
    assert [p["field"] for p in details] == ["expires_at"]
    assert "时区" in details[0]["message"]


def test_every_problem_is_reported_together():
    same = resident_id()
    d = draft(
        [party("p1", id_number=same), party("p1", id_number=same), agent("a1", None)],
        document_ids=[1, 1], expires_at="2020-01-01T00:00:00+08:00",
    )
    assert fields_of(d) == ["document_ids", "expires_at", "recipients.1.ref",
                            "recipients.1.id_number", "recipients.2.agent_of"]


# --- the pydantic models themselves ----------------------------------------------------------

def _loc(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in e["loc"]) for e in error.errors()]


@pytest.mark.parametrize(("mutate", "loc"), [
    (lambda b: b["case"].update(case_number="2024桂1202民初123号"), "case.case_number"),
    (lambda b: b["recipients"][0].update(phone="12345"), "recipients.0.phone"),
    (lambda b: b["recipients"][0].update(id_number="450202199001011234"), "recipients.0.id_number"),
    (lambda b: b["recipients"][0].update(channels=["sms", "sms"]), "recipients.0.channels"),
    (lambda b: b["recipients"][0].update(channels=[]), "recipients.0.channels"),
    (lambda b: b["recipients"][0].update(role="judge"), "recipients.0.role"),
    (lambda b: b["recipients"][0].update(unexpected=1), "recipients.0.unexpected"),
    (lambda b: b.update(document_ids=[]), "document_ids"),
    (lambda b: b.update(recipients=[]), "recipients"),
    (lambda b: b.update(extra="x"), "extra"),
])
def test_field_rules(mutate, loc):
    body = service_body([1], [recipient_body(ref="p1")])
    mutate(body)
    with pytest.raises(ValidationError) as info:
        ServiceDraft.model_validate(body)
    assert loc in _loc(info.value)


def test_id_type_without_number_is_refused():
    with pytest.raises(ValidationError):
        ServiceDraft.model_validate(service_body([1], [recipient_body(id_number=None)]))


def test_fields_are_normalised():
    number = phone()
    d = draft([recipient_body(ref=" p1 ", name=" 王小明 ", phone="+86 " + number, id_type=None,
                              role=RecipientRole.DEFENDANT.value)],
              case_number="（２０２４）桂１２０２民初１２３号")
    assert d.case.case_number == "(2024)桂1202民初123号"
    r = d.recipients[0]
    assert (r.ref, r.name, r.phone, r.id_type) == ("p1", "王小明", number, IdType.RESIDENT_ID)
