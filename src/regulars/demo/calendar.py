"""The demo's clock: 2–3 years of local days up to today, and how busy each day is.

Everything is relative to "today" (a local date), so a build with the same seed and the same
today is the same database, and birthdays "this week" are this week. Times are int64
microseconds since the Unix epoch, UTC; days are indexes from the first day of history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from regulars.demo.catalog import MID_AUTUMN, TET

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S
WEEK_AHEAD = 8  # local days after today that the calendar also knows (the coming week)

_PERSON_WEEKDAY = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.3, 1.25])
_COMPANY_WEEKDAY = np.array([1.15, 1.1, 1.1, 1.1, 1.05, 0.4, 0.1])


@dataclass(frozen=True, slots=True)
class Calendar:
    today: date
    start: date  # first local day of history (index 0)
    days: int  # history days 0..days-1; index `days` is today
    day_start_us: np.ndarray  # UTC µs of each local midnight, for days + WEEK_AHEAD days
    person_cdf: np.ndarray  # cumulative intensity of people's orders (len days + 1)
    company_cdf: np.ndarray
    gift_season: np.ndarray  # bool per history day: weeks before Tết or mid-autumn

    @property
    def as_of_us(self) -> int:
        """Local midnight starting today: nothing in the demo happens after it."""
        return int(self.day_start_us[self.days])

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=int(day))


def make_calendar(today: date, timezone: str) -> Calendar:
    """History from 1 January two years ago up to yesterday: between two and three years."""
    tz = ZoneInfo(timezone)
    start = date(today.year - 2, 1, 1)
    days = (today - start).days
    n = days + WEEK_AHEAD
    dates = [start + timedelta(days=i) for i in range(n)]
    day_start_us = np.array(
        [_utc_us(datetime.combine(d, time(0), tzinfo=tz)) for d in dates], dtype=np.int64
    )
    weekday = np.array([d.weekday() for d in dates[:days]])
    growth = 1.0 + 0.5 * np.arange(days) / max(days, 1)
    person, company, gift = _seasons(dates[:days])
    person_w = growth * _PERSON_WEEKDAY[weekday] * person
    company_w = growth * _COMPANY_WEEKDAY[weekday] * company
    return Calendar(
        today=today,
        start=start,
        days=days,
        day_start_us=day_start_us,
        person_cdf=np.concatenate([[0.0], np.cumsum(person_w)]),
        company_cdf=np.concatenate([[0.0], np.cumsum(company_w)]),
        gift_season=gift,
    )


def _utc_us(dt: datetime) -> int:
    delta = dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def _seasons(dates: list[date]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multipliers per day: Tết rush then holiday lull, mid-autumn gifts, year-end, 11.11."""
    n = len(dates)
    person, company = np.ones(n), np.ones(n)
    gift = np.zeros(n, dtype=bool)
    index = {d: i for i, d in enumerate(dates)}
    for year in {d.year for d in dates} | {dates[-1].year + 1}:
        tet = TET.get(year, date(year, 2, 1))
        for k in range(1, 22):  # three weeks of gift buying, busiest just before Tết
            i = index.get(tet - timedelta(days=k))
            if i is not None:
                ramp = 1.0 - (k - 1) / 21
                person[i] *= 1.0 + 1.6 * ramp
                company[i] *= 1.0 + 1.0 * ramp
                gift[i] = True
        for k in range(0, 6):  # the holiday itself: shops closed or quiet
            i = index.get(tet + timedelta(days=k))
            if i is not None:
                person[i] *= 0.25
                company[i] *= 0.1
        moon = MID_AUTUMN.get(year, date(year, 9, 20))
        for k in range(1, 15):
            i = index.get(moon - timedelta(days=k))
            if i is not None:
                person[i] *= 1.35
                company[i] *= 1.2
                gift[i] = True
        for d in _span(date(year, 11, 20), date(year, 12, 31)):
            i = index.get(d)
            if i is not None:
                person[i] *= 1.35
                company[i] *= 1.25
        for d in (date(year, 11, 11), date(year, 12, 12)):  # marketplace sale days
            i = index.get(d)
            if i is not None:
                person[i] *= 1.8
    return person, company, gift


def _span(a: date, b: date) -> list[date]:
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def draw_days(cdf: np.ndarray, lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Days in [lo, hi] (inclusive), drawn by the day's intensity: busy days get more orders."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    x = cdf[lo] + u * (cdf[hi + 1] - cdf[lo])
    day = np.searchsorted(cdf, x, side="right") - 1
    return np.clip(day, lo, hi)


def ages_to_dates(cal: Calendar, age_days: np.ndarray) -> np.ndarray:
    """Local dates (datetime64[D]) that lie `age_days` before today."""
    return np.datetime64(cal.today, "D") - age_days.astype("timedelta64[D]")


def same_day(year: int, d: date) -> np.datetime64:
    """The month and day of `d` in `year` (29 February becomes the 28th in common years)."""
    month, day = d.month, d.day
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if (month, day) == (2, 29) and not leap:
        day = 28
    return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D")
