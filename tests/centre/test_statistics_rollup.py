"""The roll-up gives the figures of the direct computation: random attempts over several courts,
two centres (one task entrusted to the other centre), every channel, staff, open / closed /
handed-back tasks, tasks closed days after they were created; compared before any roll-up (all
live), after it, after late changes to rolled-up days (those days live until the next pass) and
after the next pass, for several ranges and for court and centre scopes. Handling-time
quantiles come from buckets: equal within a bucket."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from centre.scope import Scope
from centre.statistics import BEIJING, CentreStatistics, Period, centre_statistics
from centre.statistics_buckets import bounds, quantile
from centre.statistics_direct import direct_statistics
from centre.statistics_plan import RollupState, read_plan
from centre.statistics_rollup import roll_up_statistics
from service.models import Attempt

CHANNELS = ["sms", "portal", "wechat", "phone", "mail", "pickup", "field", "announcement", "entrusted"]
ELECTRONIC = {"sms", "portal", "wechat"}
METHODS = {"sms": "electronic", "portal": "electronic", "wechat": "electronic", "phone": "phone", "mail": "mail",
           "pickup": "direct", "field": "lodged", "announcement": "announcement", "entrusted": "entrusted"}
NOW = datetime(2025, 5, 10, 4, 0, tzinfo=timezone.utc)      # rolls up through 8 May (Beijing)
HALF_DAY = (bounds(24)[1] - bounds(24)[0]) / 2
RANGES = [Period(date(2025, 3, 1), date(2025, 4, 30)), Period(date(2025, 3, 10), date(2025, 4, 5)),
          Period(date(2025, 4, 1), date(2025, 5, 10)), Period(date(2025, 3, 20), date(2025, 3, 20)),
          Period(date(2025, 2, 1), date(2025, 12, 31))]


async def _sql(sql: str, *params) -> list[dict]:
    return await Attempt._meta.db.execute_query_dict(sql, list(params))


async def _one(sql: str, *params) -> int:
    return (await _sql(sql + " RETURNING id", *params))[0]["id"]


def _at(rng: random.Random, first: date, days: int) -> datetime:
    day = first + timedelta(days=rng.randrange(days))
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(seconds=rng.randrange(86400))


async def _seed(rng: random.Random) -> dict:
    centres = [await _one("INSERT INTO service_centre (name, created_at) VALUES ($1, now())", f"中心{i}") for i in range(2)]
    courts = {}
    for i, centre in enumerate([centres[0], centres[0], centres[1]]):
        courts[await _one("INSERT INTO court (code, name, phone, centre_id, created_at) VALUES ($1, $2, '', $3, now())",
                          f"R{i}{rng.randrange(10**6)}", f"法院{i}", centre)] = centre
    staff = [await _one("INSERT INTO staff_account (court_id, centre_id, login, display_name, role, password_hash, "
                        "totp_secret_cipher, totp_last_step, failed_logins, phone_cipher, phone_masked, created_at) "
                        "VALUES ($1, $2, $3, $4, 'process_server', 'x', 'x', 0, 0, '', '', now())",
                        court, courts[court], f"s{rng.randrange(10**9)}", f"送达员{i}")
             for i, court in enumerate(list(courts) * 2)]
    court_ids = list(courts)
    documents = [await _one("INSERT INTO document (court_id, kind, title, original_filename, sha256, size, page_count, "
                            "created_at) VALUES ($1, 'summons', '传票', '', $2, 1, 1, now())", court_ids[0], f"{i:064d}")
                 for i in range(3)]
    recipients = []
    for _ in range(14):
        court = rng.choice(court_ids)
        case = await _one("INSERT INTO court_case (court_id, case_number, cause, judge, clerk, created_at) "
                          "VALUES ($1, $2, '', '', '', now())", court, f"(2025)民初{rng.randrange(10**6)}号")
        for _ in range(rng.randint(1, 2)):
            service = await _one("INSERT INTO service (court_id, case_id, source_system, status, expires_at, "
                                 "revoke_reason, created_at) VALUES ($1, $2, 'trial', 'in_progress', now(), '', now())",
                                 court, case)
            for position, document in enumerate(rng.sample(documents, rng.randint(1, 3))):
                await _sql("INSERT INTO service_document (service_id, document_id, position) VALUES ($1, $2, $3)",
                           service, document, position)
            for position in range(rng.randint(1, 3)):
                recipient = await _one(
                    "INSERT INTO recipient (service_id, position, name, role, phone_cipher, phone_index, phone_masked, "
                    "address_cipher, address_masked, consent_basis, channels) VALUES ($1, $2, '受送达人', 'defendant', 'x', "
                    "'x', '138****0000', '', '', 'confirmed', '[]')", service, position)
                recipients.append((recipient, service, court))
    world = {"courts": courts, "centres": centres, "staff": staff, "recipients": recipients}
    for _ in range(260):
        await _attempt(rng, world, _at(rng, date(2025, 3, 1), 61))
    for _ in range(15):   # the days not rolled up yet: computed live
        await _attempt(rng, world, _at(rng, date(2025, 5, 9), 2))
    return world


async def _attempt(rng: random.Random, world: dict, created: datetime) -> int:
    recipient, service, court = rng.choice(world["recipients"])
    channel = rng.choice(CHANNELS)
    centre = world["courts"][court]
    if channel == "entrusted":    # a task in the receiving court's centre
        centre = next(c for c in world["centres"] if c != centre)
    status = rng.choice(["closed", "closed", "closed", "assigned", "in_progress", "unassigned", "handed_back"])
    assignee = None if channel in ELECTRONIC or status == "unassigned" else rng.choice(world["staff"])
    closed_at = created + timedelta(hours=rng.uniform(0, 24 * 12)) if status == "closed" else None
    outcome = rng.choice(["served", "served", "failed"]) if status == "closed" else None
    return await _one(
        "INSERT INTO attempt (court_id, centre_id, service_id, recipient_id, channel, status, assignee_id, area, due_at, "
        "notes, hand_back_reason, outcome, method, failure_reason, failure_text, served_at, effective_at, effect_rule, "
        "effect_reason, created_at, closed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, '', '', $9, $10, "
        "$11, '', NULL, NULL, '', '', $12, $13, $12)",
        court, centre, service, recipient, channel, status, assignee,
        None if channel in ELECTRONIC else created + timedelta(days=rng.uniform(1, 10)), outcome,
        METHODS[channel] if outcome == "served" else None, "no_answer" if outcome == "failed" else None,
        created, closed_at)


def _scopes(world: dict) -> list[Scope]:
    return ([Scope(1, court_id=c) for c in world["courts"]] + [Scope(1, centre_id=c) for c in world["centres"]])


def _counts(stats: CentreStatistics) -> list:
    return [(f.label, f.cases, f.recipients, f.documents, f.attempts, f.closed, f.served, f.routes)
            for f in stats.channels]


async def _agree(world: dict, *, expect_live: bool | None = None) -> None:
    for scope in _scopes(world):
        for span in RANGES:
            direct = await direct_statistics(scope, span, now=NOW)
            paged = await centre_statistics(scope, span, now=NOW)
            assert _counts(paged) == _counts(direct), (scope, span)
            assert paged.staff == direct.staff, (scope, span)
            for mine, exact in zip(paged.channels, direct.channels, strict=True):
                for got, want in ((mine.median_hours, exact.median_hours), (mine.p90_hours, exact.p90_hours)):
                    assert (got is None) == (want is None), (scope, span, mine.label)
                    if got is not None:
                        # Each of the two nearest ranks sits at its bucket's middle: off by at
                        # most half the wider of their buckets (half an hour, or half a day).
                        assert abs(got - want) <= HALF_DAY, (scope, span, mine.label, got, want)
            if expect_live is not None and span == RANGES[0]:
                assert (paged.live_days > 0) is expect_live, (scope, span, paged.live_days)


async def _roll_up() -> None:
    while await roll_up_statistics(now=NOW, batch_days=20):
        pass


@pytest.mark.parametrize("seed", [7, 2025])
async def test_rolled_up_figures_equal_the_direct_ones(db, seed):
    rng = random.Random(seed)
    world = await _seed(rng)
    await _agree(world, expect_live=True)            # worker never ran: everything live
    await _roll_up()
    await _agree(world, expect_live=False)
    # Late changes to rolled-up days: a task closed weeks after it was created, one reassigned,
    # an outcome corrected, an attempt added on an old day and one moved to another day.
    open_task = (await _sql("SELECT id FROM attempt WHERE status <> 'closed' AND assignee_id IS NOT NULL "
                            "AND created_at < '2025-04-01' ORDER BY id LIMIT 1"))[0]["id"]
    await _sql("UPDATE attempt SET status = 'closed', outcome = 'served', method = 'mail', "
               "closed_at = created_at + interval '19 days 3 hours' WHERE id = $1", open_task)
    await _sql("UPDATE attempt SET assignee_id = $1 WHERE id = (SELECT min(id) FROM attempt WHERE assignee_id IS NOT NULL "
               "AND assignee_id <> $1)", world["staff"][0])
    await _sql("UPDATE attempt SET outcome = 'failed', method = NULL WHERE id = (SELECT max(id) FROM attempt "
               "WHERE outcome = 'served' AND created_at < '2025-05-01')")
    await _attempt(rng, world, datetime(2025, 3, 21, 9, tzinfo=BEIJING))
    await _sql("UPDATE attempt SET created_at = created_at + interval '9 days' WHERE id = (SELECT min(id) FROM attempt "
               "WHERE created_at < '2025-03-15')")
    await _agree(world, expect_live=True)
    await _roll_up()
    await _agree(world, expect_live=False)
    assert not await _sql("SELECT 1 FROM statistics_dirty_day WHERE day <= '2025-05-08'")
    # Changes that move no attempt: those days' counts live, their reach still from the roll-up.
    await _sql("UPDATE attempt SET closed_at = closed_at + interval '30 hours', status = 'closed' "
               "WHERE id IN (SELECT id FROM attempt WHERE closed_at IS NOT NULL ORDER BY id LIMIT 5)")
    assert not await _sql("SELECT 1 FROM statistics_dirty_day WHERE cascade AND day <= '2025-05-08'")
    await _agree(world, expect_live=True)


def test_read_plan_months_days_and_live():
    rolled = frozenset(date(2025, 1, 1) + timedelta(days=i) for i in range(120))    # Jan–Apr
    plan = read_plan(date(2025, 1, 15), date(2025, 5, 2), RollupState(rolled, frozenset({date(2025, 3, 3)})))
    assert plan.months == [date(2025, 2, 1), date(2025, 4, 1)]
    assert plan.days[0] == date(2025, 1, 15) and date(2025, 3, 3) not in plan.days
    assert plan.live == [date(2025, 3, 3), date(2025, 5, 1), date(2025, 5, 2)]
    cascading = read_plan(date(2025, 1, 1), date(2025, 4, 30), RollupState(rolled, cascade_from=date(2025, 4, 20)))
    assert cascading.months == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert cascading.live[0] == date(2025, 4, 20) and len(cascading.live) == 11


def test_quantile_from_buckets_follows_percentile_cont():
    assert quantile({}, 0.5) is None
    assert quantile({1: 1, 3: 1, 5: 1}, 0.5) == 3.5            # 1 h, 3 h, 5 h → bucket middles
    assert quantile({1: 1, 3: 1, 5: 1}, 0.9) == 5.1
    assert quantile({24: 1, 30: 1}, 0.5) == pytest.approx((36 + 180) / 2)   # whole days past 24 h
