"""The legal effect of service by the centre's people, table-driven; each case's name cites the
article it implements (民事诉讼法 2023 numbering; 民诉法解释 = 最高法关于适用民事诉讼法的解释)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from documents.kinds import DocumentKind
from service.choices import Channel, ConsentBasis, ServiceMethod
from service.legal_effect import (
    RULE_ANNOUNCEMENT,
    RULE_CONFIRMED,
    RULE_DIRECT,
    RULE_EARLIEST,
    RULE_ENTRUSTED,
    RULE_LODGED,
    RULE_MAIL,
    RULE_MEDIATION,
    RULE_MEDIATION_IN_PERSON,
    RULE_PHONE,
    ChannelFacts,
    TaskFacts,
    service_effect,
    task_effect,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
SUMMONS, JUDGMENT, RULING, MEDIATION = (DocumentKind.SUMMONS, DocumentKind.JUDGMENT, DocumentKind.RULING,
                                        DocumentKind.MEDIATION)
M = ServiceMethod

CASES = {
    "minsufa_art87_art88_direct_service_effective_on_signing_date": (
        JUDGMENT, TaskFacts(Channel.PICKUP, M.DIRECT, T0), (True, T0, RULE_DIRECT)),
    "minsufa_art88_field_service_signed_by_recipient": (
        SUMMONS, TaskFacts(Channel.FIELD, M.DIRECT, T0), (True, T0, RULE_DIRECT)),
    "minsufa_art89_lodged_service_effective_when_left": (
        JUDGMENT, TaskFacts(Channel.FIELD, M.LODGED, T0), (True, T0, RULE_LODGED)),
    "minsufa_art91_mail_effective_on_return_card_date": (
        JUDGMENT, TaskFacts(Channel.MAIL, M.MAIL, T0), (True, T0, RULE_MAIL)),
    "minsufa_art91_jieshi_art134_entrusted_effective_on_signing_for_the_other_court": (
        RULING, TaskFacts(Channel.ENTRUSTED, M.ENTRUSTED, T0), (True, T0, RULE_ENTRUSTED)),
    "minsufa_art95_announcement_effective_thirty_days_after_publication": (
        JUDGMENT, TaskFacts(Channel.ANNOUNCEMENT, M.ANNOUNCEMENT, T0),
        (True, T0 + timedelta(days=30), RULE_ANNOUNCEMENT)),
    "jieshi_art261_summons_by_phone_effective_when_confirmed": (
        SUMMONS, TaskFacts(Channel.PHONE, M.PHONE, T0), (True, T0, RULE_PHONE)),
    "jieshi_art261_judgment_never_by_phone": (
        JUDGMENT, TaskFacts(Channel.PHONE, M.PHONE, T0), (False, None, RULE_PHONE)),
    "jieshi_art261_ruling_never_by_phone": (
        RULING, TaskFacts(Channel.PHONE, M.PHONE, T0), (False, None, RULE_PHONE)),
    "jieshi_art133_mediation_not_by_lodged_service": (
        MEDIATION, TaskFacts(Channel.FIELD, M.LODGED, T0), (False, None, RULE_MEDIATION_IN_PERSON)),
    "jieshi_art133_mediation_not_by_announcement": (
        MEDIATION, TaskFacts(Channel.ANNOUNCEMENT, M.ANNOUNCEMENT, T0), (False, None, RULE_MEDIATION_IN_PERSON)),
    "jieshi_art133_mediation_not_by_mail": (
        MEDIATION, TaskFacts(Channel.MAIL, M.MAIL, T0), (False, None, RULE_MEDIATION_IN_PERSON)),
    "minsufa_art100_mediation_effective_when_signed_in_person": (
        MEDIATION, TaskFacts(Channel.PICKUP, M.DIRECT, T0), (True, T0, RULE_MEDIATION)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_task_effect(name):
    kind, facts, (effective, at, rule) = CASES[name]
    effect = task_effect(kind, facts)
    assert (effect.effective, effect.at, effect.rule) == (effective, at, rule)
    assert effect.reason


def test_art31_para3_earliest_wins_across_electronic_and_task_attempts():
    """A return card dated before the SMS arrived: the mail service came first."""
    effect = service_effect(SUMMONS, ConsentBasis.CONFIRMED,
                            [ChannelFacts(Channel.SMS, arrived_at=T0 + timedelta(hours=5))],
                            [TaskFacts(Channel.MAIL, M.MAIL, T0)])
    assert (effect.effective, effect.at, effect.channel) == (True, T0, Channel.MAIL)
    assert effect.rule == f"{RULE_MAIL}；{RULE_EARLIEST}"


def test_art31_para3_electronic_arrival_before_announcement_effect_wins():
    effect = service_effect(JUDGMENT, ConsentBasis.CONFIRMED,
                            [ChannelFacts(Channel.SMS, arrived_at=T0 + timedelta(days=3))],
                            [TaskFacts(Channel.ANNOUNCEMENT, M.ANNOUNCEMENT, T0)])
    assert (effect.at, effect.channel) == (T0 + timedelta(days=3), Channel.SMS)
    assert effect.rule.startswith(RULE_CONFIRMED)


def test_only_task_channels_and_none_served_is_not_service():
    effect = service_effect(SUMMONS, ConsentBasis.CONFIRMED, [], [])
    assert not effect.effective and effect.reason == "尚未送达成功"
