"""`regulars customers export|erase|erase-inactive` in a subprocess, as an owner or cron runs it."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.store.tables import Customer
from tests.e2e.cli import run_cli, run_json


def _customer_with_history(db_url: str) -> tuple[int, str]:
    cid = run_json(
        "customers", "add", "Quaxworth Zebulon", "--phone", "0912 345 678",
        "--email", "zeb@example.org", "--external-id", "ZQ-1",
        "--address", "12 Lotus Lane, Hanoi, VN", db_url=db_url,
    )["id"]  # fmt: skip
    assert run_cli("customers", "note", str(cid), "likes jade", db_url=db_url).returncode == 0
    order = run_json(
        "orders", "add", str(cid), "--line", "TEA:2:45000", db_url=db_url
    )["id"]  # fmt: skip
    run_json("orders", "status", str(order), "paid", "--location", "Zebulon's porch", db_url=db_url)
    run_json(
        "loyalty", "program", "create", "--code", "CLUB", "--currency", "VND",
        "--cashback", "5", db_url=db_url,
    )  # fmt: skip
    card = run_json(
        "loyalty", "card", "issue", "--program", "CLUB", "--customer", str(cid), db_url=db_url
    )["number"]
    run_json(
        "loyalty", "accrue", "--card", card, "--order", "O-1", "--amount", "90000",
        "--idempotency-key", "k1", db_url=db_url,
    )  # fmt: skip
    run_json(
        "loyalty", "redeem", "--card", card, "--order", "O-2", "--amount", "1000",
        "--idempotency-key", "k2", db_url=db_url,
    )  # fmt: skip
    return cid, card


def test_export_to_stdout_and_to_a_private_file(
    db_url: str, ctx: BusinessContext, tmp_path: Path
) -> None:
    cid, card = _customer_with_history(db_url)
    res = run_cli("customers", "export", "ZQ-1", db_url=db_url)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["customer"]["id"] == cid
    assert data["customer"]["phones"][0]["number"] == "+84912345678"
    assert [n["body"] for n in data["notes"]] == ["likes jade"]
    assert data["orders"][0]["total"] == {"amount": "90000", "currency": "VND"}
    assert data["loyalty"]["cards"][0]["number"] == card
    assert data["loyalty"]["cards"][0]["balance"]["available"] == {
        "amount": "3500",
        "unit": "VND",
    }

    out = tmp_path / "export.json"
    res = run_cli("customers", "export", str(cid), "--out", str(out), db_url=db_url)
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["customer"]["id"] == cid
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    missing = run_cli("customers", "export", "404", db_url=db_url)
    assert missing.returncode == 4 and missing.stderr.startswith("error: no customer")


def test_erase_asks_then_erases_once_and_keeps_the_books(db_url: str, ctx: BusinessContext) -> None:
    cid, card = _customer_with_history(db_url)

    refused = run_cli("customers", "erase", str(cid), input="n\n", db_url=db_url)
    assert refused.returncode == 1
    shown = run_json("customers", "show", str(cid), db_url=db_url)
    assert shown["display_name"] == "Quaxworth Zebulon"

    res = run_json(
        "customers", "erase", str(cid), "--yes", "--reason", "request 2026-12-01", db_url=db_url
    )
    assert res["already_erased"] is False and res["cards_blocked"] == 1
    assert res["removed"]["phones"] == 1 and res["removed"]["notes"] == 1
    assert res["kept"] == {"orders": 1, "cards": 1, "ledger_entries": 2}

    again = run_cli("customers", "erase", str(cid), "--yes", db_url=db_url)
    assert again.returncode == 0 and "already erased" in again.stdout

    shown = run_json("customers", "show", str(cid), db_url=db_url)
    assert (shown["display_name"], shown["phones"], shown["notes"]) == (
        f"Erased customer #{cid}",
        [],
        [],
    )
    assert run_json("customers", "search", "Quaxworth", db_url=db_url) == []
    assert run_cli("customers", "show", "ZQ-1", db_url=db_url).returncode == 4
    exported = run_cli("customers", "export", str(cid), db_url=db_url).stdout
    assert "Zebulon" not in exported and "Quaxworth" not in exported
    assert "Lotus" not in exported and "912345678" not in exported
    assert run_json("loyalty", "verify", db_url=db_url)["ok"] is True
    balance = run_json("loyalty", "balance", "--card", card, db_url=db_url)
    assert (balance["available"], balance["status"]) == ("3500", "blocked")
    assert run_json("orders", "list", db_url=db_url)[0]["total"] == "90000"

    assert run_cli("customers", "erase", "404", "--yes", db_url=db_url).returncode == 4


def test_erase_inactive_uses_the_setting_and_dry_run_erases_nothing(
    db_url: str, app: App, ctx: BusinessContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = run_json("customers", "add", "Old Quiet", "--phone", "0903 000 001", db_url=db_url)
    new = run_json("customers", "add", "New Face", db_url=db_url)
    long_ago = datetime.now(UTC) - timedelta(days=4 * 366)
    with app.uow() as w:
        w.session.execute(
            update(Customer)
            .where(Customer.id == old["id"])
            .values(created_at=long_ago, updated_at=long_ago)
        )

    unset = run_cli("customers", "erase-inactive", db_url=db_url)
    assert unset.returncode == 1 and "REGULARS_RETENTION_YEARS" in unset.stderr

    dry = run_json("customers", "erase-inactive", "--years", "3", "--dry-run", db_url=db_url)
    assert dry["dry_run"] is True
    assert [(c["customer_id"], c["erased"]) for c in dry["customers"]] == [(old["id"], False)]
    assert run_json("customers", "show", str(old["id"]), db_url=db_url)["status"] == "active"

    monkeypatch.setenv("REGULARS_RETENTION_YEARS", "5")
    assert run_json("customers", "erase-inactive", db_url=db_url)["customers"] == []
    monkeypatch.setenv("REGULARS_RETENTION_YEARS", "3")
    done = run_json("customers", "erase-inactive", db_url=db_url)
    assert (done["years"], [c["customer_id"] for c in done["customers"]]) == (3, [old["id"]])
    assert run_json("customers", "show", str(old["id"]), db_url=db_url)["status"] == "erased"
    assert run_json("customers", "show", str(new["id"]), db_url=db_url)["status"] == "active"
    text = run_cli("customers", "erase-inactive", "--dry-run", db_url=db_url)
    assert text.returncode == 0 and "Would erase 0 customer(s)" in text.stdout
