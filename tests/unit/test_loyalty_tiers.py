"""Tier qualification: immediate upgrades, downgrades only at a review after the grace period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.program import ProgramSpec, parse_tiers
from regulars.domain.loyalty.tiers import add_months, next_review_date, review, tier_for

D = Decimal
PROGRAM = ProgramSpec(
    "shop", "VND", tiers=parse_tiers("basic:0:5,gold:20000:10,vip:100000:20"), grace_days=30
)
JAN = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("spend", "tier"),
    [(0, "basic"), (19999, "basic"), (20000, "gold"), (99999, "gold"), (100000, "vip")],
)
def test_the_metric_picks_the_highest_tier_reached(spend: int, tier: str) -> None:
    assert tier_for(PROGRAM, D(spend)).code == tier


def test_a_program_without_tiers_has_no_tier_to_give() -> None:
    with pytest.raises(ValidationError):
        tier_for(ProgramSpec("x", "EUR"), D(5))


def test_an_upgrade_is_immediate_and_starts_a_new_review_period() -> None:
    d = review(
        PROGRAM, "basic", D(25000), today=JAN, below_since=None, review_date=date(2026, 6, 1)
    )
    assert (d.change, d.tier.code, d.previous) == ("upgrade", "gold", "basic")
    assert d.next_review == date(2027, 1, 15)
    assert "20000" in d.reason


def test_a_new_customer_gets_the_tier_they_qualify_for() -> None:
    d = review(PROGRAM, None, D(150000), today=JAN, below_since=None, review_date=None)
    assert (d.change, d.tier.code) == ("initial", "vip")


def test_falling_below_before_the_review_keeps_the_tier_and_starts_counting() -> None:
    d = review(PROGRAM, "vip", D(500), today=JAN, below_since=None, review_date=date(2026, 6, 1))
    assert (d.change, d.tier.code) == ("keep", "vip")
    assert d.below_since == JAN
    assert d.next_review == date(2026, 6, 1)
    assert "kept until review" in d.reason


def test_downgrade_happens_at_the_review_after_the_grace_period() -> None:
    review_day = date(2026, 6, 1)
    d = review(PROGRAM, "vip", D(30000), today=review_day, below_since=JAN, review_date=review_day)
    assert (d.change, d.tier.code, d.previous) == ("downgrade", "gold", "vip")
    assert d.next_review == date(2027, 6, 1)
    assert "2026-01-15" in d.reason


def test_a_review_inside_the_grace_period_waits_for_its_end() -> None:
    review_day = date(2026, 6, 1)
    fell = review_day - timedelta(days=10)
    d = review(PROGRAM, "vip", D(0), today=review_day, below_since=fell, review_date=review_day)
    assert (d.change, d.tier.code) == ("keep", "vip")
    assert d.next_review == review_day  # still due
    later = review_day + timedelta(days=20)
    d2 = review(PROGRAM, "vip", D(0), today=later, below_since=fell, review_date=review_day)
    assert (d2.change, d2.tier.code) == ("downgrade", "basic")


def test_qualifying_again_clears_the_countdown_and_passes_the_review() -> None:
    review_day = date(2026, 6, 1)
    d = review(PROGRAM, "gold", D(21000), today=review_day, below_since=JAN, review_date=review_day)
    assert (d.change, d.below_since, d.next_review) == ("keep", None, date(2027, 6, 1))


def test_review_dates_follow_the_calendar() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert next_review_date(PROGRAM, date(2024, 3, 1), today=date(2026, 3, 1)) == date(2027, 3, 1)
    assert next_review_date(PROGRAM, date(2024, 3, 1), today=date(2025, 7, 1)) == date(2026, 3, 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=150_000), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=200),
)
def test_daily_reviews_never_downgrade_early(
    spends: list[int], step_days: int, grace: int, first_review_in: int
) -> None:
    program = ProgramSpec("p", "VND", tiers=PROGRAM.tiers, grace_days=grace, review_months=3)
    today = JAN
    current: str | None = None
    below: date | None = None
    review_due: date | None = JAN + timedelta(days=first_review_in)
    below_run_start: date | None = None
    for spend in spends:
        qualifies = tier_for(program, D(spend))
        held = next((t for t in program.tiers if t.code == current), None)
        if held is not None and qualifies.threshold < held.threshold:
            below_run_start = below_run_start or today
        else:
            below_run_start = None
        d = review(
            program, current, D(spend), today=today, below_since=below, review_date=review_due
        )
        if d.change == "downgrade":
            assert review_due is not None and today >= review_due
            assert below_run_start is not None
            assert (today - below_run_start).days >= grace
            assert d.tier == qualifies
        if d.change == "upgrade":
            assert d.tier == qualifies
        assert d.tier.threshold >= qualifies.threshold  # never below what the metric earns
        if d.change in ("downgrade", "upgrade"):
            below_run_start = None
        current, below, review_due = d.tier.code, d.below_since, d.next_review
        today += timedelta(days=step_days)
