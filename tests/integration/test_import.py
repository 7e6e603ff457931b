"""Import through the service on SQLite and PostgreSQL: what lands in the store, idempotency,
updates, rejects, whole-order rejection and the derived first-deal date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import update

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.services.importing import import_customers, import_orders
from regulars.store.tables import (
    Consent,
    Customer,
    CustomerTag,
    Department,
    Email,
    ImportBatch,
    Order,
    OrderLine,
    OrderStatusChange,
    Phone,
    Product,
    StaffUser,
)
from tests.fixtures.imports import count, data_file, rows, write_csv

ORDER_HEADER = (
    "external_id,customer_external_id,placed_at,status,currency,sku,product_name,category,"
    "quantity,unit_price"
)


def _import_both(app: App, ctx: BusinessContext, tmp_path: Path) -> None:
    customers = import_customers(app.engine, ctx=ctx, path=data_file(tmp_path, "customers.csv"))
    orders = import_orders(app.engine, ctx=ctx, path=data_file(tmp_path, "orders.csv"))
    assert (customers.imported, customers.rejected) == (6, 0)
    assert (orders.imported, orders.rejected) == (8, 0)


def _customer_id(app: App, external_id: str) -> int:
    return rows(app, Customer.id, where=Customer.external_id == external_id)[0][0]


def test_good_files_land_whole_and_normalised(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import_both(app, ctx, tmp_path)
    an, maria = _customer_id(app, "C-001"), _customer_id(app, "C-002")
    assert rows(app, Phone.e164, where=Phone.customer_id == an) == [("+84912345678",)]
    assert rows(
        app, Email.address, Email.is_primary, where=Email.customer_id == maria, order_by=Email.id
    ) == [
        ("mj.garcia@example.es", True),
        ("maria@work.example.es", False),
    ]
    assert rows(app, Customer.family_name, Customer.given_name, where=Customer.id == an) == [
        ("Nguyễn", "An")
    ]
    # a manager by e-mail and one by name became staff users; departments were created
    assert sorted(r[0] for r in rows(app, StaffUser.display_name)) == ["Lan Tran", "lan"]
    assert sorted(r[0] for r in rows(app, Department.name)) == ["B2B", "Retail"]
    assert rows(
        app,
        CustomerTag.kind,
        CustomerTag.value,
        where=CustomerTag.customer_id == an,
        order_by=CustomerTag.value,
    ) == [
        ("interest", "coffee"),
        ("interest", "cycling"),
        ("tag", "vip"),
    ]
    assert rows(
        app, Consent.channel, Consent.purpose, Consent.granted, where=Consent.customer_id == an
    ) == [("email", "marketing", True)]
    # orders: products by SKU, totals in minor units, a status history row each
    assert count(app, Product) == 3 and count(app, Order) == 6 and count(app, OrderLine) == 8
    totals = dict(rows(app, Order.external_id, Order.total_minor))
    assert totals["A-1005"] == 40 * 230_000 + 100 * 40_000
    assert totals["A-1004"] == 63_038  # 1.5 x 420.25 THB, rounded half up to the satang
    assert totals["A-1003"] == 2_250  # 3 x 7.50 EUR in cents
    assert count(app, OrderStatusChange) == 6


def test_first_deal_is_the_local_date_of_the_earliest_order_unless_set(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import_both(app, ctx, tmp_path)
    first = dict(rows(app, Customer.external_id, Customer.first_deal_on))
    # A-1002 was placed 2023-11-02 05:00 in Ho Chi Minh City, which is still Nov 1 in UTC
    assert first["C-001"] == date(2023, 11, 2)
    assert first["C-005"] == date(2019, 5, 20)  # given in the customers file: kept
    assert first["C-006"] is None  # its only order was cancelled
    assert first["C-004"] is None  # no orders


def test_the_same_files_twice_change_nothing(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import_both(app, ctx, tmp_path)
    before = [
        count(app, m)
        for m in (
            Customer,
            Phone,
            Email,
            Consent,
            CustomerTag,
            Order,
            OrderLine,
            OrderStatusChange,
            Product,
            StaffUser,
        )
    ]
    again_c = import_customers(app.engine, ctx=ctx, path=data_file(tmp_path, "customers.csv"))
    again_o = import_orders(app.engine, ctx=ctx, path=data_file(tmp_path, "orders.csv"))
    assert again_c.as_json() == {
        "imported": 0,
        "updated": 0,
        "unchanged": 6,
        "rejected": 0,
        "errors": [],
    }
    assert again_o.as_json() == {
        "imported": 0,
        "updated": 0,
        "unchanged": 8,
        "rejected": 0,
        "errors": [],
    }
    after = [
        count(app, m)
        for m in (
            Customer,
            Phone,
            Email,
            Consent,
            CustomerTag,
            Order,
            OrderLine,
            OrderStatusChange,
            Product,
            StaffUser,
        )
    ]
    assert after == before


def test_a_changed_row_updates_its_record(app: App, ctx: BusinessContext, tmp_path: Path) -> None:
    _import_both(app, ctx, tmp_path)
    orders = data_file(tmp_path, "orders.csv")
    text = orders.read_text(encoding="utf-8")
    text = text.replace(
        "2024-01-15 10:30,delivered,VND,COF-1KG,Coffee beans 1 kg,Coffee,2,",
        "2024-01-15 10:30,returned,VND,COF-1KG,Coffee beans 1 kg,Coffee,3,",
    )
    text = text.replace(
        "2024-01-15 10:30,delivered,VND,CUP-01", "2024-01-15 10:30,returned,VND,CUP-01"
    )
    orders.write_text(text, encoding="utf-8")
    result = import_orders(app.engine, ctx=ctx, path=orders)
    assert (result.imported, result.updated, result.unchanged) == (0, 2, 6)
    order_id, status, total = rows(
        app, Order.id, Order.status, Order.total_minor, where=Order.external_id == "A-1001"
    )[0]
    assert (status, total) == ("returned", 3 * 250_000 + 45_000)
    assert count(app, OrderLine, OrderLine.order_id == order_id) == 2
    history = rows(
        app,
        OrderStatusChange.from_status,
        OrderStatusChange.to_status,
        where=OrderStatusChange.order_id == order_id,
        order_by=OrderStatusChange.id,
    )
    assert history == [(None, "delivered"), ("delivered", "returned")]

    customers = data_file(tmp_path, "customers.csv")
    customers.write_text(
        customers.read_text(encoding="utf-8").replace("0912 345 678", "0987 654 321"),
        encoding="utf-8",
    )
    again = import_customers(app.engine, ctx=ctx, path=customers)
    assert (again.updated, again.unchanged) == (1, 5)
    an = _customer_id(app, "C-001")
    assert rows(app, Phone.e164, where=Phone.customer_id == an) == [("+84987654321",)]


def test_bad_rows_are_rejected_and_the_rest_imported(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import_both(app, ctx, tmp_path)
    bad = data_file(tmp_path, "orders_bad.csv")
    result = import_orders(app.engine, ctx=ctx, path=bad)
    assert (result.imported, result.rejected) == (2, 7)
    assert sorted(
        r[0] for r in rows(app, Order.external_id, where=Order.external_id.like("B-%"))
    ) == ["B-1", "B-7"]
    # B-1's repeated line further down was rejected, so the order has exactly its first line
    b1 = rows(app, Order.id, where=Order.external_id == "B-1")[0][0]
    assert count(app, OrderLine, OrderLine.order_id == b1) == 1
    rejected = (tmp_path / "orders_bad.csv.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[0] == ORDER_HEADER + ",reason"
    assert [line.split(",")[0] for line in rejected[1:]] == [
        "B-2",
        "B-3",
        "B-4",
        "B-5",
        "B-6",
        "B-6",
        "B-1",
    ]


def test_a_repeated_order_id_is_caught_across_chunks(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    import_customers(app.engine, ctx=ctx, path=data_file(tmp_path, "customers.csv"))
    lines = [f"R-{i},C-001,2024-01-01,paid,VND,SKU-{i % 7},Thing,,1,1000" for i in range(10_050)]
    lines.append("R-5,C-001,2024-01-01,paid,VND,SKU-5,Thing,,1,1000")  # far from its first lines
    result = import_orders(
        app.engine, ctx=ctx, path=write_csv(tmp_path / "big.csv", ORDER_HEADER, lines)
    )
    assert (result.imported, result.rejected) == (10_050, 1)
    assert (
        result.errors[0].line == 10_052
        and "appears earlier in this file" in result.errors[0].reason
    )
    r5 = rows(app, Order.id, where=Order.external_id == "R-5")[0][0]
    assert count(app, OrderLine, OrderLine.order_id == r5) == 1


def test_a_dry_run_reports_but_writes_nothing(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    result = import_customers(
        app.engine, ctx=ctx, path=data_file(tmp_path, "customers.csv"), dry_run=True
    )
    assert (result.imported, result.rejected, result.dry_run) == (6, 0, True)
    assert [count(app, m) for m in (Customer, Phone, StaffUser, Department, ImportBatch)] == [0] * 5


def test_orders_of_a_merged_customer_go_to_the_survivor_and_erased_ones_are_refused(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    import_customers(app.engine, ctx=ctx, path=data_file(tmp_path, "customers.csv"))
    an, maria, somchai = (_customer_id(app, x) for x in ("C-001", "C-002", "C-003"))
    with app.uow() as uow:
        uow.session.execute(
            update(Customer).where(Customer.id == maria).values(status="merged", merged_into_id=an)
        )
        uow.session.execute(update(Customer).where(Customer.id == somchai).values(status="erased"))
    result = import_orders(app.engine, ctx=ctx, path=data_file(tmp_path, "orders.csv"))
    assert result.rejected == 1 and "was erased" in result.errors[0].reason
    assert rows(app, Order.customer_id, where=Order.external_id == "A-1003") == [(an,)]


def test_an_xlsx_workbook_imports_like_a_csv(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["external_id", "kind", "name", "phone", "birthday"])
    ws.append(["X-1", "person", "Trần Thị Bình", "0912 000 111", date(1992, 4, 5)])
    ws.append(["X-2", "company", "Hoa Sen Trading", 2838221234, None])
    path = tmp_path / "customers.xlsx"
    wb.save(path)
    result = import_customers(app.engine, ctx=ctx, path=path)
    assert (result.imported, result.rejected) == (2, 0)
    assert dict(rows(app, Customer.external_id, Customer.birthday)) == {
        "X-1": date(1992, 4, 5),
        "X-2": None,
    }
    assert sorted(r[0] for r in rows(app, Phone.e164)) == ["+842838221234", "+84912000111"]


def test_the_cdnow_sample_imports_with_a_date_format(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    import_customers(app.engine, ctx=ctx, path=data_file(tmp_path, "cdnow_customers.csv"))
    path = data_file(tmp_path, "cdnow_orders.csv")
    result = import_orders(app.engine, ctx=ctx, path=path, date_format="%Y%m%d")
    assert (result.imported, result.rejected) == (300, 0)
    expected = sum(
        round(float(line.rsplit(",", 1)[1]) * 100) for line in path.read_text().splitlines()[1:]
    )
    assert sum(r[0] for r in rows(app, Order.total_minor)) == expected
    assert rows(app, Customer.first_deal_on, where=Customer.external_id == "CDNOW-0001") == [
        (date(1997, 1, 1),)
    ]


def test_an_updated_order_moves_the_first_deal_both_ways(
    app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import_both(app, ctx, tmp_path)
    orders = data_file(tmp_path, "orders.csv")
    earliest = "A-1002,C-001,2023-11-02 05:00,delivered"
    text = orders.read_text(encoding="utf-8")
    orders.write_text(text.replace(earliest, "A-1002,C-001,2023-11-02 05:00,cancelled"), "utf-8")
    import_orders(app.engine, ctx=ctx, path=orders)
    first = rows(app, Customer.first_deal_on, where=Customer.external_id == "C-001")
    assert first == [(date(2024, 1, 15),)]  # the cancelled order no longer counts
    orders.write_text(text.replace(earliest, "A-1002,C-001,2022-06-30 23:30,delivered"), "utf-8")
    import_orders(app.engine, ctx=ctx, path=orders)
    first = rows(app, Customer.first_deal_on, where=Customer.external_id == "C-001")
    assert first == [(date(2022, 6, 30),)]
