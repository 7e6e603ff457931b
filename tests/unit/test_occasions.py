"""Which occasions come round on a day (pure rules)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.occasions import celebrated_on, comes_round, month_days


def test_a_birthday_comes_round_with_the_age() -> None:
    assert comes_round(date(1990, 7, 2), date(2026, 7, 2)) == 36
    assert comes_round(date(1990, 7, 2), date(2026, 7, 3)) is None


def test_the_29th_of_february_is_kept_on_the_28th_in_common_years() -> None:
    leapling = date(2000, 2, 29)
    assert comes_round(leapling, date(2026, 2, 28)) == 26
    assert comes_round(leapling, date(2026, 3, 1)) is None
    assert comes_round(leapling, date(2028, 2, 29)) == 28
    assert comes_round(leapling, date(2028, 2, 28)) is None
    assert month_days(date(2026, 2, 28)) == [(2, 28), (2, 29)]
    assert month_days(date(2028, 2, 28)) == [(2, 28)]


def test_no_anniversary_before_a_full_year() -> None:
    assert comes_round(date(2026, 7, 2), date(2026, 7, 2)) is None
    assert comes_round(date(2027, 7, 2), date(2026, 7, 2)) is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 120))
def test_every_date_comes_round_exactly_once_a_year(original: date, years: int) -> None:
    year = original.year + years
    if year > 2200:
        return
    start = date(year, 1, 1)
    hits = [
        d
        for d in (start + timedelta(days=i) for i in range(366))
        if d.year == year and comes_round(original, d) is not None
    ]
    assert hits == [celebrated_on(original, year)]
    assert (original.month, original.day) in month_days(hits[0])
