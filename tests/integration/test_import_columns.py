"""The column-wise orders import on SQLite and PostgreSQL: the same report, rejects and stored
orders as the row-by-row import, and stores hashed by an older version stay 'unchanged'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import update

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.services.importing import import_customers, import_orders, order_rows
from regulars.services.importing.columns import ORDERS, map_header
from regulars.services.importing.order_hash import PREFIX, legacy_hash
from regulars.services.importing.order_refs import Buyer, References
from regulars.services.importing.order_rows import OrderRows
from regulars.services.importing.reading import open_source
from regulars.services.importing.sql import Native
from regulars.services.importing.values import Dates
from regulars.store.tables import Order, OrderLine
from tests.fixtures.imports import rows, write_csv

HEADER = "external_id,customer_external_id,placed_at,status,currency,sku,quantity,unit_price"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    customers = write_csv(
        tmp_path / "customers.csv",
        "external_id,name",
        [f"C{i},Customer {i}" for i in range(20)],
    )
    lines = []
    for n in range(600):
        lines.append(
            f"O{n},C{n % 20},2024-0{n % 9 + 1}-1{n % 10} 10:{n % 60:02d},paid,VND,S{n % 7},2,15000"
        )
        if n % 3 == 0:
            lines.append(
                f"O{n},C{n % 20},2024-0{n % 9 + 1}-1{n % 10} 10:{n % 60:02d},paid,VND,S9,0.5,999"
            )
    lines[100] = "O66,C6,2024-07-16 10:06,paid,VND,S6,-2,15000"  # a negative quantity
    lines[401] = "O300,C999,2024-04-10 10:00,paid,VND,S1,1,15000"  # an unknown customer
    lines[555] = lines[555].replace(",paid,", ",lost,")
    lines.insert(700, 'O520,C0,2024-01-10 10:00,paid,VND,"S\n2",1,1')  # a quoted line break
    lines.insert(20, lines[0])  # an order id repeated further down
    return customers, write_csv(tmp_path / "orders.csv", HEADER, lines)


def _import(app: App, ctx: BusinessContext, path: Path, vectorised: bool, mp: Any) -> Any:
    mp.setattr(order_rows, "VECTORISED", vectorised)
    mp.setattr(order_rows, "CHUNK_LINES", 128)  # several chunks
    result = import_orders(app.engine, ctx=ctx, path=path)
    rejects = result.rejects_path.read_text(encoding="utf-8") if result.rejects_path else ""
    return result.as_json(), rejects


def _stored(app: App) -> list[Any]:
    orders = rows(
        app,
        *(Order.external_id, Order.customer_id, Order.total_minor, Order.status),
        *(Order.placed_at, Order.import_hash),
        order_by=Order.external_id,
    )
    lines = rows(
        app,
        *(OrderLine.order_id, OrderLine.line_no, OrderLine.product_id, OrderLine.quantity),
        *(OrderLine.unit_price_minor, OrderLine.line_total_minor),
        order_by=OrderLine.order_id * 1000 + OrderLine.line_no,
    )
    return [orders, lines]


def test_the_same_report_and_store_as_the_row_by_row_import(
    app: App, ctx: BusinessContext, tmp_path: Path, monkeypatch: Any
) -> None:
    customers, path = _files(tmp_path)
    import_customers(app.engine, ctx=ctx, path=customers)
    dry = import_orders(app.engine, ctx=ctx, path=path, dry_run=True)
    fast, fast_rejects = _import(app, ctx, path, True, monkeypatch)
    stored = _stored(app)
    again, again_rejects = _import(app, ctx, path, False, monkeypatch)  # the exact path: no change
    assert (again["unchanged"], again["imported"], again["updated"]) == (
        fast["imported"],
        0,
        0,
    )
    assert _stored(app) == stored
    assert [e["line"] for e in fast["errors"]] == [e.line for e in dry.errors]
    assert fast["rejected"] > 0 and fast["errors"] == again["errors"]
    assert {(e["line"], e["column"]) for e in fast["errors"]} >= {
        (103, "quantity"),
        (22, "external_id"),
        (404, "customer_external_id"),
        (558, "status"),
    }
    assert all(h.startswith(PREFIX) for *_, h in stored[0])
    assert again_rejects == fast_rejects and "S\n2" in fast_rejects


def test_orders_hashed_by_an_older_version_stay_unchanged(
    app: App, ctx: BusinessContext, tmp_path: Path, monkeypatch: Any
) -> None:
    import_customers(app.engine, ctx=ctx, path=_files(tmp_path)[0])
    path = write_csv(
        tmp_path / "few.csv",
        HEADER,
        ["A1,C1,2024-01-02 10:00,paid,VND,S1,2,15000", "A1,C1,2024-01-02 10:00,paid,VND,S2,0.5,10"],
    )
    first, _ = _import(app, ctx, path, True, monkeypatch)
    source = open_source(path, ORDERS.known)
    parser = OrderRows(
        map_header(ORDERS, source.header, path),
        Dates(None, ctx.timezone),
        ctx.default_currency,
        Native(app.engine.dialect.name),
    )
    (order,) = [o for c in parser.chunks(source.rows) for o in c.orders]
    source.close()
    with app.engine.begin() as conn:  # as an older version stored it
        conn.execute(update(Order).values(import_hash=legacy_hash(order)))
    again, _ = _import(app, ctx, path, True, monkeypatch)
    assert (first["imported"], again["unchanged"], again["updated"]) == (2, 2, 0)
    assert rows(app, Order.import_hash) == [(order.hash,)]  # and it now has the current hash


def test_references_are_checked_with_sqlites_foreign_keys_off(
    app: App, ctx: BusinessContext, tmp_path: Path, monkeypatch: Any
) -> None:
    """On SQLite the import checks its customers and products once per chunk instead of a
    look-up per row: a customer gone meanwhile fails the chunk, and the connection gets its
    foreign keys back."""
    customers, path = _files(tmp_path)
    import_customers(app.engine, ctx=ctx, path=customers)
    look_up = References._look_up_buyers

    def gone(self: References, refs: set[str]) -> dict[str, Buyer | str]:
        found = look_up(self, refs)
        if isinstance(buyer := found.get("C3"), Buyer):
            buyer.id = 10**9  # as if the customer were deleted after it was looked up
        return found

    monkeypatch.setattr(References, "_look_up_buyers", gone)
    if app.engine.dialect.name == "sqlite":
        with pytest.raises(RuntimeError, match="was deleted while it ran"):
            import_orders(app.engine, ctx=ctx, path=path)
        with app.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    else:
        with pytest.raises(ForeignKeyViolation):  # PostgreSQL checks every row itself
            import_orders(app.engine, ctx=ctx, path=path)
    assert rows(app, Order.id) == []  # the chunk that failed, and all after it, are not stored
    monkeypatch.setattr(References, "_look_up_buyers", look_up)
    result = import_orders(app.engine, ctx=ctx, path=path)
    assert result.imported > 0
