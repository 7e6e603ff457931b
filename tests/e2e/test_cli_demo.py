"""`regulars demo` in a subprocess, as a user (or `make demo`) runs it."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from regulars.bootstrap import make_app
from regulars.services.businesses import ensure_business
from regulars.store.tables import Customer
from tests.e2e.cli import run_cli, run_json

SMALL = ("--customers", "300", "--today", "2025-06-10")


def _digest(db: Path) -> str:
    """Every data row of every table, in a stable order: equal digests mean equal databases."""
    con = sqlite3.connect(db)
    try:
        h = hashlib.sha256()
        tables = [
            r[0]
            for r in con.execute(
                "select name from sqlite_master where type = 'table'"
                " and name not like 'sqlite_%' order by name"
            )
        ]
        for t in tables:
            h.update(t.encode())
            width = len(con.execute(f'pragma table_info("{t}")').fetchall())
            order = ", ".join(str(i) for i in range(1, width + 1))
            for row in con.execute(f'select * from "{t}" order by {order}'):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        con.close()


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_same_seed_same_database_other_seed_other_database(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    for db, seed in ((a, "5"), (b, "5"), (c, "6")):
        res = run_cli("demo", *SMALL, "--seed", seed, "--no-serve", db_url=_url(db))
        assert res.returncode == 0, res.stderr
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_json_says_what_was_built(tmp_path: Path) -> None:
    out = run_json("demo", *SMALL, db_url=_url(tmp_path / "demo.db"))
    assert out["customers"] == 300 == out["people"] + out["companies"]
    assert out["currency"] == "VND" and out["revenue_minor"] > 0
    assert 0.6 <= out["top20_share"] <= 0.9
    assert len(out["key_accounts"]) == 1 and out["key_accounts"][0]["share"] > 0.1
    assert out["lapsed"] > 0 and out["birthdays_this_week"] > 0
    assert out["unpaid"] > 0 and out["stuck"] > 0
    assert out["first_order"] < out["last_order"] < "2025-06-10"
    assert any("regulars orders unpaid" in s for s in out["next_steps"])
    expected = {"orders", "order_lines", "products", "managers", "contacts", "today", "seed"}
    assert expected <= set(out)


def test_text_summary_and_what_to_try_next(tmp_path: Path) -> None:
    res = run_cli("demo", "--customers", "200", db_url=_url(tmp_path / "demo.db"))
    assert res.returncode == 0, res.stderr
    assert "200 (" in res.stdout and "VND" in res.stdout
    assert "key account" in res.stdout and "Try next:" in res.stdout
    assert "regulars customers list" in res.stdout


def test_a_database_with_real_data_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    app = make_app(_url(db))
    app.ready_schema()
    ctx = ensure_business(app.uow(), slug="default")
    with app.uow() as uow:
        now = datetime.now(UTC)
        uow.session.add(
            Customer(
                tenant_id=ctx.tenant_id,
                kind="person",
                display_name="Lan Nguyen",
                name_key="lan nguyen",
                created_at=now,
                updated_at=now,
            )
        )
    app.close()
    before = _digest(db)
    res = run_cli("demo", *SMALL, db_url=_url(db))
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "real" in lines[0]
    assert _digest(db) == before


def test_an_earlier_demo_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = run_json("demo", *SMALL, "--seed", "1", db_url=_url(db))
    again = run_json("demo", "--customers", "150", "--today", "2025-06-10", db_url=_url(db))
    assert (first["customers"], again["customers"]) == (300, 150)
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from customers").fetchone()[0] == 150
    assert con.execute("select count(*), sum(is_demo) from businesses").fetchone() == (1, 1)
    con.close()


def test_a_bad_date_is_a_one_line_error(tmp_path: Path) -> None:
    res = run_cli("demo", "--today", "10/06/2025", db_url=_url(tmp_path / "x.db"))
    assert res.returncode == 1
    assert res.stderr.strip().startswith("error:") and "YYYY-MM-DD" in res.stderr
    assert res.stdout == ""


def test_too_few_customers_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    res = run_cli("demo", "--customers", "10", db_url=_url(db))
    assert res.returncode == 2
    assert "--customers" in res.stderr
    assert not db.exists()
