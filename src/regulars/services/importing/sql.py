"""Set-based statements for a chunk: one parameter carries thousands of keys or rows.

SQLAlchemy's expanding IN renders one placeholder per value, which costs more than the query
for chunks of thousands. Here a list travels as one JSON text (SQLite, `json_each`) or one
array (PostgreSQL, `= ANY` / `unnest`), and the database does the per-row work in C.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Column, Connection, Table, any_, bindparam, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from regulars.store.bulk import native_datetime


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def one_of(conn: Connection, column: Column[Any], name: str) -> ColumnElement[bool]:
    """`column IN <the list passed as parameter name>` (see `keys`)."""
    if is_sqlite(conn):
        listed = func.json_each(bindparam(name)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def keys(conn: Connection, values: Sequence[Any]) -> Any:
    """The parameter value for `one_of`."""
    return json.dumps(list(values)) if is_sqlite(conn) else list(values)


def update_rows(
    conn: Connection,
    table: Table,
    set_columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    where: str = "",
) -> None:
    """UPDATE table SET cols = row values WHERE id = row[0], for all rows in one statement.

    Values must be database-native (as for bulk inserts). `where` adds a condition on the
    target table, written against the alias `t`.
    """
    if not rows:
        return
    names = ["id", *set_columns]
    sets = ", ".join(f'"{c}" = j."{c}"' for c in set_columns)
    extra = f" AND {where}" if where else ""
    if is_sqlite(conn):
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS \"{c}\"" for i, c in enumerate(names))
        sql = (
            f'UPDATE "{table.name}" AS t SET {sets} '
            f"FROM (SELECT {picks} FROM json_each(:rows)) AS j WHERE t.id = j.id{extra}"
        )
        conn.execute(text(sql), {"rows": json.dumps([list(r) for r in rows])})
        return
    arrays = ", ".join(
        f"CAST(:c{i} AS {table.c[c].type.compile(conn.dialect)}[])" for i, c in enumerate(names)
    )
    cols = ", ".join(f'"{c}"' for c in names)
    sql = (
        f'UPDATE "{table.name}" AS t SET {sets} '
        f"FROM unnest({arrays}) AS j({cols}) WHERE t.id = j.id{extra}"
    )
    params = {f"c{i}": [r[i] for r in rows] for i in range(len(names))}
    conn.execute(text(sql), params)


def lookup(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    *,
    tenant_id: int,
    key: str,
    values: Sequence[Any],
) -> list[Sequence[Any]]:
    """Rows (these columns) of one tenant whose `key` is one of `values`, as raw driver values.

    On SQLite the rows come back inside one JSON value: pysqlite gives up the GIL once per
    fetched row, and queueing for it again behind the parser thread would cost more than the
    query. Raw values: SQLite returns dates and times as text, flags as 0/1.
    """
    if not values:
        return []
    cols = ", ".join(f't."{c}"' for c in columns)
    raw: Any = conn.connection.driver_connection
    if is_sqlite(conn):
        sql = (
            f'SELECT json_group_array(json_array({cols})) FROM "{table.name}" AS t '
            f'WHERE t.tenant_id = ? AND t."{key}" IN (SELECT value FROM json_each(?))'
        )
        cur = raw.cursor()
        try:
            cur.execute(sql, (tenant_id, json.dumps(list(values))))
            found: list[Sequence[Any]] = json.loads(cur.fetchone()[0])
        finally:
            cur.close()
        return found
    array_type = table.c[key].type.compile(conn.dialect)
    sql = (
        f'SELECT {cols} FROM "{table.name}" AS t '
        f'WHERE t.tenant_id = %s AND t."{key}" = ANY(CAST(%s AS {array_type}[]))'
    )
    with raw.cursor() as cur:
        cur.execute(sql, (tenant_id, list(values)))
        return list(cur.fetchall())


def table_of(model: Any) -> Table:
    """The Core table of a mapped class, typed as one (mypy sees `__table__` as a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Native:
    """Values in the form the driver stores directly (bulk writes skip SQLAlchemy's types)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def moment(self, dt: datetime | None) -> Any:
        if dt is None or not self.sqlite:
            return dt
        if dt.tzinfo is UTC:  # the usual case here: skip the conversion
            return dt.replace(tzinfo=None).isoformat(" ", "microseconds")
        return native_datetime("sqlite", dt)

    def day(self, d: Any) -> Any:
        return d.isoformat() if (self.sqlite and d is not None) else d

    def flag(self, b: bool) -> Any:
        return int(b) if self.sqlite else b
