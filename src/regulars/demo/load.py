"""Writing the demo: column arrays become database-native values, then bulk inserts.

Columns arrive as numpy arrays (or lists, or one scalar for the whole column); the column's SQL
type says how to turn them into what the driver takes without per-value ORM processing: UTC
microseconds into the text SQLAlchemy stores (SQLite) or timestamptz text (PostgreSQL), days
into ISO dates, thousandths into quantities. Big tables go in chunks, each its own transaction,
so SQLite's write-ahead log stays small and progress can be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Boolean, Connection, Date, Engine, Table, func, select

from regulars.store.bulk import insert_rows, reset_sequence
from regulars.store.types import Quantity, UTCDateTime

Columns = Mapping[str, Any]
Progress = Callable[[str, int, int], None]
CHUNK = 250_000


def next_id(conn: Connection, table: Table) -> int:
    """First free id: the demo writes explicit ids so parents and children go in one pass."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0) + 1)).scalar_one())


def native(dialect: str, table: Table, column: str, values: Any) -> Any:
    """Values of one column in the form the driver writes fastest (see store.bulk)."""
    if not isinstance(values, np.ndarray):
        return values
    kind = table.c[column].type
    if isinstance(kind, UTCDateTime):
        return _times(dialect, values)
    if isinstance(kind, Date):
        return _dates(values)
    if isinstance(kind, Quantity):
        return (values / 1000).tolist()
    if isinstance(kind, Boolean):
        return values.astype(bool).tolist()
    return values.tolist()


def _times(dialect: str, us: np.ndarray) -> list[Any]:
    text = np.strings.replace(np.datetime_as_string(us.astype("datetime64[us]"), unit="us"), "T", " ")
    if dialect != "sqlite":
        text = np.strings.add(text, "+00")
    return text.tolist()  # type: ignore[no-any-return]


def _dates(days: np.ndarray) -> list[Any]:
    d = days.astype("datetime64[D]")
    text = np.datetime_as_string(d, unit="D").astype(object)
    text[np.isnat(d)] = None
    return text.tolist()  # type: ignore[no-any-return]


def _slices(columns: Columns, n: int, chunk: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        part = {}
        for name, values in columns.items():
            if isinstance(values, np.ndarray | list):
                part[name] = values[lo:hi]
            else:
                part[name] = values  # one value for every row
        yield lo, hi, part


def write(
    engine: Engine,
    table: Table,
    columns: Columns,
    *,
    progress: Progress | None = None,
    label: str | None = None,
    chunk: int = CHUNK,
    done_before: int = 0,
    total: int | None = None,
) -> int:
    """Insert all rows of `columns` (equal-length arrays or scalars); returns the row count.

    `done_before` and `total` let a table written in several calls report one progress.
    """
    n = next((len(v) for v in columns.values() if isinstance(v, np.ndarray | list)), 0)
    names = list(columns)
    for lo, hi, part in _slices(columns, n, chunk):
        with engine.begin() as conn:
            _tune(conn)
            dialect = conn.dialect.name
            cols = []
            for name in names:
                value = native(dialect, table, name, part[name])
                cols.append(value if isinstance(value, list) else repeat(value, hi - lo))
            insert_rows(conn, table, names, zip(*cols, strict=False))
        if progress:
            progress(label or table.name, done_before + hi, total or n)
    if n and "id" in table.c:
        with engine.begin() as conn:
            reset_sequence(conn, table)
    return n


def _tune(conn: Connection) -> None:
    """A bigger page cache for SQLite: index pages of a million rows stay in memory."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
