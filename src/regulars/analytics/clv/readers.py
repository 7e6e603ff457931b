"""Read a transactions file (CSV or Parquet) into the three columns the models need.

The result always has `customer_id` (as in the file), `day` (int64 day number) and `amount`
(float64), so the summary code does not care where the data came from.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

from regulars.analytics.clv.dates import day_numbers
from regulars.analytics.clv.errors import ClvInputError


def transactions_table(
    table: pa.Table, *, customer_col: str, date_col: str, amount_col: str
) -> pa.Table:
    """Normalise any table to (customer_id, day, amount), refusing what the models cannot use."""
    for col in (customer_col, date_col, amount_col):
        if col not in table.column_names:
            have = ", ".join(table.column_names)
            raise ClvInputError(f"no column {col!r} in the transactions (columns: {have})")
    if table.num_rows == 0:
        raise ClvInputError("the transactions file has no rows")
    cust = table[customer_col]
    if cust.null_count:
        raise ClvInputError(f"column {customer_col!r} has empty customer ids")
    days = day_numbers(table[date_col], date_col)
    try:
        amount = pc.cast(table[amount_col], pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ClvInputError(f"column {amount_col!r} does not hold numbers") from None
    if amount.null_count:
        raise ClvInputError(f"column {amount_col!r} has empty amounts")
    return pa.table({"customer_id": cust, "day": pa.array(days), "amount": amount})


def read_transactions(
    path: str | Path,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    sep: str = ",",
) -> pa.Table:
    """CSV (any one-character separator) or Parquet, chosen by the file's extension."""
    p = Path(path)
    if not p.is_file():
        raise ClvInputError(f"no such file: {p}")
    cols = [customer_col, date_col, amount_col]
    try:
        parquet = p.suffix.lower() in (".parquet", ".pq")
        if not parquet and p.stat().st_size == 0:
            raise ClvInputError(f"{p.name} is empty")
        parse = pv.ParseOptions(delimiter=sep)
        names = (
            pq.read_schema(p).names if parquet else pv.open_csv(p, parse_options=parse).schema.names
        )
        missing = [c for c in cols if c not in names]
        if missing:
            raise ClvInputError(
                f"no column {missing[0]!r} in {p.name} (columns: {', '.join(names)})"
            )
        if parquet:
            table = pq.read_table(p, columns=list(dict.fromkeys(cols)))
        else:
            table = pv.read_csv(
                p,
                parse_options=parse,
                convert_options=pv.ConvertOptions(
                    include_columns=list(dict.fromkeys(cols)),
                    column_types={date_col: pa.string()},
                ),
            )
    except ClvInputError:
        raise
    except (pa.ArrowInvalid, KeyError, OSError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ClvInputError(f"cannot read {p.name}: {msg}") from None
    return transactions_table(
        table, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )
