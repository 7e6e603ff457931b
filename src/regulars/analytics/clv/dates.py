"""Dates of a transactions column, whatever their type, as day numbers (days since 1970-01-01).

Files carry dates as ISO text, as `YYYYMMDD` text or integers (the CDNOW layout), or as real
date/timestamp columns (Parquet); all are parsed inside Arrow, never row by row in Python.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from regulars.analytics.clv.errors import ClvInputError

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(n))


def _parse_text(col: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    valid = col.drop_null()
    if len(valid) == 0:
        raise ClvInputError(f"column {name!r} has no dates")
    first = str(valid[0].as_py()).strip()
    text = pc.utf8_trim_whitespace(col)
    if len(first) == 8 and first.isdigit():
        fmt = "%Y%m%d"
    else:
        fmt = "%Y-%m-%d"
        text = pc.utf8_slice_codeunits(text, 0, 10)  # ISO date-times: keep the date part
    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    # strptime rolls impossible days over (30 February -> 1 March): a round trip catches them
    same = pc.equal(pc.strftime(parsed, format=fmt), text)
    bad = pc.and_(pc.invert(pc.fill_null(same, False)), pc.is_valid(col))
    if pc.any(bad).as_py():
        example = col.filter(bad)[0].as_py()
        raise ClvInputError(
            f"cannot read the date {example!r} in column {name!r} (expected YYYY-MM-DD or YYYYMMDD)"
        )
    return parsed


def day_numbers(col: pa.ChunkedArray | pa.Array, name: str) -> NDArray[np.int64]:
    """Day numbers of a date column; a missing or unreadable date is a ClvInputError."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    t = col.type
    if pa.types.is_integer(t):
        col = _parse_text(pc.cast(col, pa.string()), name)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        col = _parse_text(col, name)
    elif not (pa.types.is_date(t) or pa.types.is_timestamp(t)):
        raise ClvInputError(f"column {name!r} does not hold dates (it is {t})")
    if col.null_count:
        raise ClvInputError(f"column {name!r} has empty dates")
    days = pc.cast(pc.cast(col, pa.date32()), pa.int32())
    return np.asarray(days.to_numpy(), dtype=np.int64)
