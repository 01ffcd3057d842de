"""addresses/presumption.py, rule by rule of the 2017 送达意见 (arts. 3, 8, 9)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from addresses.choices import AddressKind as K
from addresses.choices import AddressSource as S
from addresses.choices import AddressStatus as St
from addresses.presumption import (
    RULE_CONFIRMED,
    RULE_CONTRACT,
    RULE_HABITUAL_USE,
    RULE_OTHER_CASE,
    RULE_OWN_FILING,
    RULE_REGISTERED,
    AddressFact,
    propose,
)

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
CASE, OTHER = 1, 2


def fact(id, kind, source=S.DOCUMENT, status=St.UNVERIFIED, case_id=CASE, days_ago=10):
    return AddressFact(id, kind, source, status, case_id, NOW - timedelta(days=days_ago))


CONFIRMED_HERE = fact(1, K.CONFIRMED_SERVICE, S.PHONE_CALL, St.CONFIRMED)
CONTRACT = fact(2, K.CONTRACT)
OWN_FILING = fact(3, K.POSTAL, S.DOCUMENT)
OTHER_CASE = fact(4, K.CONFIRMED_SERVICE, S.LITIGANT, St.CONFIRMED, case_id=OTHER, days_ago=200)
HABITUAL_USE = fact(5, K.WORKPLACE, S.EXTERNAL_LOOKUP, case_id=None)
REGISTERED = fact(6, K.REGISTERED, S.EXTERNAL_LOOKUP, case_id=None, days_ago=900)
RESIDENCE = fact(7, K.HABITUAL_RESIDENCE, S.EXTERNAL_LOOKUP, case_id=None, days_ago=900)

ALL = [CONFIRMED_HERE, CONTRACT, OWN_FILING, OTHER_CASE, HABITUAL_USE, REGISTERED]

CASES = {
    "art3_confirmed_address_serves_the_whole_case": (ALL, True, 1, RULE_CONFIRMED),
    "art3_confirmed_wins_even_without_a_refusal": ([CONFIRMED_HERE, CONTRACT], False, 1, RULE_CONFIRMED),
    "art8_1_contract_address_first_after_a_refusal": (ALL[1:], True, 2, RULE_CONTRACT),
    "art8_2_own_address_in_this_suits_filings": (ALL[2:], True, 3, RULE_OWN_FILING),
    "art8_3_address_confirmed_in_another_case_within_a_year": (ALL[3:], True, 4, RULE_OTHER_CASE),
    "art8_3_not_after_a_year": ([fact(4, K.CONFIRMED_SERVICE, S.LITIGANT, St.CONFIRMED, case_id=OTHER, days_ago=400),
                                 REGISTERED], True, 6, RULE_REGISTERED),
    "art8_4_address_habitually_used_within_a_year": (ALL[4:], True, 5, RULE_HABITUAL_USE),
    "art9_registered_residence_of_a_natural_person": ([REGISTERED], True, 6, RULE_REGISTERED),
    "art9_registered_habitual_residence": ([RESIDENCE], True, 7, RULE_REGISTERED),
    "invalid_addresses_are_never_proposed": ([fact(2, K.CONTRACT, status=St.INVALID), REGISTERED], True, 6,
                                             RULE_REGISTERED),
    "electronic_addresses_are_not_postal": ([fact(8, K.PHONE, S.COURT_INTAKE), REGISTERED], True, 6, RULE_REGISTERED),
    "a_confirmation_in_another_case_is_not_art3": ([OTHER_CASE], False, None, ""),
    "no_refusal_no_presumption": ([CONTRACT, REGISTERED], False, None, ""),
    "nothing_usable": ([fact(2, K.CONTRACT, status=St.INVALID)], True, None, ""),
}


@pytest.mark.parametrize("name", CASES)
def test_presumption(name):
    facts, refused, address_id, rule = CASES[name]
    proposal = propose(facts, case_id=CASE, now=NOW, refused=refused)
    assert (proposal.address_id, proposal.rule) == (address_id, rule)
    assert proposal.reason


def test_confirmed_addresses_go_before_unverified_ones_within_a_rule():
    older_confirmed = fact(10, K.CONTRACT, status=St.CONFIRMED, days_ago=100)
    newer = fact(11, K.CONTRACT, days_ago=1)
    assert propose([newer, older_confirmed], case_id=CASE, now=NOW, refused=True).address_id == 10


def test_art9_an_organisation_uses_its_registered_domicile_not_a_residence():
    proposal = propose([RESIDENCE], case_id=CASE, now=NOW, refused=True, organisation=True)
    assert proposal.address_id is None
    proposal = propose([RESIDENCE, REGISTERED], case_id=CASE, now=NOW, refused=True, organisation=True)
    assert (proposal.address_id, proposal.rule) == (6, RULE_REGISTERED) and "登记的住所地" in proposal.reason


def test_the_reason_names_the_rule():
    proposal = propose([CONTRACT], case_id=CASE, now=NOW, refused=True)
    assert "送达意见第8条第1项" in proposal.reason and "拒绝确认" in proposal.reason


# 送达意见 art. 3 / 民诉法解释 art. 137: a confirmation in any case of the lineage (first instance →
# appeal → enforcement, ``service.lineage``) is this case's confirmed address.
FIRST, APPEAL, ENFORCEMENT, UNRELATED = 11, 12, 13, 14
LINEAGE = frozenset({FIRST, APPEAL, ENFORCEMENT})
IN_FIRST = fact(21, K.CONFIRMED_SERVICE, S.LITIGANT, St.CONFIRMED, case_id=FIRST, days_ago=500)
IN_APPEAL = fact(22, K.CONFIRMED_SERVICE, S.LITIGANT, St.CONFIRMED, case_id=APPEAL, days_ago=100)
IN_UNRELATED = fact(23, K.CONFIRMED_SERVICE, S.LITIGANT, St.CONFIRMED, case_id=UNRELATED, days_ago=5)
FILED_IN_ENFORCEMENT = fact(24, K.POSTAL, S.DOCUMENT, case_id=ENFORCEMENT, days_ago=1)

LINEAGE_CASES = {
    # (facts, this case, its lineage, refused) → (address id, rule)
    "first_instance_confirmation_serves_the_appeal": ([IN_FIRST], APPEAL, LINEAGE, False, 21, RULE_CONFIRMED),
    "first_instance_confirmation_serves_enforcement_even_after_a_year": (
        [IN_FIRST, FILED_IN_ENFORCEMENT], ENFORCEMENT, LINEAGE, True, 21, RULE_CONFIRMED),
    "an_appeal_confirmation_serves_the_first_instance_case_too": ([IN_APPEAL], FIRST, LINEAGE, False, 22,
                                                                   RULE_CONFIRMED),
    "the_newest_confirmation_of_the_lineage_wins": ([IN_FIRST, IN_APPEAL], ENFORCEMENT, LINEAGE, False, 22,
                                                    RULE_CONFIRMED),
    "an_unrelated_case_is_not_the_lineage": ([IN_UNRELATED], APPEAL, LINEAGE, False, None, ""),
    "an_unrelated_confirmation_is_art8_3_after_a_refusal": ([IN_UNRELATED], APPEAL, LINEAGE, True, 23,
                                                             RULE_OTHER_CASE),
    "the_lineage_before_an_unrelated_newer_confirmation": ([IN_UNRELATED, IN_FIRST], APPEAL, LINEAGE, True, 21,
                                                           RULE_CONFIRMED),
    "without_a_lineage_only_this_case_counts": ([IN_FIRST], APPEAL, frozenset(), False, None, ""),
}


@pytest.mark.parametrize("name", LINEAGE_CASES)
def test_confirmation_serves_the_whole_lineage(name):
    facts, case_id, lineage, refused, address_id, rule = LINEAGE_CASES[name]
    proposal = propose(facts, case_id=case_id, now=NOW, refused=refused, lineage=lineage)
    assert (proposal.address_id, proposal.rule) == (address_id, rule), proposal.reason
