"""Personal occasions: which dates come round today (birthdays, a company's founding day, the
anniversary of the first deal), in the business's own calendar day.

A date of 29 February is celebrated on 28 February in common years — the day before the
missing one, as most people born on it do, so nobody is skipped for three years.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class OccasionKind(StrEnum):
    BIRTHDAY = "birthday"  # a person, or a company's contact person
    COMPANY_ANNIVERSARY = "company_anniversary"  # the company's founding day
    FIRST_DEAL_ANNIVERSARY = "first_deal_anniversary"  # a year (or more) with us


@dataclass(frozen=True, slots=True)
class Occasion:
    kind: OccasionKind
    customer_id: int
    contact_id: int | None  # a contact person's birthday, at a company customer
    years: int  # age, or years since founding / the first deal


def celebrated_on(original: date, year: int) -> date:
    """The day `original` comes round in `year` (29 February → 28 February in common years)."""
    if original.month == 2 and original.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return original.replace(year=year)


def comes_round(original: date, today: date) -> int | None:
    """Years since `original` when today is its day; None otherwise (and for today itself or a
    future date: an anniversary needs at least a year)."""
    if original >= today or celebrated_on(original, today.year) != today:
        return None
    years = today.year - original.year
    return years if years >= 1 else None


def month_days(today: date) -> list[tuple[int, int]]:
    """The (month, day) pairs of stored dates that come round today: one, or two on 28
    February of a common year (the 28th and the 29th)."""
    days = [(today.month, today.day)]
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        days.append((2, 29))
    return days
