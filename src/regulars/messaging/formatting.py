"""Dates, numbers and money as the customer's locale writes them (Babel).

Money keeps its currency's own minor units (VND none, THB and EUR two), so 150000 VND never
shows as "150.000,00 ₫". Thai businesses may write years in the Buddhist era (CE + 543), as
Thai customers read them every day.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from regulars.domain.money import Money

DateWidth = Literal["short", "medium", "long", "full"]
BUDDHIST_ERA_OFFSET = 543
_ERA = re.compile(r"G+")
_YEAR = re.compile(r"y+")


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """`vi-VN` -> Locale vi_VN; an unknown or malformed tag falls back to English."""
    try:
        return Locale.parse((tag or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


class Formatter:
    """Formats values for one locale; templates reach it through the `date`/`money` filters."""

    def __init__(self, language: str, *, buddhist_era: bool = False) -> None:
        self.locale = babel_locale(language)
        # Only Thai readers expect a Buddhist-era year; others keep the Common Era.
        self.buddhist_era = buddhist_era and self.locale.language == "th"

    def date(self, value: date | datetime, width: DateWidth = "long") -> str:
        day = value.date() if isinstance(value, datetime) else value
        if not self.buddhist_era:
            return format_date(day, width, locale=self.locale)
        pattern = self.locale.date_formats[width].pattern
        pattern = _ERA.sub("'พ.ศ.'", pattern)
        pattern = _YEAR.sub(f"'{day.year + BUDDHIST_ERA_OFFSET}'", pattern)
        return format_date(day, pattern, locale=self.locale)

    def datetime(self, value: datetime, width: DateWidth = "medium") -> str:
        """Date and time (the caller converts to the customer's time zone first)."""
        if self.buddhist_era:
            time = format_datetime(value, self.locale.time_formats["short"], locale=self.locale)
            return f"{self.date(value, width)} {time}"
        return format_datetime(value, width, locale=self.locale)

    def money(self, value: Money | Decimal | int, currency: str | None = None) -> str:
        """An amount with its currency sign, in the currency's own minor units."""
        if isinstance(value, Money):
            amount, cur = value.amount, value.currency
        else:
            if currency is None:
                raise ValueError("a bare amount needs its currency")
            amount, cur = Decimal(value), currency
        return format_currency(amount, cur, locale=self.locale)

    def number(self, value: int | Decimal | float) -> str:
        return format_decimal(value, locale=self.locale)
