"""Bulk writes for imports and the demo: COPY on PostgreSQL, executemany on SQLite.

The ORM is right for one customer at a time; a million order lines need the driver's own bulk
path. Values handed in must already be in database-native form (see `native_*`), because
per-value type processing is what makes ORMs slow here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, text


def native_datetime(dialect: str, dt: datetime) -> Any:
    """UTC datetime as the store keeps it: the same text SQLAlchemy writes for SQLite."""
    if dialect == "sqlite":
        return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return dt


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert tuples (in `columns` order) as fast as the backend allows, in `conn`'s transaction."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', rows)
    finally:
        cur.close()


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
        result = conn.execute(
            text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": n}
        )
        return [int(r[0]) for r in result]
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
