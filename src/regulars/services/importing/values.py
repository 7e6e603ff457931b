"""Cell-level parsing shared by both imports: text, dates, times, yes/no, `|` lists.

Each helper raises `CellError` naming the column and a reason a person can act on; the row is
then rejected with that reason instead of being stored half-right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CLOCK_SLACK = timedelta(days=1)  # a till a little ahead of the server is not "the future"
_TRUE = frozenset({"yes", "y", "true", "t", "1", "granted", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "refused", "withdrawn"})
_CACHE_LIMIT = 200_000


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
        self.tz = ZoneInfo(timezone)
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(self.tz).date()
        self._moments: dict[str, datetime] = {}

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
        if isinstance(value, datetime):
            return self._utc(value, column)
        cached = self._moments.get(value)
        if cached is not None:
            return cached
        t = value.strip()
        if not t:
            raise CellError(column, "is required")
        try:
            when = datetime.strptime(t, self.format) if self.format else datetime.fromisoformat(t)
        except ValueError:
            if self.format:
                reason = f"{t!r} does not match the date format {self.format!r}"
            else:
                reason = (
                    f"{t!r} is not an ISO 8601 date or time (e.g. 2024-05-01 14:30; "
                    "another layout needs --date-format)"
                )
            raise CellError(column, reason) from None
        result = self._utc(when, column)
        if len(self._moments) >= _CACHE_LIMIT:
            self._moments.clear()
        self._moments[value] = result
        return result

    def _utc(self, when: datetime, column: str) -> datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        when = when.astimezone(UTC)
        if when > self.now + CLOCK_SLACK:
            raise CellError(column, f"{when.isoformat()} is in the future")
        if when.year < 1900:
            raise CellError(column, f"{when.isoformat()} is too far in the past")
        return when

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()
