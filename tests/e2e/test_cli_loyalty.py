"""`regulars loyalty …` in a subprocess, as a till's script would run it: the contract's keys,
decimal strings, and exit codes 0 / 1 refused / 2 bad input, with nothing written on refusal."""

from __future__ import annotations

import json
import subprocess

from regulars.bootstrap import App
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.loyalty import cashback_spec
from tests.fixtures.orders import make_customer


def _error(res: subprocess.CompletedProcess[str]) -> dict[str, str]:
    error: dict[str, str] = json.loads(res.stdout)["error"]
    return error


def test_the_documents_example_on_the_command_line(db_url: str, ctx: BusinessContext) -> None:
    program = run_json(
        "loyalty", "program", "create", "--code", "C", "--currency", "EUR", "--cashback", "5",
        "--tiers", "basic:0:5,gold:20000:10,vip:100000:20", db_url=db_url,
    )  # fmt: skip
    assert (program["code"], program["cashback_percent"]) == ("C", "5")
    card = run_json("loyalty", "card", "issue", "--program", "C", "--bearer", db_url=db_url)
    number = card["number"]
    got = run_json(
        "loyalty", "accrue", "--card", number, "--order", "A-1", "--amount", "5000", "--pending",
        "--idempotency-key", "k1", db_url=db_url,
    )  # fmt: skip
    assert (got["earned"], got["pending"]) == ("250.00", True)
    bal = run_json("loyalty", "balance", "--card", number, db_url=db_url)
    assert (bal["available"], bal["pending"], bal["tier"]) == ("0.00", "250.00", "basic")

    early = run_cli(
        "loyalty", "redeem", "--card", number, "--amount", "100", "--order", "A-2",
        "--idempotency-key", "k2", "--json", db_url=db_url,
    )  # fmt: skip
    assert early.returncode == 1 and _error(early)["code"] == "insufficient_balance"

    run_json("loyalty", "paid", "--order", "A-1", db_url=db_url)
    spent = run_json(
        "loyalty", "redeem", "--card", number, "--amount", "100", "--order", "A-2",
        "--idempotency-key", "k2", db_url=db_url,
    )  # fmt: skip
    assert spent["available"] == "150.00"
    clash = run_cli(
        "loyalty", "redeem", "--card", number, "--amount", "120", "--order", "A-2",
        "--idempotency-key", "k2", db_url=db_url,
    )  # fmt: skip
    assert clash.returncode == 1 and "idempotency_conflict" in clash.stderr
    back = run_json(
        "loyalty", "refund", "--order", "A-1", "--amount", "2500", "--idempotency-key", "r1",
        db_url=db_url,
    )  # fmt: skip
    assert back["reversed"] == "125.00"
    assert run_json("loyalty", "verify", db_url=db_url)["ok"] is True
    settled = run_json("loyalty", "settle", "--period", "2026-01", db_url=db_url)
    assert settled[0]["positions"] == {"default": "0.00"}  # the currency's precision


def test_bad_input_exits_2_and_writes_nothing(db_url: str, app: App, ctx: BusinessContext) -> None:
    make_customer(app, ctx, external_id="C-1")
    svc.create_program(app.uow(), ctx=ctx, spec=cashback_spec())
    number = run_json(
        "loyalty", "card", "issue", "--program", "CLUB", "--customer", "C-1", db_url=db_url
    )["number"]
    bad = [
        ("accrue", "--card", number, "--order", "X", "--amount", "-5", "--idempotency-key", "b1"),
        ("accrue", "--card", number, "--order", "X", "--amount", "5,0", "--idempotency-key", "b2"),
        ("accrue", "--card", number, "--order", "X", "--amount", "50", "--currency", "USD",
         "--idempotency-key", "b3"),
        ("redeem", "--card", "4111 1111 1111 1112", "--amount", "1", "--order", "X",
         "--idempotency-key", "b4"),
        ("redeem", "--card", "0000990000000010", "--amount", "1", "--order", "X",
         "--idempotency-key", "b5"),
        ("settle", "--period", "2026-13"),
    ]  # fmt: skip
    codes = []
    for args in bad:
        res = run_cli("loyalty", *args, "--json", db_url=db_url)
        codes.append((res.returncode, _error(res)["code"]))
    assert codes == [
        (2, "invalid_amount"),
        (2, "invalid_amount"),
        (2, "currency_mismatch"),
        (2, "invalid_card_number"),  # a typo: the check digit catches it
        (2, "unknown_card"),  # a well-formed number of no card here
        (2, "invalid_period"),
    ]
    bal = run_json("loyalty", "balance", "--card", number, db_url=db_url)
    assert (bal["available"], bal["pending"]) == ("0.00", "0.00")
    report = run_json("loyalty", "verify", db_url=db_url)
    assert report["entries"] == 0


def test_cards_are_blocked_replaced_and_found(db_url: str, app: App, ctx: BusinessContext) -> None:
    run_json("loyalty", "program", "create", "--code", "C", "--currency", "EUR", db_url=db_url)
    number = run_json("loyalty", "card", "issue", "--program", "C", "--bearer", db_url=db_url)[
        "number"
    ]
    assert run_json("loyalty", "card", "block", "--card", number, db_url=db_url)["status"] == (
        "blocked"
    )
    blocked = run_cli(
        "loyalty", "accrue", "--card", number, "--order", "Z", "--amount", "10",
        "--idempotency-key", "z", db_url=db_url,
    )  # fmt: skip
    assert blocked.returncode == 1 and "card_blocked" in blocked.stderr
    new = run_json("loyalty", "card", "replace", "--card", number, db_url=db_url)["new"]
    found = run_json("loyalty", "card", "find", "--card", number, db_url=db_url)
    assert (found[0]["status"], found[0]["replaced_by"]) == ("replaced", new)
    unknown = run_cli("loyalty", "balance", "--card", "0000990000000002", db_url=db_url)
    assert unknown.returncode == 2 and "unknown_card" in unknown.stderr
    assert run_json("loyalty", "expiring", "--days", "30", db_url=db_url) == []
    assert run_json("loyalty", "expire", db_url=db_url)["cards"] == []


def test_accrue_and_redeem_by_the_customer_instead_of_the_card(
    db_url: str, app: App, ctx: BusinessContext
) -> None:
    svc.create_program(app.uow(), ctx=ctx, spec=cashback_spec("C"))
    person = make_customer(app, ctx, external_id="C-7")
    number = svc.issue_card(app.uow(), ctx=ctx, program="C", customer=person).number
    got = run_json(
        "loyalty", "accrue", "--customer", "C-7", "--order", "A-1", "--amount", "100",
        "--idempotency-key", "k1", db_url=db_url,
    )  # fmt: skip
    assert (got["card"], got["available"]) == (number, "5.00")
    spent = run_json(
        "loyalty", "redeem", "--customer", "C-7", "--amount", "5", "--order", "A-2",
        "--idempotency-key", "k2", db_url=db_url,
    )  # fmt: skip
    assert (spent["card"], spent["available"]) == (number, "0.00")
    neither = run_cli(
        "loyalty", "redeem", "--amount", "1", "--order", "A-3", "--idempotency-key", "k3",
        "--json", db_url=db_url,
    )  # fmt: skip
    assert neither.returncode == 2 and _error(neither)["code"] == "invalid"
