"""Birthdays, company founding days and first-deal anniversaries in the coming days.

Dates are the business's local dates; someone born on 29 February is greeted on 28 February
in years without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from regulars.analytics.backend import Store

KINDS = {
    "birthday": "birthday",
    "founded_on": "founding_anniversary",
    "first_deal_on": "first_deal_anniversary",
}


@dataclass(frozen=True, slots=True)
class Occasion:
    on: date
    kind: str  # birthday | founding_anniversary | first_deal_anniversary
    customer_id: int
    name: str
    years: int


def _this_time(original: date, year: int) -> date:
    try:
        return original.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def upcoming(store: Store, today: date, days: int = 7) -> list[Occasion]:
    """Occasions from today to today + days - 1, soonest first."""
    window = [today + timedelta(days=i) for i in range(days)]
    keys = {d.month * 100 + d.day for d in window}
    if any(d.month == 2 and d.day == 28 for d in window):
        keys.add(229)  # celebrated on 28 February when the year has no 29th
    c = store.customers()
    out: list[Occasion] = []
    for column, kind in KINDS.items():
        col = c[column]
        hits = c.filter(col.notnull() & (col.month() * 100 + col.day()).isin(sorted(keys)))
        for r in hits.select("customer_id", "name", col).to_pyarrow().to_pylist():
            original: date = r[column]
            for d in window:
                if _this_time(original, d.year) == d and d.year > original.year:
                    out.append(
                        Occasion(d, kind, int(r["customer_id"]), r["name"], d.year - original.year)
                    )
    out.sort(key=lambda o: (o.on, o.kind, o.customer_id))
    return out
