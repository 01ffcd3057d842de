"""A case's lineage (同一案件的一审、二审和执行): the cases linked through ``Case.origin`` — an appeal
to its first instance (原审案号), an enforcement to the judgment it enforces (执行依据) — in both
directions. 送达意见 art. 3: an address the litigant confirmed serves every case of the lineage."""
from __future__ import annotations

from service.models import Case

MAX_DEPTH = 16  # first instance → appeal → retrial → enforcement …: a guard against a cycle, never reached


async def lineage_of(case_id: int) -> frozenset[int]:
    """Every case id reachable from ``case_id`` through origins and successors, itself included."""
    seen = {case_id}
    frontier = {case_id}
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        up = await Case.filter(id__in=frontier, origin_id__not_isnull=True).values_list("origin_id", flat=True)
        down = await Case.filter(origin_id__in=frontier).values_list("id", flat=True)
        frontier = {*up, *down} - seen
        seen |= frontier
    return frozenset(seen)
