"""A column of order times read at once: ISO 8601 dates and local times, to UTC, with numpy.

The shapes most exports write (`2024-01-15`, `2024-01-15 10:30`, `2024-01-15T10:30:05`) are
parsed and range-checked as arrays, and taken from the business's local time to UTC with one
offset per hour of the column. Any other value (an offset, fractions of a second, another
layout given by --date-format) goes through `Dates` itself once per distinct value, so every
value means exactly what it meant before; one `Dates` refuses is reported as not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from regulars.services.importing.values import CLOCK_SLACK, CellError, Dates

_US = 1_000_000
_HOUR = 3600 * _US
_DAY = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_MIN_YEAR_US = (datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_UNKNOWN = np.iinfo(np.int64).min
_OFFSET_CACHE = 200_000  # hours (23 years) per direction


@dataclass(frozen=True, slots=True)
class Moments:
    """`ok` values as microseconds since 1970 (UTC) and their local day (days since 1970)."""

    ok: npt.NDArray[np.bool_]
    utc_us: npt.NDArray[np.int64]
    local_day: npt.NDArray[np.int64]


def read_moments(texts: Sequence[str], dates: Dates, column: str) -> Moments:
    """Every text read as `dates.moment_and_day` reads it; refused ones are not `ok`."""
    n = len(texts)
    ok = np.zeros(n, dtype=bool)
    utc = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    if n == 0:
        return Moments(ok, utc, day)
    rest = np.ones(n, dtype=bool)
    if dates.format is None:
        wall, offset, aware, shaped = _iso(texts)
        naive = shaped & ~aware
        if naive.any():  # the business's wall clock
            idx = np.flatnonzero(naive)
            zone = _offsets(wall[idx], dates, local=True)
            known = zone != _UNKNOWN
            idx = idx[known]
            utc[idx] = wall[idx] - zone[known]
            day[idx] = wall[idx] // _DAY
            ok[idx] = True
            rest[idx] = False
        if aware.any():  # an explicit offset: the day is the business's day at that moment
            idx = np.flatnonzero(shaped & aware)
            at = wall[idx] - offset[idx]
            zone = _offsets(at, dates, local=False)
            known = zone != _UNKNOWN
            idx, at = idx[known], at[known]
            utc[idx] = at
            day[idx] = (at + zone[known]) // _DAY
            ok[idx] = True
            rest[idx] = False
    where: dict[str, list[int]] = {}
    for i in np.flatnonzero(rest).tolist():
        where.setdefault(texts[i], []).append(i)
    for text, rows in where.items():
        _one(text, rows, dates, column, ok, utc, day)
    limit = (dates.now + CLOCK_SLACK - _EPOCH) // timedelta(microseconds=1)
    ok &= (utc <= limit) & (utc >= _MIN_YEAR_US)
    return Moments(ok, utc, day)


def _one(
    text: str,
    rows: list[int],
    dates: Dates,
    column: str,
    ok: npt.NDArray[np.bool_],
    utc: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
) -> None:
    """A value outside the array shapes: read by `Dates` itself, for every row that has it."""
    try:
        when, local_day = dates.moment_and_day(text, column)
    except CellError:
        return
    ok[rows] = True
    utc[rows] = (when - _EPOCH) // timedelta(microseconds=1)
    day[rows] = local_day.toordinal() - _EPOCH_ORDINAL


def _iso(
    texts: Sequence[str],
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]
]:
    """For texts in one of the array shapes: wall-clock microseconds, the offset they state
    (µs), whether they state one, and which texts have such a shape."""
    n = len(texts)
    arr = np.array(texts, dtype=str)
    width = arr.dtype.itemsize // 4
    zeros = np.zeros(n, dtype=np.int64)
    if width < 10:
        return zeros, zeros, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    codes = arr.view(np.uint32).reshape(n, width)[:, :25].astype(np.int64)
    if codes.shape[1] < 25:
        codes = np.pad(codes, ((0, 0), (0, 25 - codes.shape[1])))
    length = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    digit = (codes >= 48) & (codes <= 57)
    d = codes - 48

    def number(a: int, b: int) -> npt.NDArray[np.int64]:
        out = np.zeros(n, dtype=np.int64)
        for i in range(a, b):
            out = out * 10 + d[:, i]
        return out

    def offset_at(i: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """'Z' or '+HH:MM' / '-HH:MM' starting at position i."""
        z = codes[:, i] == 90
        sign = np.where(codes[:, i] == 45, -1, 1)
        hhmm = (
            ((codes[:, i] == 43) | (codes[:, i] == 45))
            & digit[:, [i + 1, i + 2, i + 4, i + 5]].all(axis=1)
            & (codes[:, i + 3] == 58)
        )
        hours = d[:, i + 1] * 10 + d[:, i + 2]
        minutes = d[:, i + 4] * 10 + d[:, i + 5]
        hhmm &= (hours <= 23) & (minutes <= 59)
        value = np.where(hhmm, sign * (hours * 3600 + minutes * 60) * _US, 0)
        return z, hhmm, value  # type: ignore[return-value]

    date_ok = (
        digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1) & (codes[:, 4] == 45) & (codes[:, 7] == 45)
    )
    sep = (codes[:, 10] == 84) | (codes[:, 10] == 32)
    hm_ok = date_ok & sep & digit[:, [11, 12, 14, 15]].all(axis=1) & (codes[:, 13] == 58)
    s_ok = hm_ok & digit[:, [17, 18]].all(axis=1) & (codes[:, 16] == 58)
    z16, o16, off16 = offset_at(16)  # type: ignore[misc]
    z19, o19, off19 = offset_at(19)  # type: ignore[misc]
    minutes_only = hm_ok & ((length == 16) | ((length == 17) & z16) | ((length == 22) & o16))
    seconds = s_ok & ((length == 19) | ((length == 20) & z19) | ((length == 25) & o19))
    shaped = (date_ok & (length == 10)) | minutes_only | seconds
    aware = (minutes_only & (length > 16)) | (seconds & (length > 19))
    offset = np.where(minutes_only, off16, np.where(seconds, off19, 0))
    y, m, dd = number(0, 4), number(5, 7), number(8, 10)
    hh = np.where(length >= 16, number(11, 13), 0)
    mi = np.where(length >= 16, number(14, 16), 0)
    ss = np.where(seconds, number(17, 19), 0)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)]
    month_days = month_days + ((m == 2) & leap)
    shaped &= (y >= 1) & (m >= 1) & (m <= 12) & (dd >= 1) & (dd <= month_days)
    shaped &= (hh <= 23) & (mi <= 59) & (ss <= 59)
    days = _days_from_civil(
        np.where(shaped, y, 1970), np.where(shaped, m, 1), np.where(shaped, dd, 1)
    )
    wall = (days * 86_400 + hh * 3600 + mi * 60 + ss) * _US
    return np.where(shaped, wall, 0), offset, aware & shaped, shaped


def _days_from_civil(
    y: npt.NDArray[np.int64], m: npt.NDArray[np.int64], d: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _offsets(us: npt.NDArray[np.int64], dates: Dates, *, local: bool) -> npt.NDArray[np.int64]:
    """The zone's UTC offset (µs) at each time (`local`: a wall-clock time of the zone, else a
    UTC moment), looked up once per hour. An hour in which the offset changes (a DST switch)
    gives `_UNKNOWN`, and those values are read one by one."""
    if dates.tz is UTC:
        return np.zeros(len(us), dtype=np.int64)
    hours, inverse = np.unique(us // _HOUR, return_inverse=True)
    cache = dates.hour_offsets.setdefault(local, {})  # kept across chunks: hours repeat
    wanted = hours.tolist()
    missing = [h for h in wanted if h not in cache]
    if len(cache) + len(missing) > _OFFSET_CACHE:
        cache.clear()
    end = timedelta(minutes=59, seconds=59)
    for hour in missing:
        start = datetime(1970, 1, 1) + timedelta(hours=hour)
        if local:
            a = start.replace(tzinfo=dates.tz).utcoffset()
            b = (start + end).replace(tzinfo=dates.tz).utcoffset()
        else:
            a = start.replace(tzinfo=UTC).astimezone(dates.tz).utcoffset()
            b = (start + end).replace(tzinfo=UTC).astimezone(dates.tz).utcoffset()
        ok = a is not None and a == b
        cache[hour] = a // timedelta(microseconds=1) if ok else _UNKNOWN  # type: ignore[operator]
    per_hour = np.fromiter(map(cache.__getitem__, wanted), dtype=np.int64, count=len(wanted))
    return per_hour[inverse.reshape(-1)]
