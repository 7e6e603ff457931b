"""`regulars orders …` in a subprocess, as a shop's script or a cashier would run it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.orders import make_customer


def _ago(days: int) -> str:
    """A local wall-clock time N days ago, as a cashier would type it."""
    when = datetime.now(UTC) - timedelta(days=days)
    return when.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")


def test_add_show_and_list(db_url: str, app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx, "Nguyễn Văn An", external_id="C-1")
    order = run_json(
        "orders", "add", "C-1",
        "--line", "TEA-01:2:45000",
        "--line", "RICE:1.5:120000",
        "--store", "Quận 1", "--channel", "store", "--external-id", "PO-1",
        "--placed-at", "2024-03-02 00:30",
        db_url=db_url,
    )  # fmt: skip
    assert order["customer_id"] == cid
    assert (order["total"], order["currency"]) == ("270000", "VND")
    assert [
        (x["sku"], x["quantity"], x["unit_price"], x["line_total"]) for x in order["lines"]
    ] == [
        ("TEA-01", "2", "45000", "90000"),
        ("RICE", "1.5", "120000", "180000"),
    ]
    assert order["placed_at"] == "2024-03-01T17:30:00+00:00"  # typed in shop time, kept in UTC
    assert order["status"] == "placed" and order["history"][0]["to_status"] == "placed"

    shown = run_cli("orders", "show", "PO-1", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert "270,000 VND" in shown.stdout and "Nguyễn Văn An" in shown.stdout
    assert "2024-03-02 00:30" in shown.stdout  # shown in shop time again

    run_json("orders", "add", str(cid), "--line", "CUP:1:9000", "--currency", "VND", db_url=db_url)
    listed = run_json("orders", "list", "--customer", "C-1", db_url=db_url)
    assert [o["total"] for o in listed] == ["9000", "270000"]  # newest first
    assert run_json("orders", "list", "--status", "paid", db_url=db_url) == []


def test_status_changes_and_an_impossible_one(db_url: str, app: App, ctx: BusinessContext) -> None:
    make_customer(app, ctx, external_id="C-1")
    run_json(
        "orders", "add", "C-1", "--line", "TEA:1:45000", "--external-id", "PO-9", db_url=db_url
    )
    run_json("orders", "status", "PO-9", "paid", "--note", "cash", db_url=db_url)
    moved = run_json(
        "orders", "status", "PO-9", "shipped", "--location", "Hà Nội hub", db_url=db_url
    )
    assert moved["status"] == "shipped" and moved["location"] == "Hà Nội hub"
    assert [(h["to_status"], h["note"]) for h in moved["history"]] == [
        ("placed", None),
        ("paid", "cash"),
        ("shipped", None),
    ]

    refused = run_cli("orders", "status", "PO-9", "placed", db_url=db_url)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert "from shipped to placed" in lines[0]
    for allowed in ("delivered", "returned", "refunded"):
        assert allowed in lines[0]
    after = run_json("orders", "show", "PO-9", db_url=db_url)
    assert after["status"] == "shipped" and len(after["history"]) == 3


def test_mistakes_get_one_line_and_an_exit_code(
    db_url: str, app: App, ctx: BusinessContext
) -> None:
    make_customer(app, ctx, external_id="C-1")
    cases = [
        (("orders", "add", "C-404", "--line", "TEA:1:45000"), 4, "C-404"),
        (("orders", "add", "C-1", "--line", "TEA:1:45000.5"), 1, "more decimals than VND"),
        (("orders", "add", "C-1", "--line", "TEA-1-45000"), 1, "SKU:QTY:PRICE"),
        (("orders", "add", "C-1", "--line", "TEA:0:45000"), 1, "positive"),
        (("orders", "add", "C-1", "--line", "TEA:1:1", "--status", "sent"), 1, "unknown status"),
        (("orders", "show", "PO-404"), 4, "PO-404"),
        (("orders", "status", "PO-404", "paid"), 4, "PO-404"),
    ]
    for args, code, words in cases:
        res = run_cli(*args, db_url=db_url)
        assert res.returncode == code, (args, res.stderr)
        assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert run_json("orders", "list", db_url=db_url) == []


def test_unpaid_and_stuck(db_url: str, app: App, ctx: BusinessContext) -> None:
    make_customer(app, ctx, "Trần Thị Bình", external_id="C-1")
    for ext, days in [("OLD", 10), ("NEW", 1)]:
        run_json(
            "orders", "add", "C-1", "--line", "TEA:1:45000", "--external-id", ext,
            "--placed-at", _ago(days), db_url=db_url,
        )  # fmt: skip
    run_json(
        "orders", "add", "C-1", "--line", "TEA:1:45000", "--external-id", "PAID",
        "--placed-at", _ago(20), "--status", "paid", db_url=db_url,
    )  # fmt: skip

    unpaid = run_json("orders", "unpaid", "--days", "3", db_url=db_url)
    assert [(o["external_id"], o["days_unpaid"], o["total"], o["currency"]) for o in unpaid] == [
        ("OLD", 10, "45000", "VND")
    ]
    assert run_json("orders", "unpaid", "--days", "30", db_url=db_url) == []

    stuck = run_json("orders", "stuck", "--days", "7", db_url=db_url)
    assert [(o["external_id"], o["status"], o["days_stuck"]) for o in stuck] == [
        ("PAID", "paid", 20),
        ("OLD", "placed", 10),
    ]
    table = run_cli("orders", "stuck", db_url=db_url)
    assert table.returncode == 0 and "Trần Thị Bình" in table.stdout and "PAID" in table.stdout
