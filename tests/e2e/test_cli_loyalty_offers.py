"""`regulars loyalty voucher|rebate|referral|review-tiers` in a subprocess: JSON keys, decimal
strings, and exit codes 0 / 1 refused / 2 bad input / 4 not found."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest

from regulars.bootstrap import App
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.services.orders import record_order
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.loyalty_offers import card_of, person

pytestmark = pytest.mark.slow  # about 20 CLI subprocesses per test


def _code(res: subprocess.CompletedProcess[str]) -> str:
    return str(json.loads(res.stdout)["error"]["code"])


def test_vouchers_on_the_command_line(
    db_url: str, app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "A")
    made = run_json(
        "loyalty", "voucher", "create", "--program", "CLUB", "--kind", "amount", "--value", "10",
        "--count", "2", "--min-spend", "30", db_url=db_url,
    )  # fmt: skip
    assert len(made) == 2 and made[0]["value"] == "10" and made[0]["max_uses"] == 1
    code = made[0]["code"]
    used = run_json(
        "loyalty", "voucher", "redeem", "--code", code, "--order", "O-1", "--total", "50",
        "--customer", "A", "--idempotency-key", "k1", db_url=db_url,
    )  # fmt: skip
    assert (used["discount"], used["currency"], used["uses_left"]) == ("10", "EUR", 0)
    twice = run_cli(
        "loyalty", "voucher", "redeem", "--code", code, "--order", "O-2", "--total", "50",
        "--customer", "A", "--json", db_url=db_url,
    )  # fmt: skip
    assert twice.returncode == 1 and _code(twice) == "voucher_already_used"
    typo = run_cli(
        "loyalty", "voucher", "redeem", "--code", code[:-1] + ("2" if code[-1] != "2" else "3"),
        "--order", "O-3", "--total", "50", "--customer", "A", "--json", db_url=db_url,
    )  # fmt: skip
    assert typo.returncode == 2 and _code(typo) == "invalid_voucher_code"
    bad = run_cli(
        "loyalty", "voucher", "create", "--program", "CLUB", "--value", "-5", "--json",
        db_url=db_url,
    )  # fmt: skip
    assert bad.returncode == 2 and _code(bad) == "invalid_voucher"
    assert run_json("loyalty", "voucher", "show", "--code", code, db_url=db_url)["uses"] == 1


def test_rebates_referrals_and_reviews_on_the_command_line(
    db_url: str, app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "D")
    card = card_of(app, ctx, "D")
    scheme = run_json(
        "loyalty", "rebate", "scheme", "--program", "CLUB", "--distributor", "D",
        "--brackets", "0:0,1000:3", db_url=db_url,
    )  # fmt: skip
    assert scheme["brackets"] == "0:0,1000:3"
    record_order(
        app.uow(), ctx=ctx, customer_id="D", lines=[("SKU", "1", "2000")], currency="EUR",
        placed_at=datetime(2026, 9, 10, tzinfo=UTC), status="delivered",
    )  # fmt: skip
    (st,) = run_json("loyalty", "rebate", "run", "--period", "2026-09", db_url=db_url)
    assert (st["rebate"], st["card"], st["status"]) == ("60.00", card, "credited")
    (again,) = run_json("loyalty", "rebate", "run", "--period", "2026-09", db_url=db_url)
    assert again["status"] == "replayed"
    shown = run_json(
        "loyalty", "rebate", "statement", "--distributor", "D", "--period", "2026-09",
        db_url=db_url,
    )  # fmt: skip
    assert shown["lines"][0]["amount"] == "60.00"
    bad = run_cli("loyalty", "rebate", "run", "--period", "2026-13", "--json", db_url=db_url)
    assert bad.returncode == 2 and _code(bad) == "invalid_period"
    missing = run_cli(
        "loyalty", "rebate", "statement", "--distributor", "D", "--period", "2026-08", "--json",
        db_url=db_url,
    )  # fmt: skip
    assert missing.returncode == 4
    assert run_json("loyalty", "balance", "--card", card, db_url=db_url)["available"] == "65.00"

    person(app, ctx, "N")
    added = run_json(
        "loyalty", "referral", "add", "--program", "CLUB", "--referrer", "D", "--referee", "N",
        db_url=db_url,
    )  # fmt: skip
    assert (added["referrer"], added["referee"], added["rewarded_at"]) == ("D", "N", None)
    self_ref = run_cli(
        "loyalty", "referral", "add", "--program", "CLUB", "--referrer", "N", "--referee", "N",
        "--json", db_url=db_url,
    )  # fmt: skip
    assert self_ref.returncode == 2 and _code(self_ref) == "self_referral"
    review = run_json("loyalty", "review-tiers", "--date", "2026-12-01", db_url=db_url)
    assert review["reviewed"] >= 1 and review["changes"] == []
    bad_date = run_cli("loyalty", "review-tiers", "--date", "tomorrow", db_url=db_url)
    assert bad_date.returncode == 2
    assert run_json("loyalty", "verify", db_url=db_url)["ok"] is True
