"""`regulars import customers|orders FILE` in a subprocess, as a user's script runs it.

Exit codes: 0 every row went in, 3 some rows rejected (FILE.rejected.csv), 2 unusable file.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.store.tables import Base, Business, Customer, ImportBatch, Order, OrderLine, Phone
from tests.e2e.cli import run_cli
from tests.fixtures.imports import count, data_file, rows


def _import(kind: str, path: Path, db_url: str, *extra: str) -> tuple[int, dict]:
    res = run_cli("import", kind, str(path), "--json", *extra, db_url=db_url)
    assert res.returncode in (0, 3), res.stderr
    return res.returncode, json.loads(res.stdout)


def _errors(report: dict) -> list[tuple[int, str | None, str]]:
    return [(e["line"], e["column"], e["reason"]) for e in report["errors"]]


def test_good_files_import_with_exit_0(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    code, report = _import("customers", data_file(tmp_path, "customers.csv"), db_url)
    assert (code, report) == (
        0,
        {"imported": 6, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []},
    )
    code, report = _import("orders", data_file(tmp_path, "orders.csv"), db_url)
    assert (code, report["imported"], report["rejected"]) == (0, 8, 0)
    assert count(app, Order) == 6 and count(app, OrderLine) == 8
    assert not (tmp_path / "orders.csv.rejected.csv").exists()


def test_reimport_is_unchanged_and_a_changed_row_is_updated(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    customers = data_file(tmp_path, "customers.csv")
    _import("customers", customers, db_url)
    code, report = _import("customers", customers, db_url)
    assert (code, report["unchanged"], report["imported"], report["updated"]) == (0, 6, 0, 0)
    customers.write_text(
        customers.read_text(encoding="utf-8").replace("+66 81 234 5678", "+66 81 765 4321"),
        encoding="utf-8",
    )
    code, report = _import("customers", customers, db_url)
    assert (code, report["updated"], report["unchanged"]) == (0, 1, 5)
    somchai = rows(app, Customer.id, where=Customer.external_id == "C-003")[0][0]
    assert rows(app, Phone.e164, where=Phone.customer_id == somchai) == [("+66817654321",)]


def test_bad_order_rows_exit_3_with_reasons_and_the_good_rows_go_in(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import("customers", data_file(tmp_path, "customers.csv"), db_url)
    bad = data_file(tmp_path, "orders_bad.csv")
    code, report = _import("orders", bad, db_url)
    assert code == 3
    assert (report["imported"], report["rejected"]) == (2, 7)
    errors = _errors(report)
    assert [(line, column) for line, column, _ in errors] == [
        (3, "placed_at"),  # 2024-04-31
        (4, "customer_external_id"),  # C-999
        (5, "quantity"),  # -2
        (6, "status"),  # teleported
        (7, "external_id"),  # B-6 is rejected whole because of line 8
        (8, "currency"),  # VND on line 7, USD here
        (10, "external_id"),  # B-1 again, after other orders
    ]
    reasons = {(line, column): reason for line, column, reason in errors}
    assert "'2024-04-31 10:00' is not an ISO 8601 date" in reasons[(3, "placed_at")]
    assert "no customer with external_id 'C-999'" in reasons[(4, "customer_external_id")]
    assert "must be more than 0" in reasons[(5, "quantity")]
    assert "unknown status 'teleported'" in reasons[(6, "status")]
    assert "has 'VND' on line 7 but 'USD' here" in reasons[(8, "currency")]
    assert "rejected whole because of line 8" in reasons[(7, "external_id")]
    assert "appears earlier in this file" in reasons[(10, "external_id")]
    with (tmp_path / "orders_bad.csv.rejected.csv").open(encoding="utf-8", newline="") as f:
        rejected = list(csv.DictReader(f))
    assert [r["external_id"] for r in rejected] == ["B-2", "B-3", "B-4", "B-5", "B-6", "B-6", "B-1"]
    assert rejected[2]["quantity"] == "-2" and "must be more than 0" in rejected[2]["reason"]
    assert sorted(r[0] for r in rows(app, Order.external_id)) == ["B-1", "B-7"]


def test_bad_customer_rows_exit_3_with_reasons(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    code, report = _import("customers", data_file(tmp_path, "customers_bad.csv"), db_url)
    assert code == 3
    assert (report["imported"], report["rejected"]) == (2, 5)
    errors = {line: (column, reason) for line, column, reason in _errors(report)}
    assert errors[3][0] == "phone" and "invalid phone '12345'" in errors[3][1]
    assert errors[4][0] == "email" and "invalid e-mail" in errors[4][1]
    assert errors[5][0] == "kind" and "'alien'" in errors[5][1]
    assert errors[6][0] == "birthday" and "'31/12/1990'" in errors[6][1]
    assert errors[7][0] == "external_id" and "appears earlier in this file (line 2)" in errors[7][1]
    assert sorted(r[0] for r in rows(app, Customer.external_id)) == ["C-101", "C-106"]
    rejected = (tmp_path / "customers_bad.csv.rejected.csv").read_text(encoding="utf-8")
    assert rejected.splitlines()[0].endswith(",manager,reason")
    assert len(rejected.splitlines()) == 6


HEADER = "external_id,customer_external_id,placed_at,sku,product_name,quantity,unit_price\n"
UNUSABLE = {
    "empty.csv": b"",
    "header-only.csv": HEADER.encode(),
    "pipes.csv": (HEADER + "O1,C-001,2024-01-01,S,Tea,1,2\n").replace(",", "|").encode(),
    "latin1.csv": (HEADER + "O1,C-001,2024-01-01,S,Café crème,1,2\n").encode("latin-1"),
}


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_unusable_files_exit_2_with_one_line_and_write_nothing(
    db_url: str, app: App, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(UNUSABLE[name])
    res = run_cli("import", "orders", str(path), db_url=db_url)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0]
    assert res.stdout == ""
    assert [count(app, m) for m in (Business, ImportBatch, Order)] == [0, 0, 0]
    assert not (tmp_path / f"{name}.rejected.csv").exists()


def test_dry_run_validates_and_writes_nothing(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    code, report = _import(
        "customers", data_file(tmp_path, "customers_bad.csv"), db_url, "--dry-run"
    )
    assert (code, report["imported"], report["rejected"]) == (3, 2, 5)
    assert [count(app, t) for t in Base.metadata.sorted_tables if t.name != "businesses"] == [0] * (
        len(Base.metadata.sorted_tables) - 1
    )


def test_an_xlsx_file_and_a_date_format(
    db_url: str, app: App, ctx: BusinessContext, tmp_path: Path
) -> None:
    _import("customers", data_file(tmp_path, "customers.csv"), db_url)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "external_id",
            "customer_external_id",
            "placed_at",
            "status",
            "sku",
            "quantity",
            "unit_price",
        ]
    )
    ws.append(["W-1", "C-004", datetime(2024, 5, 1, 12, 0), "paid", "SAUNA-KIT", 1, 1_500_000])
    ws.append(["W-1", "C-004", datetime(2024, 5, 1, 12, 0), "paid", "TOWEL", 2, 120_000])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    code, report = _import("orders", path, db_url)
    assert (code, report["imported"]) == (0, 2)
    assert rows(app, Order.total_minor, where=Order.external_id == "W-1") == [(1_740_000,)]

    _import("customers", data_file(tmp_path, "cdnow_customers.csv"), db_url)
    cdnow = data_file(tmp_path, "cdnow_orders.csv")
    code, report = _import("orders", cdnow, db_url, "--date-format", "%Y%m%d")
    assert (code, report["imported"], report["rejected"]) == (0, 300, 0)


def test_a_human_summary_without_json(db_url: str, ctx: BusinessContext, tmp_path: Path) -> None:
    res = run_cli(
        "import", "customers", str(data_file(tmp_path, "customers_bad.csv")), db_url=db_url
    )
    assert res.returncode == 3
    assert "7 rows: 2 imported, 0 updated, 0 unchanged, 5 rejected" in res.stdout
    assert "line 3, phone: invalid phone '12345'" in res.stdout
    assert "customers_bad.csv.rejected.csv" in res.stdout
