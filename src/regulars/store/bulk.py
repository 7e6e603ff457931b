"""Bulk writes for imports and the demo: COPY on PostgreSQL, executemany on SQLite.

The ORM is right for one customer at a time; a million order lines need the driver's own bulk
path. Values handed in must already be in database-native form (see `native_*`), because
per-value type processing is what makes ORMs slow here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

from sqlalchemy import Connection, Table, text


def native_datetime(dialect: str, dt: datetime) -> Any:
    """UTC datetime as the store keeps it: the same text SQLAlchemy writes for SQLite."""
    if dialect == "sqlite":
        return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return dt


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batched: bool = False,
) -> None:
    """Insert tuples (in `columns` order) as fast as the backend can, inside `conn`'s transaction.

    `batched` (SQLite): insert with multi-row VALUES statements of thousands of rows.
    pysqlite gives up Python's GIL once per statement rather than once per row, so another
    thread (an import's parser) runs at full speed meanwhile instead of queueing for the GIL.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    marks = "(" + ", ".join("?" for _ in columns) + ")"
    sql = f'INSERT INTO "{table.name}" ({cols}) VALUES '
    try:
        if not batched:
            cur.executemany(sql + marks, rows)
            return
        per = max(1, _SQLITE_MAX_VARIABLES // len(columns))
        remaining = iter(rows)
        while batch := list(chain.from_iterable(islice(remaining, per))):
            _insert_flat(cur, sql, marks, batch, len(columns))
    finally:
        cur.close()


def insert_columns(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[Sequence[Any]]
) -> None:
    """`insert_rows` with the values a column at a time: one list per column, all as long.

    An import holds its chunk as columns; on SQLite the statements' parameters are woven from
    them by slice assignment (in C), with no per-row Python object in between.
    """
    n = len(values[0])
    if n == 0:
        return
    if conn.dialect.name == "postgresql":
        insert_rows(conn, table, columns, zip(*values, strict=True))
        return
    width = len(columns)
    flat: list[Any] = [None] * (n * width)
    for i, column in enumerate(values):
        flat[i::width] = column
    cols = ", ".join(f'"{c}"' for c in columns)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        marks = "(" + ", ".join("?" for _ in columns) + ")"
        _insert_flat(cur, f'INSERT INTO "{table.name}" ({cols}) VALUES ', marks, flat, width)
    finally:
        cur.close()


def _insert_flat(cur: Any, sql: str, marks: str, flat: list[Any], width: int) -> None:
    """Rows laid end to end in `flat`, inserted with multi-row VALUES statements."""
    per = max(1, _SQLITE_MAX_VARIABLES // width)
    step = per * width
    full = sql + ", ".join([marks] * per)
    n = len(flat) // width
    start = 0
    while n >= per:
        cur.execute(full, flat[start : start + step] if len(flat) > step else flat)
        start += step
        n -= per
    # The rest in statements of a few fixed sizes: pysqlite caches every statement it
    # prepares, and one per leftover size would pile up megabytes of them.
    while n:
        size = 1 << (n.bit_length() - 1)
        cur.execute(sql + ", ".join([marks] * size), flat[start : start + size * width])
        start += size * width
        n -= size


# Bound parameters per statement: 32766 since SQLite 3.32, 999 before.
_SQLITE_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def allocate_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """Reserve `n` primary keys so parents and children can be bulk-inserted without RETURNING.

    PostgreSQL draws from the table's sequence; SQLite continues after max(id), which is safe
    because a SQLite writer holds the database's only write lock for the whole transaction.
    """
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar_one()
        # The values come back as runs of consecutive numbers (usually one run), not n rows.
        runs = conn.execute(
            text(
                "SELECT min(v), max(v) FROM (SELECT v, v - row_number() OVER (ORDER BY v) AS g "
                "FROM (SELECT nextval(:s) AS v FROM generate_series(1, :n)) AS a) AS b "
                "GROUP BY g ORDER BY 1"
            ),
            {"s": seq, "n": n},
        )
        ids: list[int] = []
        for first, last in runs:
            ids.extend(range(int(first), int(last) + 1))
        return ids
    start = conn.execute(text(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table.name}"')).scalar_one()
    return list(range(int(start), int(start) + n))


def reset_sequence(conn: Connection, table: Table) -> None:
    """After inserting explicit ids on PostgreSQL, move the sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
        )
    )
