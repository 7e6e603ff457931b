"""Writing the demo: column arrays become database-native values, then bulk inserts.

Columns arrive as numpy arrays (or lists, or one scalar for the whole column); the column's SQL
type says how to turn them into what the driver takes without per-value ORM processing: UTC
microseconds into the text SQLAlchemy stores (SQLite) or timestamptz text (PostgreSQL), days
into ISO dates, thousandths into quantities. Big tables go in chunks, each its own transaction,
so SQLite's write-ahead log stays small and progress can be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Engine,
    ForeignKeyConstraint,
    Table,
    func,
    inspect,
    select,
)
from sqlalchemy.schema import AddConstraint, DropConstraint

from regulars.store.bulk import insert_rows, reset_sequence
from regulars.store.tables import Base
from regulars.store.types import Quantity, UTCDateTime

Columns = Mapping[str, Any]
Progress = Callable[[str, int, int], None]
CHUNK = 250_000


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class (typed as a Table, which it is)."""
    t = model.__table__
    assert isinstance(t, Table)
    return t


def tenant_tables() -> list[Table]:
    """Every table whose rows belong to one business, parents before children."""
    return [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]


def clear_tenant(engine: Engine, tenant: int) -> None:
    """Delete one business's rows (not the business), children before parents.

    Run while the foreign keys are set aside (see `checks_set_aside`): a million deleted
    customers would otherwise each be looked up in every table that may point at them.
    """
    with _loading(engine) as conn:
        for t in reversed(tenant_tables()):
            conn.execute(t.delete().where(t.c.tenant_id == tenant))


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
    text = np.strings.replace(
        np.datetime_as_string(us.astype("datetime64[us]"), unit="us"), "T", " "
    )
    if dialect != "sqlite":
        text = np.strings.add(text, "+00")
    return list(text.tolist())


def _dates(days: np.ndarray) -> list[Any]:
    d = days.astype("datetime64[D]")
    text = np.datetime_as_string(d, unit="D").astype(object)
    text[np.isnat(d)] = None
    return list(text.tolist())


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
        with _loading(engine) as conn:
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


@contextmanager
def checks_set_aside(
    engine: Engine, tables: Iterable[Table], progress: Progress | None = None
) -> Iterator[None]:
    """Drop the indexes (and, on PostgreSQL, the foreign keys) of `tables` for the load; build
    them once at the end.

    Building an index in one pass is several times faster than maintaining it through millions
    of random inserts, and PostgreSQL checks a foreign key per row with a trigger (six times
    slower COPY) but re-validates a whole constraint in one join. Primary keys and unique
    constraints stay. A load that dies half-way leaves them missing; the next demo build puts
    them back (drops tolerate absence, adds skip what exists).
    """
    tables = list(tables)
    indexes = sorted((ix for t in tables for ix in t.indexes), key=lambda i: str(i.name))
    keys: list[ForeignKeyConstraint] = []
    if engine.dialect.name == "postgresql":
        keys = sorted(
            (fk for t in tables for fk in t.foreign_key_constraints), key=lambda k: str(k.name)
        )
    with engine.begin() as conn:
        for fk in keys:
            conn.execute(DropConstraint(fk, if_exists=True))
        for ix in indexes:
            ix.drop(conn, checkfirst=True)
    try:
        yield
    finally:
        with engine.begin() as conn:
            for k, ix in enumerate(indexes, 1):
                ix.create(conn, checkfirst=True)
                if progress:
                    progress("indexes", k, len(indexes))
            found = inspect(conn)
            present = {
                (t.name, fk["name"]) for t in tables for fk in found.get_foreign_keys(t.name)
            }
            for k, fk in enumerate(keys, 1):
                if fk.table is not None and (fk.table.name, fk.name) not in present:
                    conn.execute(AddConstraint(fk))
                if progress:
                    progress("foreign keys", k, len(keys))


@contextmanager
def _loading(engine: Engine) -> Iterator[Connection]:
    """One transaction of the load. On SQLite: a bigger page cache, and no per-row foreign-key
    look-ups, because every reference was allocated by the demo a moment ago (the tests run
    `PRAGMA foreign_key_check` over the result, and PostgreSQL checks every row anyway).
    """
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:  # outside a transaction, where SQLite honours the pragma
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if raw is not None:
                    conn.exec_driver_sql("PRAGMA cache_size=-262144")
                elif conn.dialect.name == "postgresql":  # a crash loses a chunk, not the database
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield conn
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
