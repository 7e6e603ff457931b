"""Profitability, bonus hunters and "did it pay off" on hand-made shops with known answers.

Every storage test runs on SQLite (through DuckDB) and on PostgreSQL; the expected figures are
worked out by hand in tests/fixtures/value.py's docstrings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from regulars.analytics.backend import Store
from regulars.analytics.payoff import Interval, campaign_payoff, newcombe, rule_payoff, verdict
from regulars.analytics.profitability import bonus_hunters, profitability
from regulars.bootstrap import App
from regulars.domain.errors import ValidationError
from regulars.services.campaigns import (
    CampaignExists,
    assign_audience,
    create_campaign,
    show_campaign,
    split_control,
)
from regulars.services.context import BusinessContext
from tests.fixtures.orders import make_customer
from tests.fixtures.value import (
    AS_OF,
    build_campaign_shop,
    build_profit_shop,
    build_rule_shop,
)

Opener = Callable[[], Store]


def test_profitability_known_answers(app: App, ctx: BusinessContext, value_store: Opener) -> None:
    shop = build_profit_shop(app, ctx)
    p = profitability(value_store(), AS_OF)
    by_name = {c.name: c for c in p.customers}
    good, hunter, nocost = by_name["good"], by_name["hunter"], by_name["nocost"]
    # good: 100,000 + 200,000 of A at cost 60,000 each; 5,000 cashback; the cancelled order is out
    assert (good.revenue, good.margin, good.reward_cost, good.net_contribution) == (
        Decimal(300_000),
        Decimal(120_000),
        Decimal(5_000),
        Decimal(115_000),
    )
    assert (good.orders, good.promotional_orders, good.bonus_hunter) == (2, 1, False)
    # hunter: paid 70,000 and 90,000 after a voucher and a tier discount; a birthday bonus too
    assert (hunter.revenue, hunter.margin, hunter.reward_cost, hunter.net_contribution) == (
        Decimal(160_000),
        Decimal(40_000),
        Decimal(60_000),
        Decimal(-20_000),
    )
    assert hunter.reasons == ("rewards_exceed_margin", "only_on_promotion")
    # nocost: no unit cost, so 30 % of 50,000 is an estimate; 50 points worth 100 VND each
    assert (nocost.margin, nocost.margin_estimated, nocost.reward_cost) == (
        Decimal(15_000),
        True,
        Decimal(5_000),
    )
    assert not good.margin_estimated and not hunter.margin_estimated
    assert [c.customer_id for c in p.customers] == [
        shop.customers["hunter"],
        shop.customers["nocost"],
        shop.customers["good"],
    ]  # least profitable first
    assert (p.revenue, p.margin, p.reward_cost, p.net_contribution) == (
        Decimal(510_000),
        Decimal(175_000),
        Decimal(70_000),
        Decimal(105_000),
    )
    assert p.margin_source == "mixed" and p.currency == "VND"


def test_margin_percent_moves_only_the_estimated_part(
    app: App, ctx: BusinessContext, value_store: Opener
) -> None:
    build_profit_shop(app, ctx)
    p = profitability(value_store(), AS_OF, margin_percent=Decimal(50))
    margins = {c.name: c.margin for c in p.customers}
    assert margins == {
        "good": Decimal(120_000),
        "hunter": Decimal(40_000),
        "nocost": Decimal(25_000),
    }


def test_bonus_hunters_and_period(app: App, ctx: BusinessContext, value_store: Opener) -> None:
    build_profit_shop(app, ctx)
    store = value_store()
    hunters = bonus_hunters(store, AS_OF)
    assert [c.name for c in hunters.customers] == ["hunter"]
    # From 1 April on, hunter has one order, a tier discount of 10,000 and a margin of 30,000:
    # no longer a hunter (one order is too few to say "only on promotion").
    april = profitability(store, AS_OF, period_days=(AS_OF - date(2026, 3, 31)).days)
    h = next(c for c in april.customers if c.name == "hunter")
    assert (h.orders, h.margin, h.reward_cost, h.bonus_hunter) == (
        1,
        Decimal(30_000),
        Decimal(10_000),
        False,
    )


def test_campaign_payoff_known_answers(app: App, ctx: BusinessContext, value_store: Opener) -> None:
    build_campaign_shop(app, ctx)
    r = campaign_payoff(value_store(), "WB", AS_OF, window_days=30)
    assert r is not None and r.window_complete
    assert (r.treatment.customers, r.treatment.buyers, r.treatment.repeat_rate) == (
        10,
        6,
        Decimal("0.6"),
    )
    assert (r.control.customers, r.control.buyers, r.control.repeat_rate) == (10, 2, Decimal("0.2"))
    assert (r.treatment.revenue_per_customer, r.control.revenue_per_customer) == (
        Decimal(60_000),
        Decimal(20_000),
    )
    # Newcombe's hybrid score interval for 6/10 − 2/10
    assert r.repeat_rate_uplift.estimate == pytest.approx(0.4)
    assert r.repeat_rate_uplift.low == pytest.approx(-0.02256, abs=1e-4)
    assert r.repeat_rate_uplift.high == pytest.approx(0.67254, abs=1e-4)
    # Welch: 60,000 − 20,000 per customer, df 17.31
    assert r.revenue_uplift_per_customer.low == pytest.approx(-4418.66, abs=0.01)
    assert r.revenue_uplift_per_customer.high == pytest.approx(84418.66, abs=0.01)
    # margin 40,000 per buyer: 16,000 more per treated customer, × 10
    assert r.incremental_margin.estimate == pytest.approx(160_000)
    # the promoted voucher (5,000 to each of the 6 treated buyers) and 10 × 1,000 contacts
    assert r.reward_cost.estimate == pytest.approx(30_000)
    assert r.contact_cost == Decimal(10_000)
    assert r.net.estimate == pytest.approx(120_000)
    assert r.net.low == pytest.approx(-44_292.85, abs=0.01)
    assert r.net.high == pytest.approx(284_292.85, abs=0.01)
    assert r.paid_off == "uncertain"  # ten customers a side cannot prove it


def test_campaign_window_still_open_and_unknown_code(
    app: App, ctx: BusinessContext, value_store: Opener
) -> None:
    build_campaign_shop(app, ctx)
    store = value_store()
    early = campaign_payoff(store, "WB", date(2026, 5, 20), window_days=30)
    assert early is not None and not early.window_complete
    assert campaign_payoff(store, "NOPE", AS_OF) is None


def test_rule_payoff_difference_in_differences(
    app: App, ctx: BusinessContext, value_store: Opener
) -> None:
    build_rule_shop(app, ctx)
    (welcome,) = rule_payoff(value_store(), AS_OF, window_days=90)
    assert (welcome.rule, welcome.recipients, welcome.comparison) == ("welcome", 2, 3)
    assert welcome.reward_cost == Decimal(2_000)
    assert welcome.margin_change_recipients == Decimal(40_000)
    assert welcome.margin_change_comparison == Decimal(13_333)
    # per recipient 40,000 − 13,333; Welch with df 2 (t = 4.303) on the comparison's spread
    assert welcome.incremental_margin.estimate == pytest.approx(53_333.33, abs=0.01)
    assert welcome.incremental_margin.low == pytest.approx(-61_404.07, abs=0.01)
    assert welcome.net.estimate == pytest.approx(51_333.33, abs=0.01)
    assert welcome.paid_off == "uncertain"


def test_assign_audience_holds_back_a_reproducible_control_group(
    app: App, ctx: BusinessContext
) -> None:
    ids = [make_customer(app, ctx, f"Khách {i}") for i in range(50)]
    create_campaign(app.uow(), ctx=ctx, code="TET", kind="discount", seed=2026)
    first = assign_audience(app.uow(), ctx=ctx, campaign="TET", customer_ids=ids)
    assert (first.treatment, first.control, first.seed) == (45, 5, 2026)  # 10 % by default
    assert list(first.control_ids) == split_control(ids, Decimal("0.1"), 2026)[1]
    again = assign_audience(app.uow(), ctx=ctx, campaign="TET", customer_ids=ids[:10])
    assert (again.treatment, again.control, again.already_assigned) == (0, 0, 10)
    v = show_campaign(app.uow(), ctx=ctx, code="TET")
    assert (v.treatment, v.control, v.sent_at is not None) == (45, 5, True)


def test_campaign_refuses_a_control_share_of_one_or_more(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(ValidationError, match="control share"):
        create_campaign(app.uow(), ctx=ctx, code="ALL", control_share="1.5")
    with pytest.raises(CampaignExists):
        create_campaign(app.uow(), ctx=ctx, code="ONCE")
        create_campaign(app.uow(), ctx=ctx, code="ONCE")


def test_split_control_depends_on_seed_and_share() -> None:
    ids = list(range(1, 1001))
    t, c = split_control(ids, Decimal("0.2"), 1)
    assert len(c) == 200 and len(t) == 800 and not set(t) & set(c)
    assert split_control(reversed(ids), Decimal("0.2"), 1) == (t, c)  # order of input is irrelevant
    assert split_control(ids, Decimal("0.2"), 2)[1] != c


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 − 48/80, method 10
    i = newcombe(56, 70, 48, 80)
    assert (round(i.low, 4), round(i.high, 4)) == (0.0524, 0.3339)


def test_verdict_needs_the_whole_interval_on_one_side() -> None:
    assert verdict(Interval(5.0, 1.0, 9.0)) == "yes"
    assert verdict(Interval(-5.0, -9.0, -1.0)) == "no"
    assert verdict(Interval(5.0, -1.0, 9.0)) == "uncertain"
    assert verdict(Interval(5.0, None, None)) == "uncertain"
