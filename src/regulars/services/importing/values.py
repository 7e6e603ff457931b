"""Cell-level parsing shared by both imports: text, dates, times, yes/no, `|` lists.

Each helper raises `CellError` naming the column and a reason a person can act on; the row is
then rejected with that reason instead of being stored half-right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

CLOCK_SLACK = timedelta(days=1)  # a till a little ahead of the server is not "the future"
_TRUE = frozenset({"yes", "y", "true", "t", "1", "granted", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "refused", "withdrawn"})
_CACHE_LIMIT = 20_000
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal"})


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a row was rejected: its line in the file, the column (if one) and why."""

    line: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class CellError(Exception):
    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def text(value: Any, column: str, max_len: int, *, required: bool = False) -> str | None:
    """Trimmed text or None; too long is refused rather than cut, so nothing is lost silently."""
    t = str(value).strip() if value is not None else ""
    if not t:
        if required:
            raise CellError(column, "is required")
        return None
    if len(t) > max_len:
        raise CellError(column, f"is longer than {max_len} characters")
    return t


def split_list(value: Any) -> list[str]:
    """'a | b|c' -> ['a', 'b', 'c']: several phones, e-mails, tags in one cell."""
    return [p.strip() for p in str(value).split("|") if p.strip()]


def boolean(value: Any, column: str) -> bool | None:
    t = str(value).strip().lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise CellError(column, f"{value!r} is neither yes nor no")


class Dates:
    """Dates and times as the file writes them: ISO 8601, or a strptime format from the user.

    A time without an offset is the business's local time (the shop's wall clock); times come
    back as aware UTC. Parsed values are cached, because exports repeat the same dates a lot.
    """

    def __init__(self, date_format: str | None, timezone: str) -> None:
        self.format = date_format
        zone = ZoneInfo(timezone)
        # datetime's own UTC lets the common case skip a time-zone conversion
        self.tz: tzinfo = UTC if zone.key in _UTC_NAMES else zone
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(self.tz).date()
        self._moments: dict[Any, tuple[datetime, date]] = {}
        # the zone's UTC offset (µs) per hour since 1970, for the column-wise readers:
        # {local wall clock?: {hour: offset}}
        self.hour_offsets: dict[bool, dict[int, int]] = {}

    def _expected(self) -> str:
        if self.format:
            return f"does not match the date format {self.format!r}"
        return "is not an ISO 8601 date (YYYY-MM-DD; another layout needs --date-format)"

    def day(self, value: Any, column: str, *, past: bool = True) -> date | None:
        """A calendar date (birthday, founding date); empty is None; the future is refused."""
        if isinstance(value, datetime):
            d = value.date()
        else:
            t = str(value).strip()
            if not t:
                return None
            try:
                if self.format:
                    d = datetime.strptime(t, self.format).date()
                else:
                    d = date.fromisoformat(t) if len(t) <= 10 else datetime.fromisoformat(t).date()
            except ValueError:
                raise CellError(column, f"{t!r} {self._expected()}") from None
        if past and d > self.today:
            raise CellError(column, f"{d.isoformat()} is in the future")
        if d.year < 1850:
            raise CellError(column, f"{d.isoformat()} is too far in the past")
        return d

    def moment(self, value: Any, column: str) -> datetime:
        """A point in time (when an order was placed), as aware UTC; the future is refused."""
        return self.moment_and_day(value, column)[0]

    def moment_and_day(self, value: Any, column: str) -> tuple[datetime, date]:
        """The moment as aware UTC, and its date on the business's calendar."""
        cached = self._moments.get(value)
        if cached is not None:
            return cached
        if isinstance(value, datetime):
            when = value
        else:
            t = value.strip()
            if not t:
                raise CellError(column, "is required")
            try:
                when = (
                    datetime.strptime(t, self.format) if self.format else datetime.fromisoformat(t)
                )
            except ValueError:
                if self.format:
                    reason = f"{t!r} does not match the date format {self.format!r}"
                else:
                    reason = (
                        f"{t!r} is not an ISO 8601 date or time (e.g. 2024-05-01 14:30; "
                        "another layout needs --date-format)"
                    )
                raise CellError(column, reason) from None
        if when.tzinfo is None:
            day = when.date()
            when = when.replace(tzinfo=self.tz)
        else:
            day = when.astimezone(self.tz).date()
        utc = when if when.tzinfo is UTC else when.astimezone(UTC)
        if utc > self.now + CLOCK_SLACK:
            raise CellError(column, f"{utc.isoformat()} is in the future")
        if utc.year < 1900:
            raise CellError(column, f"{utc.isoformat()} is too far in the past")
        if len(self._moments) >= _CACHE_LIMIT:
            self._moments.clear()
        self._moments[value] = (utc, day)
        return utc, day


# -- numbers -------------------------------------------------------------------------------

MAX_QUANTITY = Decimal("99999999999.999")  # what NUMERIC(14, 3) holds
_Q3 = Decimal("0.001")
POW10 = [10**i for i in range(10)]


def quantity(text: str) -> int | Decimal:
    """More than 0 with at most 3 decimals (kg, m); whole ones come back as int."""
    qty = decimal_value(text, "quantity")
    if qty <= 0:
        raise CellError("quantity", f"{qty} must be more than 0 (returns are a status)")
    if qty > MAX_QUANTITY:
        raise CellError("quantity", f"{qty} is too large")
    if qty != qty.quantize(_Q3):
        raise CellError("quantity", f"{qty} has more than 3 decimals")
    return int(qty) if qty == qty.to_integral_value() else qty.normalize()


def fast_minor(text: str, minor: int) -> int | None:
    """'12', '12.5', '12.50' -> minor units without Decimal; None means: take the slow path."""
    if text.isdecimal():
        return int(text) * POW10[minor]
    whole, dot, frac = text.partition(".")
    if dot and len(frac) <= minor and whole.isdecimal() and (frac.isdecimal() or not frac):
        return int(whole + frac) * POW10[minor - len(frac)]
    return None


def decimal_value(raw: Any, column: str) -> Decimal:
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if not text:
        raise CellError(column, "is required")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(column, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise CellError(column, f"{text!r} is not a number")
    return value


def minor_amount(raw: Any, column: str, minor: int) -> int:
    """An amount in minor units; more decimals than the currency has is refused, not rounded."""
    value = decimal_value(raw, column)
    if value < 0:
        raise CellError(column, f"{value} must not be negative")
    scaled = value.scaleb(minor)
    as_int = int(scaled)
    if as_int != scaled:
        raise CellError(column, f"{value} has more decimals than the currency allows ({minor})")
    return as_int
