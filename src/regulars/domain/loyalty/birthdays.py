"""When a customer is "in their birthday period", for the birthday bonus (local dates only)."""

from __future__ import annotations

from datetime import date


def birthday_in(year: int, birthday: date) -> date:
    """The birthday in `year`; 29 February is celebrated on 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def in_birthday_period(birthday: date | None, today: date, *, window_days: int = 7) -> bool:
    """True within `window_days` before or after the birthday, across a new year too."""
    if birthday is None:
        return False
    return any(
        abs((today - birthday_in(year, birthday)).days) <= window_days
        for year in (today.year - 1, today.year, today.year + 1)
    )


def birthday_period_key(birthday: date, today: date, *, window_days: int = 7) -> int | None:
    """The year of the birthday whose period `today` is in (store it: one bonus per period)."""
    for year in (today.year - 1, today.year, today.year + 1):
        if abs((today - birthday_in(year, birthday)).days) <= window_days:
            return year
    return None
