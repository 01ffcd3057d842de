"""Which address to serve at, and why: the presumption rules (送达地址推定).

A pure function of a person's addresses, like the legal-effect engine, so that the console, a
report and a judge reading the code reach the same answer. The rules, in the order of the 2017
《最高人民法院关于进一步加强民事送达工作的若干意见》 (法发〔2017〕19号, 送达意见):

- 送达意见 art. 3: the address the litigant confirmed (送达地址确认书) serves the case through first
  instance, appeal and enforcement.
- 送达意见 art. 8: when the litigant refuses to confirm an address or evades service, in turn:
  (1) the address agreed for disputes in the contract or correspondence the suit is about;
  (2) the litigant's own address stated in the written materials they filed in this suit;
  (3) the address they gave in another suit or arbitration within one year;
  (4) the address they habitually used in civil activities within one year.
- 送达意见 art. 9: failing all of these, a natural person's registered residence (户籍) or
  registered habitual residence (经常居所); an organisation's registered domicile.

An address marked invalid (a return: 地址不准确, 迁出, 查无此人) is never proposed. Electronic
addresses are not postal addresses and are left to the channel rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from addresses.choices import ELECTRONIC_KINDS, AddressKind, AddressSource, AddressStatus

RULE_CONFIRMED = "送达意见第3条"
RULE_CONTRACT = "送达意见第8条第1项"
RULE_OWN_FILING = "送达意见第8条第2项"
RULE_OTHER_CASE = "送达意见第8条第3项"
RULE_HABITUAL_USE = "送达意见第8条第4项"
RULE_REGISTERED = "送达意见第9条"

ONE_YEAR = timedelta(days=365)
# Sources where the litigant themselves gave the address (art. 8 (3): "提供的地址").
_GIVEN_BY_LITIGANT = frozenset({AddressSource.LITIGANT, AddressSource.PHONE_CALL})


@dataclass(frozen=True)
class AddressFact:
    """What the rules read about one address row."""

    id: int
    kind: AddressKind
    source: AddressSource
    status: AddressStatus
    case_id: int | None
    recorded_at: datetime


@dataclass(frozen=True)
class Proposal:
    address_id: int | None
    rule: str
    reason: str


def propose(facts: list[AddressFact], *, case_id: int | None, now: datetime, refused: bool,
            organisation: bool = False, lineage: frozenset[int] = frozenset()) -> Proposal:
    """The address to serve at in case ``case_id``, with its rule; ``address_id`` None when no
    rule applies. ``refused``: a refusal to confirm (or evasion) is recorded for this case.
    ``lineage``: the cases of the same lineage (first instance, appeal, enforcement), whose
    confirmed address is this case's (art. 3)."""
    same_case = lineage | {case_id} if case_id is not None else frozenset()
    usable = sorted((f for f in facts if f.status is not AddressStatus.INVALID and f.kind not in ELECTRONIC_KINDS),
                    key=lambda f: (f.status is not AddressStatus.CONFIRMED, -f.recorded_at.timestamp(), -f.id))
    within_year = [f for f in usable if now - f.recorded_at <= ONE_YEAR]
    confirmed = [f for f in usable if f.kind is AddressKind.CONFIRMED_SERVICE and f.status is AddressStatus.CONFIRMED
                 and f.case_id in same_case]
    if confirmed:
        where = "本案" if confirmed[0].case_id == case_id else "本案的原审或关联案件（一审、二审、执行）中"
        return Proposal(confirmed[0].id, RULE_CONFIRMED, f"当事人在{where}确认的送达地址，适用于一审、二审和执行程序")
    if not refused:
        return Proposal(None, "", "当事人尚未确认送达地址，也未记录拒绝确认；请先请当事人填写送达地址确认书")
    steps = [
        (RULE_CONTRACT, "合同或往来函件中约定的送达地址",
         [f for f in usable if f.kind is AddressKind.CONTRACT]),
        (RULE_OWN_FILING, "当事人在本案诉讼材料中载明的自己的地址",
         [f for f in usable if f.source is AddressSource.DOCUMENT and f.case_id == case_id and case_id is not None
          and f.kind is not AddressKind.CONTRACT]),
        (RULE_OTHER_CASE, "当事人一年内在其他诉讼案件中提供或确认的地址",
         [f for f in within_year if f.case_id not in same_case and f.case_id is not None
          and (f.status is AddressStatus.CONFIRMED or f.source in _GIVEN_BY_LITIGANT)]),
        (RULE_HABITUAL_USE, "当事人一年内进行民事活动时经常使用的地址",
         [f for f in within_year if f.kind in (AddressKind.POSTAL, AddressKind.WORKPLACE)
          and f.source is not AddressSource.COURT_INTAKE]),
        (RULE_REGISTERED, "法人或其他组织登记的住所地" if organisation else "自然人户籍登记住所或经常居所登记住址",
         [f for f in usable if f.kind is AddressKind.REGISTERED
          or (not organisation and f.kind is AddressKind.HABITUAL_RESIDENCE)]),
    ]
    for rule, reason, candidates in steps:
        if candidates:
            return Proposal(candidates[0].id, rule, f"当事人拒绝确认送达地址；按{rule}，以{reason}为送达地址")
    return Proposal(None, "", "当事人拒绝确认送达地址，但地址库中没有可依送达意见第8条、第9条推定的有效地址")
