"""Transactions -> per-customer summary (frequency, recency, age, mean repeat spend, holdout count).

The summary follows the BG/NBD literature: purchases on the same day are one purchase (their
amounts added), frequency counts repeat purchase days, recency t_x and age T run from the first
purchase, in days or weeks (days / 7). Customers whose only order is worth 0 are kept. Everything
is vectorised over (customer, day) keys, so ten million transactions summarise in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from regulars.analytics.clv.dates import day_number, from_day_number
from regulars.analytics.clv.errors import ClvInputError

PERIOD_DAYS = {"day": 1.0, "week": 7.0}


@dataclass(frozen=True)
class CustomerSummary:
    """One row per customer who bought by the calibration end; time in `period_days` units."""

    customer_id: pa.Array
    frequency: NDArray[np.int64]  # repeat purchase days in the calibration period
    recency: NDArray[np.float64]  # t_x: first to last purchase
    T: NDArray[np.float64]  # first purchase to calibration end
    monetary: NDArray[np.float64]  # mean value of the repeat purchases (0 without repeats)
    period_days: float
    calibration_end: date
    holdout_frequency: NDArray[np.int64] | None = None  # purchase days after calibration end
    holdout_end: date | None = None

    def __len__(self) -> int:
        return len(self.frequency)

    @property
    def holdout_length(self) -> float:
        """Length of the holdout period in model periods."""
        if self.holdout_end is None:
            raise ValueError("this summary has no holdout period")
        return (self.holdout_end - self.calibration_end).days / self.period_days


def _period_days(period: str) -> float:
    try:
        return PERIOD_DAYS[period]
    except KeyError:
        raise ClvInputError(f"unknown period {period!r} (use day or week)") from None


def _customer_codes(col: pa.ChunkedArray | pa.Array) -> tuple[NDArray[np.int64], pa.Array]:
    """Dense integer codes for the customer ids, and the ids in code order (hash-based, fast)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    fits_int64 = pa.types.is_signed_integer(arr.type) or arr.type in (
        pa.uint8(),
        pa.uint16(),
        pa.uint32(),
    )
    if fits_int64 and len(arr):
        ids = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)
        low, high = int(ids.min()), int(ids.max())
        if high - low < 4 * len(ids) + 1024:  # dense integer ids: an offset is the code
            present = np.zeros(high - low + 1, dtype=bool)
            present[ids - low] = True
            rank = np.cumsum(present) - 1
            levels = np.flatnonzero(present) + low
            return rank[ids - low], pa.array(levels, type=arr.type)
    enc = pc.dictionary_encode(arr)
    return np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64), enc.dictionary


def _day_groups(
    codes: NDArray[np.int64], days: NDArray[np.int64], amounts: NDArray[np.float64], span: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Merge same-day purchases: (code, day, summed amount), sorted by code then day."""
    key = codes * span + days
    order = np.argsort(key, kind="stable")
    ks = key[order]
    new = np.empty(len(ks), dtype=bool)
    new[:1] = True
    np.not_equal(ks[1:], ks[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    day_amount = np.add.reduceat(amounts[order], starts) if len(starts) else np.zeros(0)
    uk = ks[starts]
    return uk // span, uk % span, day_amount


def summarise(
    transactions: pa.Table,
    *,
    calibration_end: date,
    period: str = "week",
    holdout_end: date | None = None,
) -> CustomerSummary:
    """Summarise a (customer_id, day, amount) table as of `calibration_end` (inclusive)."""
    period_days = _period_days(period)
    if holdout_end is not None and holdout_end <= calibration_end:
        raise ClvInputError("the holdout end must come after the calibration end")
    codes, ids = _customer_codes(transactions["customer_id"])
    days = np.asarray(transactions["day"].to_numpy(), dtype=np.int64)
    amounts = np.asarray(transactions["amount"].to_numpy(), dtype=np.float64)
    if len(days) == 0:
        raise ClvInputError("there are no transactions")
    cal = day_number(calibration_end)
    dmin = int(days.min())
    span = int(days.max()) - dmin + 1
    in_cal = days <= cal
    if not in_cal.any():
        raise ClvInputError(
            f"no transactions on or before the calibration end {calibration_end} "
            f"(the first is on {from_day_number(dmin)})"
        )
    cust, day, day_amount = _day_groups(codes[in_cal], days[in_cal] - dmin, amounts[in_cal], span)
    cstart = np.flatnonzero(np.concatenate(([True], cust[1:] != cust[:-1])))
    cend = np.append(cstart[1:], len(cust)) - 1
    n_days = cend - cstart + 1
    first, last = day[cstart], day[cend]
    total = np.add.reduceat(day_amount, cstart)
    x = (n_days - 1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(x > 0, (total - day_amount[cstart]) / np.maximum(x, 1), 0.0)
    customers = cust[cstart]
    holdout = None
    if holdout_end is not None:
        holdout = _holdout_counts(
            codes, days - dmin, cal - dmin, day_number(holdout_end) - dmin, span
        )
        holdout = holdout[customers] if len(holdout) else np.zeros(len(customers), np.int64)
    return CustomerSummary(
        customer_id=ids.take(pa.array(customers)),
        frequency=x,
        recency=(last - first) / period_days,
        T=(cal - dmin - first) / period_days,
        monetary=monetary,
        period_days=period_days,
        calibration_end=calibration_end,
        holdout_frequency=holdout,
        holdout_end=holdout_end,
    )


def _holdout_counts(
    codes: NDArray[np.int64], days: NDArray[np.int64], cal: int, end: int, span: int
) -> NDArray[np.int64]:
    """Distinct purchase days per customer code in (cal, end]."""
    sel = (days > cal) & (days <= end)
    if not sel.any():
        return np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    keys = np.unique(codes[sel] * span + days[sel])
    return np.bincount(keys // span, minlength=int(codes.max()) + 1).astype(np.int64)
