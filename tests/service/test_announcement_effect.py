"""Announcement's legal effect, table-driven: 民事诉讼法 art. 95 (domestic, thirty days) and
art. 283 para. 1 item (11) (2023 numbering: a recipient without a domicile in China, sixty days)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from documents.kinds import DocumentKind
from service.choices import Channel, ServiceMethod
from service.legal_effect import RULE_ANNOUNCEMENT, RULE_ANNOUNCEMENT_ABROAD, TaskFacts, task_effect

PUBLISHED = datetime(2026, 3, 4, 16, 0, tzinfo=timezone.utc)   # 2026-03-05 00:00 Beijing


@pytest.mark.parametrize(("name", "kind", "abroad", "days", "rule"), [
    ("civil_procedure_law_art_95_domestic_summons", DocumentKind.SUMMONS, False, 30, RULE_ANNOUNCEMENT),
    ("civil_procedure_law_art_95_domestic_judgment", DocumentKind.JUDGMENT, False, 30, RULE_ANNOUNCEMENT),
    ("civil_procedure_law_art_283_abroad_summons", DocumentKind.SUMMONS, True, 60, RULE_ANNOUNCEMENT_ABROAD),
    ("civil_procedure_law_art_283_abroad_judgment", DocumentKind.JUDGMENT, True, 60, RULE_ANNOUNCEMENT_ABROAD),
])
def test_announcement_effect(name, kind, abroad, days, rule):
    effect = task_effect(kind, TaskFacts(Channel.ANNOUNCEMENT, ServiceMethod.ANNOUNCEMENT, PUBLISHED, abroad=abroad))
    assert effect.effective and effect.at == PUBLISHED + timedelta(days=days) and effect.rule == rule


def test_civil_procedure_law_art_283_names_the_article_and_the_sixty_days():
    effect = task_effect(DocumentKind.SUMMONS, TaskFacts(Channel.ANNOUNCEMENT, ServiceMethod.ANNOUNCEMENT, PUBLISHED,
                                                         abroad=True))
    assert "第283条" in effect.rule and "六十日" in effect.reason


def test_mediation_is_never_served_by_announcement_even_abroad():
    effect = task_effect(DocumentKind.MEDIATION, TaskFacts(Channel.ANNOUNCEMENT, ServiceMethod.ANNOUNCEMENT,
                                                           PUBLISHED, abroad=True))
    assert not effect.effective
