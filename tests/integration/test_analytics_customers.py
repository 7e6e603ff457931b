"""Per-customer analytics on the hand-made business (tests/fixtures/analytics.py), on SQLite
through DuckDB and on PostgreSQL: the same answers, worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from regulars.analytics.backend import Store
from regulars.analytics.cohorts import cohorts
from regulars.analytics.lapsed import lapsed
from regulars.analytics.rfm import rfm_scores, segment_summary, typical_rhythm
from regulars.analytics.summary import customer_months, monthly, summary
from tests.fixtures.analytics import AS_OF, AnalyticsData


def _by_name(store: Store) -> dict:
    return {c.name: c for c in rfm_scores(store, AS_OF).customers}


def test_segments_follow_the_documented_rules(
    analytics_data: AnalyticsData, analytics_store: Store
) -> None:
    got = {name: c.segment for name, c in _by_name(analytics_store).items()}
    assert got == {
        "Alpha": "loyal",  # 7 buying days, bought 20 days ago
        "Beta": "lapsed",  # rhythm 30.5 days, silent 241
        "Gamma": "potential",  # 2 purchases
        "Delta": "new",  # first purchase 10 days ago
        "Epsilon": "lapsed",  # one purchase 319 days ago > 2 x typical 30.5
        "Zeta": "returning",  # gap of 280 days after a 30-day rhythm, back 15 days ago
        "Eta": "target",  # never bought
        "Theta": "potential",
    }
    assert typical_rhythm(analytics_store, AS_OF) == 30.5  # median of 30, 30, 30.5, 46, 92


def test_rfm_quintiles_abc_bands_and_loyalty(analytics_store: Store) -> None:
    c = _by_name(analytics_store)
    assert {n: c[n].rfm for n in c if c[n].rfm} == {
        "Alpha": "455",
        "Beta": "244",
        "Gamma": "335",
        "Delta": "522",
        "Epsilon": "121",
        "Zeta": "553",
        "Theta": "333",
    }
    assert c["Eta"].rfm is None and c["Eta"].frequency == 0
    # All-time revenue 9.0, 2.0, 1.5 | 0.5, 0.4 | 0.3, 0.2 million: A makes the first 80 %.
    bands = {n: c[n].value_band for n in c}
    assert bands == {
        "Alpha": "A",
        "Gamma": "A",
        "Beta": "A",
        "Theta": "B",
        "Zeta": "B",
        "Delta": "C",
        "Epsilon": "C",
        "Eta": "C",
    }
    assert c["Alpha"].monetary == Decimal("9000000")  # the cancelled order does not count
    assert c["Alpha"].categories == 3
    # repeat 35*3/9 + frequency 20*4/12 + breadth 20*2/5 + referrals 15*2/3 + feedback 10*2/3
    assert c["Zeta"].loyalty_score == 43
    assert c["Delta"].loyalty_score == 6  # 0 + 20*1/12 + 20*1/5
    assert c["Eta"].loyalty_score == 0
    assert c["Alpha"].loyalty_score > c["Gamma"].loyalty_score


def test_segment_summary_counts_everyone(analytics_store: Store) -> None:
    rows = {r.segment: r for r in segment_summary(analytics_store, AS_OF)}
    assert rows["potential"].customers == 2 and rows["lapsed"].customers == 2
    assert rows["lapsed"].revenue == Decimal("1700000")
    assert rows["target"].share_of_customers == Decimal("0.125")
    assert sum(r.customers for r in rows.values()) == 8


def test_lapsed_customers_by_their_own_rhythm(analytics_store: Store) -> None:
    rows = lapsed(analytics_store, AS_OF)
    assert [r.name for r in rows] == ["Beta", "Epsilon"]  # most value at risk first
    beta, eps = rows
    assert beta.rhythm_days == Decimal("30.5") and beta.own_rhythm
    assert beta.last_purchase == date(2025, 11, 1)
    assert beta.expected_next == date(2025, 12, 2)
    assert beta.days_since == 241
    assert beta.value_at_risk == Decimal("1500000")
    assert not eps.own_rhythm and eps.rhythm_days == Decimal("30.5")
    assert eps.value_at_risk == Decimal("200000")
    # With k = 8 only Epsilon (319 > 244) is still overdue; Beta (241) is not.
    assert [r.name for r in lapsed(analytics_store, AS_OF, k=8)] == ["Epsilon"]


def test_summary_new_returning_and_acquisition(analytics_store: Store) -> None:
    s = summary(analytics_store, AS_OF)
    assert s.revenue == Decimal("10900000")
    assert s.orders == 19
    assert (s.active_customers, s.new_customers, s.returning_customers) == (7, 6, 1)
    assert s.repeat_rate == Decimal("0.7143")
    assert s.average_order_value == Decimal("573684")
    assert s.acquisition_revenue == Decimal("4900000")
    assert s.retention_revenue == Decimal("6000000")


def test_monthly_series_and_per_customer_months(
    analytics_data: AnalyticsData, analytics_store: Store
) -> None:
    rows = monthly(analytics_store, AS_OF)
    assert rows[0].month == "2025-07" and rows[-1].month == "2026-06"
    june = rows[-1]
    assert (june.revenue, june.orders, june.active_customers) == (Decimal("2200000"), 4, 4)
    assert (june.new_customers, june.acquisition_revenue) == (1, Decimal("300000"))
    alpha = customer_months(analytics_store, AS_OF, customer_id=analytics_data.ids["Alpha"])
    assert [(m.month, m.revenue) for m in alpha][:2] == [
        ("2026-06", Decimal("1000000")),
        ("2026-05", Decimal("1000000")),
    ]
    assert len(alpha) == 6


def test_cohorts_retention_by_first_month(analytics_store: Store) -> None:
    rows = {c.cohort: c for c in cohorts(analytics_store, AS_OF)}
    assert "2025-03" not in rows  # Alpha's cohort is older than the 12 months shown
    march = rows["2026-03"]  # Gamma and Theta
    assert march.customers == 2
    assert march.retention == [Decimal(1), Decimal(0), Decimal("0.5"), Decimal("0.5")]
    assert march.revenue[0] == Decimal("1450000")
    july = rows["2025-07"]  # Zeta: months 0, 1, 2 and 11
    assert july.active == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_a_materialized_store_gives_the_same_answers(analytics_data: AnalyticsData) -> None:
    store = analytics_data.store()
    try:
        store.materialize()  # orders and lines copied once into the engine
        assert summary(store, AS_OF).revenue == Decimal("10900000")
        assert [r.name for r in lapsed(store, AS_OF)] == ["Beta", "Epsilon"]
        assert _by_name(store)["Alpha"].categories == 3
    finally:
        store.close()


def test_a_snapshot_computes_shared_facts_once_with_the_same_answers(
    analytics_data: AnalyticsData, analytics_store: Store
) -> None:
    from regulars.analytics.dependency import dependency
    from regulars.analytics.key_accounts import key_accounts
    from regulars.analytics.shares import LEVELS

    def everything(store: Store) -> list[object]:
        return [
            summary(store, AS_OF),
            monthly(store, AS_OF),
            segment_summary(store, AS_OF),
            rfm_scores(store, AS_OF, limit=3),
            lapsed(store, AS_OF),
            *[key_accounts(store, AS_OF, level) for level in LEVELS],
            *[dependency(store, AS_OF, level) for level in LEVELS],
        ]

    fresh = everything(analytics_store)
    for copy in (False, True):
        store = analytics_data.store()
        try:
            store.materialize(copy=copy)
            assert everything(store) == fresh
            assert everything(store) == fresh  # the second time from the shared facts
            assert ("typical_rhythm", AS_OF) in store.memo  # computed once, kept
        finally:
            store.close()
