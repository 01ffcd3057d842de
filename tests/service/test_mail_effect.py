"""The legal effect of service by mail, table-driven; each case's name cites the article it
implements (民事诉讼法 2023 numbering; 法院专递规定 = 《最高人民法院关于以法院专递方式邮寄送达民事诉讼文书的若干规定》)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from documents.kinds import DocumentKind
from service.choices import Channel, MailReturn, MailSigner, ServiceMethod
from service.legal_effect import (
    RULE_MAIL,
    RULE_MAIL_RETURNED,
    RULE_MAIL_SIGNER,
    RULE_MEDIATION_IN_PERSON,
    MailFacts,
    TaskFacts,
    mail_effect,
    task_effect,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
BACK = T0 + timedelta(days=6)
S, R = MailSigner, MailReturn

CASES = {
    "minsufa_art91_signed_by_recipient_effective_on_return_card_date": (
        MailFacts(received_at=T0, signer=S.RECIPIENT), (True, T0, RULE_MAIL)),
    "zhuandi_art9_adult_family_member_living_with_recipient_counts": (
        MailFacts(received_at=T0, signer=S.FAMILY), (True, T0, RULE_MAIL_SIGNER)),
    "zhuandi_art9_designated_receiver_counts": (
        MailFacts(received_at=T0, signer=S.DESIGNATED), (True, T0, RULE_MAIL_SIGNER)),
    "zhuandi_art9_litigation_agent_counts": (
        MailFacts(received_at=T0, signer=S.AGENT), (True, T0, RULE_MAIL_SIGNER)),
    "zhuandi_art9_organisation_mail_room_counts": (
        MailFacts(received_at=T0, signer=S.ORGANISATION), (True, T0, RULE_MAIL_SIGNER)),
    "zhuandi_art9_anyone_else_does_not_count": (
        MailFacts(received_at=T0, signer=S.OTHER), (False, None, RULE_MAIL_SIGNER)),
    "zhuandi_art9_card_without_signer_does_not_count": (
        MailFacts(received_at=T0), (False, None, RULE_MAIL_SIGNER)),
    "zhuandi_art11_refused_return_date_is_service_date": (
        MailFacts(returned_at=BACK, return_reason=R.REFUSED), (True, BACK, RULE_MAIL_RETURNED)),
    "zhuandi_art11_wrong_confirmed_address_return_date_is_service_date": (
        MailFacts(returned_at=BACK, return_reason=R.ADDRESS_WRONG, address_confirmed=True),
        (True, BACK, RULE_MAIL_RETURNED)),
    "zhuandi_art11_confirmed_address_changed_untold_return_date_is_service_date": (
        MailFacts(returned_at=BACK, return_reason=R.MOVED, address_confirmed=True),
        (True, BACK, RULE_MAIL_RETURNED)),
    "zhuandi_art11_wrong_address_the_court_found_is_a_failure": (
        MailFacts(returned_at=BACK, return_reason=R.ADDRESS_WRONG, address_confirmed=False),
        (False, None, RULE_MAIL_RETURNED)),
    "zhuandi_art11_no_such_person_is_a_failure_even_at_a_confirmed_address": (
        MailFacts(returned_at=BACK, return_reason=R.NO_SUCH_PERSON, address_confirmed=True),
        (False, None, RULE_MAIL_RETURNED)),
    "zhuandi_art11_nobody_home_return_is_a_failure": (
        MailFacts(returned_at=BACK, return_reason=R.NOBODY_HOME, address_confirmed=True),
        (False, None, RULE_MAIL_RETURNED)),
    "minsufa_art91_nothing_back_yet_is_not_service": (
        MailFacts(), (False, None, RULE_MAIL)),
}


@pytest.mark.parametrize("facts,expected", CASES.values(), ids=CASES.keys())
def test_mail_effect(facts, expected):
    effect = mail_effect(facts)
    assert (effect.effective, effect.at, effect.rule) == expected
    assert effect.reason and effect.channel is Channel.MAIL


def test_minsufa_art91_task_effect_uses_the_return_card_facts():
    facts = TaskFacts(Channel.MAIL, ServiceMethod.MAIL, BACK, MailFacts(returned_at=BACK, return_reason=R.REFUSED))
    effect = task_effect(DocumentKind.SUMMONS, facts)
    assert (effect.effective, effect.at, effect.rule) == (True, BACK, RULE_MAIL_RETURNED)


def test_minsufa_jieshi_art133_mediation_never_by_mail_even_signed_by_recipient():
    facts = TaskFacts(Channel.MAIL, ServiceMethod.MAIL, T0, MailFacts(received_at=T0, signer=S.RECIPIENT))
    effect = task_effect(DocumentKind.MEDIATION, facts)
    assert (effect.effective, effect.rule) == (False, RULE_MEDIATION_IN_PERSON)
