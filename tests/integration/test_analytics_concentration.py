"""Who the business depends on: Pareto, key accounts, dependency bands, manager hand-over.

Trailing-12-month revenue on the hand-made business (tests/fixtures/analytics.py), in millions
of VND: Alpha 6.0, Gamma 2.0, Beta 1.5, Theta 0.5, Zeta 0.4, Delta 0.3, Epsilon 0.2 = 10.9.
North = Alpha, Beta, Gamma, Zeta (9.9); South = Delta, Epsilon, Theta (1.0).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from regulars.analytics.backend import Store
from regulars.analytics.dependency import Bands, dependency
from regulars.analytics.handover import handover
from regulars.analytics.key_accounts import key_accounts
from regulars.analytics.pareto import pareto
from tests.fixtures.analytics import AS_OF, AnalyticsData


def test_pareto_top_share_gini_and_lorenz(analytics_store: Store) -> None:
    r = pareto(analytics_store, AS_OF)
    assert r.customers == 7 and r.revenue == Decimal("10900000")
    assert r.top_customers == 2  # ceil(20 % of 7)
    assert r.top_share == Decimal("0.7339")  # (6.0 + 2.0) / 10.9
    assert r.customers_for_80 == Decimal("0.4286")  # 3 of 7 make 9.5 >= 8.72
    assert r.gini == Decimal("0.574")  # 2*65.5/(7*10.9) - 8/7 = 0.57405
    assert r.lorenz[0].revenue == 0 and r.lorenz[-1].revenue == 1
    ys = [p.revenue for p in r.lorenz]
    assert ys == sorted(ys)


def test_company_key_accounts_with_trend(analytics_store: Store) -> None:
    r = key_accounts(analytics_store, AS_OF)
    got = [(a.name, a.share, a.trend) for a in r.accounts]
    assert got == [
        ("Alpha", Decimal("0.5505"), "up"),  # 6.0 now, 3.0 in the year before
        ("Gamma", Decimal("0.1835"), "new"),
        ("Beta", Decimal("0.1376"), "new"),
    ]
    assert r.accounts[0].previous_revenue == Decimal("3000000")
    assert r.accounts[0].previous_share == Decimal("1.0")
    assert r.warnings == []  # m3 has three company / department key accounts: not more
    assert [(i.name, i.categories) for i in r.suggested_innovators] == [
        ("Zeta", ["Tea"]),  # first Tea buyer, months after the business began
        ("Theta", ["Gifts"]),
    ]


def test_key_accounts_per_department_and_manager_warning(analytics_store: Store) -> None:
    r = key_accounts(analytics_store, AS_OF, "department", max_per_manager=2)
    south = [(a.name, a.share) for a in r.accounts if a.group == "South"]
    assert south == [
        ("Theta", Decimal("0.5")),
        ("Delta", Decimal("0.3")),
        ("Epsilon", Decimal("0.2")),
    ]
    assert [(w.manager, w.key_accounts) for w in r.warnings] == [("m3@shop.example", 3)]
    r = key_accounts(analytics_store, AS_OF, "company", threshold=0.15)
    assert [a.name for a in r.accounts] == ["Alpha", "Gamma"]


def test_dependency_bands_top_shares_and_herfindahl(analytics_store: Store) -> None:
    [company] = dependency(analytics_store, AS_OF)
    assert company.largest_customer == "Alpha"
    assert company.largest_share == Decimal("0.5505") and company.band == "critical"
    assert company.top3_share == Decimal("0.8716")  # 9.5 / 10.9
    assert company.top5_share == Decimal("0.9541")  # 10.4 / 10.9
    assert company.herfindahl == 3602  # 42.79 / 118.81
    assert company.previous_largest_share == Decimal("0.5747")  # 5.0 / 8.7 thirty days before
    assert company.worse is False
    by_dept = {d.group: d for d in dependency(analytics_store, AS_OF, "department")}
    assert by_dept["North"].band == "critical"  # 6.0 / 9.9 = 0.6061
    assert by_dept["South"].band == "alarm"  # exactly 50 %: critical is *above* 50 %
    by_manager = {d.group: d.band for d in dependency(analytics_store, AS_OF, "manager")}
    assert by_manager == {
        "m1@shop.example": "critical",
        "m2@shop.example": "critical",
        "m3@shop.example": "alarm",
    }


@pytest.mark.parametrize(
    ("share", "band"),
    [
        (0.19, "fine"),
        (0.2, "act"),
        (0.35, "act"),
        (0.4, "alarm"),
        (0.5, "alarm"),
        (0.51, "critical"),
    ],
)
def test_band_edges(share: float, band: str) -> None:
    assert Bands().band(share) == band


def test_handover_revenue_at_risk_and_successor(
    analytics_data: AnalyticsData, analytics_store: Store
) -> None:
    rows = {h.manager: h for h in handover(analytics_store, AS_OF)}
    m1 = rows["m1@shop.example"]
    # Alpha is known to m2 as well (a note), so only Beta is m1's alone.
    assert (m1.customers, m1.at_risk_customers) == (2, 1)
    assert m1.at_risk_revenue == Decimal("1500000") and m1.revenue == Decimal("7500000")
    assert m1.successor == "m2@shop.example"  # same department
    m2 = rows["m2@shop.example"]
    assert m2.at_risk_revenue == Decimal("2400000") and m2.successor == "m1@shop.example"
    m3 = rows["m3@shop.example"]
    assert (m3.customers, m3.at_risk_customers) == (4, 4)  # Eta has no revenue but counts
    assert m3.successor == "m1@shop.example"  # nobody else in South: the least loaded, then id
    assert next(iter(handover(analytics_store, AS_OF))).manager == "m2@shop.example"
