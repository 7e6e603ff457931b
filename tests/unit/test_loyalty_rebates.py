"""Distributor rebates: rising percentages by period volume, fixed amounts, explained lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.rebates import (
    Purchase,
    RebateScheme,
    parse_brackets,
    parse_period,
    rebate_statement,
)

D = Decimal
BRACKETS = parse_brackets("0:0,100000:2,500000:4")
NOV = parse_period("2026-11")


def buy(amount: str, day: int = 10, ref: str | None = None, qty: str = "0") -> Purchase:
    return Purchase(ref or f"o{amount}{day}", date(2026, 11, day), D(amount), D(qty))


def test_whole_volume_rebate_pays_the_reached_rate_on_everything() -> None:
    scheme = RebateScheme("dist", "VND", BRACKETS)
    s = rebate_statement(scheme, [buy("400000"), buy("220000", 20)], NOV)
    assert (s.volume, s.orders, s.total) == (D(620000), 2, D(24800))  # 4 % of 620,000
    (line,) = s.lines
    assert (line.rule, line.rate) == ("volume", D(4))
    assert "500000 bracket" in line.explanation


def test_below_the_first_paid_bracket_there_is_no_rebate() -> None:
    s = rebate_statement(RebateScheme("dist", "VND", BRACKETS), [buy("99999")], NOV)
    assert (s.total, s.lines) == (D(0), ())


def test_marginal_rebate_pays_each_rate_on_its_own_slice() -> None:
    scheme = RebateScheme("dist", "VND", BRACKETS, mode="marginal")
    s = rebate_statement(scheme, [buy("620000")], NOV)
    # 2 % of 400,000 (100k–500k) + 4 % of 120,000 (above 500k)
    assert [(line.basis, line.amount) for line in s.lines] == [
        (D(400000), D(8000)),
        (D(120000), D(4800)),
    ]
    assert s.total == D(12800)


def test_fixed_point_rebates_per_unit_and_per_order_in_eur() -> None:
    scheme = RebateScheme("dist", "EUR", per_unit=D("0.15"), per_order=D("5.00"))
    purchases = [buy("100.00", qty="7", ref="a"), buy("50.00", qty="3", ref="b")]
    s = rebate_statement(scheme, purchases, NOV)
    assert {line.rule: line.amount for line in s.lines} == {
        "per_unit": D("1.50"),
        "per_order": D("10.00"),
    }
    assert s.total == D("11.50")


def test_returns_reduce_the_volume_and_purchases_outside_the_period_are_left_out() -> None:
    scheme = RebateScheme("dist", "VND", BRACKETS, per_order=D(1000))
    purchases = [
        buy("600000", ref="a"),
        Purchase("a", date(2026, 11, 25), D(-150000)),  # part of order a returned
        Purchase("old", date(2026, 10, 31), D(900000)),  # October: another statement
    ]
    s = rebate_statement(scheme, purchases, NOV)
    assert (s.volume, s.orders, s.outside_period) == (D(450000), 1, 1)
    assert s.total == D(9000) + D(1000)  # 2 % of 450,000 and one order


def test_rebates_round_down_in_the_currency() -> None:
    scheme = RebateScheme("dist", "EUR", parse_brackets("0:1.5"))
    assert rebate_statement(scheme, [buy("33.33")], NOV).total == D("0.49")  # 0.49995


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_periods_are_months_quarters_or_years(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-11", "2026-Q5", "november"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(bad)
    assert err.value.code == "invalid_period"


@pytest.mark.parametrize(
    "bad", ["100:2", "0:0,100000:4,500000:2", "0:0,0:2", "0:0,100000:x", "0:0:1", "0:101"]
)
def test_bad_brackets_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_brackets(bad)
    assert err.value.code == "invalid_rebate_scheme"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.decimals(min_value=-1000, max_value=400_000, places=0), max_size=8),
    st.sampled_from(["whole", "marginal"]),
)
def test_a_rebate_is_never_negative_nor_above_the_top_rate(
    amounts: list[Decimal], mode: str
) -> None:
    scheme = RebateScheme("dist", "VND", BRACKETS, mode=mode)  # type: ignore[arg-type]
    purchases = [Purchase(f"o{i}", date(2026, 11, 1 + i), a) for i, a in enumerate(amounts)]
    s = rebate_statement(scheme, purchases, NOV)
    assert 0 <= s.total <= s.volume * 4 / 100
    assert s.total == sum((line.amount for line in s.lines), D(0))
    marginal = rebate_statement(
        RebateScheme("dist", "VND", BRACKETS, mode="marginal"), purchases, NOV
    )
    whole = rebate_statement(RebateScheme("dist", "VND", BRACKETS), purchases, NOV)
    assert marginal.total <= whole.total
