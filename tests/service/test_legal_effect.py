"""Legal-effect engine, table-driven; each case's name cites the rule it shows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from documents.kinds import DocumentKind
from service.choices import Channel, ConsentBasis
from service.legal_effect import (
    RULE_CONFIRMED,
    RULE_COURT_FOUND,
    RULE_EARLIEST,
    RULE_MEDIATION,
    ChannelFacts,
    service_effect,
)

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)


def t(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


SMS, PORTAL, WECHAT = Channel.SMS, Channel.PORTAL, Channel.WECHAT
CONFIRMED, FOUND = ConsentBasis.CONFIRMED, ConsentBasis.COURT_FOUND
JUDGMENT, SUMMONS, MEDIATION = DocumentKind.JUDGMENT, DocumentKind.SUMMONS, DocumentKind.MEDIATION

CASES = {
    "art31_para1_confirmed_address_effective_on_carrier_arrival": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1))], (True, t(1), RULE_CONFIRMED)),
    "art31_para1_confirmed_address_not_effective_before_arrival": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS)], (False, None, RULE_CONFIRMED)),
    "art31_para1_sms_sent_but_not_arrived_is_not_service": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, notified_at=t(0))], (False, None, RULE_CONFIRMED)),
    "art31_para1_portal_push_is_arrival_in_the_account": (
        SUMMONS, CONFIRMED, [ChannelFacts(PORTAL, notified_at=t(2))], (True, t(2), RULE_CONFIRMED)),
    "art31_para1_opening_the_link_proves_arrival_when_carrier_report_missing": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, opened_at=t(30))], (True, t(30), RULE_CONFIRMED)),
    "art31_para1_failed_sms_is_not_service": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, failed_at=t(1))], (False, None, RULE_CONFIRMED)),
    "art31_para2_court_found_address_not_effective_on_arrival": (
        JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1), opened_at=t(5))], (False, None, RULE_COURT_FOUND)),
    "art31_para2_court_found_address_effective_when_read": (
        JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1), document_viewed_at=t(9))],
        (True, t(9), RULE_COURT_FOUND)),
    "art31_para2_court_found_address_effective_when_signed": (
        JUDGMENT, FOUND, [ChannelFacts(WECHAT, signed_at=t(20))], (True, t(20), RULE_COURT_FOUND)),
    "art31_para3_earliest_effective_channel_wins": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(10)), ChannelFacts(PORTAL, notified_at=t(3))],
        (True, t(3), RULE_CONFIRMED + "；" + RULE_EARLIEST)),
    "art31_para3_an_ineffective_channel_does_not_block_an_effective_one": (
        JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1)), ChannelFacts(WECHAT, document_viewed_at=t(40))],
        (True, t(40), RULE_COURT_FOUND)),
    "minsufa_art100_mediation_effective_only_when_signed": (
        MEDIATION, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1), document_viewed_at=t(5))],
        (False, None, RULE_MEDIATION)),
    "minsufa_art100_mediation_effective_at_signature": (
        MEDIATION, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1), document_viewed_at=t(5), signed_at=t(7))],
        (True, t(7), RULE_MEDIATION)),
    "minsufa_art100_mediation_court_found_also_needs_signature": (
        MEDIATION, FOUND, [ChannelFacts(PORTAL, document_viewed_at=t(5))], (False, None, RULE_MEDIATION)),
    "revocation_before_effect_prevents_service": (
        JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1), revoked_at=t(2), document_viewed_at=t(3))],
        (False, None, RULE_COURT_FOUND)),
    "revocation_after_effect_does_not_undo_service": (
        SUMMONS, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1), revoked_at=t(60))], (True, t(1), RULE_CONFIRMED)),
    "expiry_before_reading_prevents_service_on_court_found_address": (
        JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1), expired_at=t(100), document_viewed_at=t(200))],
        (False, None, RULE_COURT_FOUND)),
    "no_channels_is_not_service": (SUMMONS, CONFIRMED, [], (False, None, RULE_CONFIRMED)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_legal_effect(name):
    kind, consent, channels, (effective, at, rule) = CASES[name]
    effect = service_effect(kind, consent, channels)
    assert (effect.effective, effect.at, effect.rule) == (effective, at, rule)
    assert effect.reason  # always says why, in Chinese


def test_reasons_explain_why_not():
    assert "撤回" in service_effect(SUMMONS, CONFIRMED, [ChannelFacts(SMS, revoked_at=t(1))]).reason
    assert "签收" in service_effect(MEDIATION, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1))]).reason
    assert "阅读" in service_effect(JUDGMENT, FOUND, [ChannelFacts(SMS, arrived_at=t(1))]).reason
    assert service_effect(SUMMONS, CONFIRMED, [ChannelFacts(SMS, arrived_at=t(1))]).channel is SMS
