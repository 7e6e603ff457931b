"""`regulars campaign …` and `regulars analytics profitability|bonus-hunters|payoff` in a
subprocess, as a marketer's script would run them."""

from __future__ import annotations

from pathlib import Path

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.orders import make_customer
from tests.fixtures.value import build_campaign_shop, build_profit_shop


def test_create_assign_show(db_url: str, app: App, ctx: BusinessContext, tmp_path: Path) -> None:
    for i in range(10):
        make_customer(app, ctx, f"Khách {i}", external_id=f"K-{i}")
    made = run_json(
        "campaign", "create", "TET", "--name", "Tết sale", "--kind", "discount",
        "--promotes", "voucher:TET", "--control-share", "0.3", "--seed", "11",
        "--cost-per-contact", "2000", "--starts-on", "2026-01-20",
        db_url=db_url,
    )  # fmt: skip
    assert made["code"] == "TET" and made["kind"] == "discount"
    assert (made["control_share"], made["seed"], made["cost_per_contact"]) == ("0.3", 11, "2000")
    assert (made["currency"], made["starts_on"], made["treatment"]) == ("VND", "2026-01-20", 0)
    audience = tmp_path / "audience.txt"
    audience.write_text("# the first five\n" + "\n".join(f"K-{i}" for i in range(5)) + "\n")
    sent = run_json(
        "campaign", "assign", "TET", "K-5", "K-6", "K-7", "K-8", "K-9", "--file", str(audience),
        db_url=db_url,
    )  # fmt: skip
    assert (sent["treatment"], sent["control"], sent["already_assigned"]) == (7, 3, 0)
    assert sent["seed"] == 11 and sent["sent_at"].endswith("+00:00")
    again = run_json("campaign", "assign", "TET", "--all", db_url=db_url)
    assert (again["treatment"], again["control"], again["already_assigned"]) == (0, 0, 10)
    table = run_cli("campaign", "show", "TET", db_url=db_url)
    assert table.returncode == 0
    shown = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in table.stdout.splitlines()
        if line.count("│") == 3
    }
    assert shown["sent to (treatment)"] == "7" and shown["held back (control)"] == "3"
    assert shown["promotes"] == "voucher:TET"


def test_campaign_errors(db_url: str, app: App, ctx: BusinessContext) -> None:
    assert run_cli("campaign", "create", "X", db_url=db_url).returncode == 0
    twice = run_cli("campaign", "create", "X", db_url=db_url)
    assert twice.returncode == 1 and "exists already" in twice.stderr
    missing = run_cli("campaign", "show", "NOPE", "--json", db_url=db_url)
    assert missing.returncode == 4 and "no campaign" in missing.stderr
    nobody = run_cli("campaign", "assign", "X", db_url=db_url)
    assert nobody.returncode == 1 and "--all" in nobody.stderr


def test_profitability_and_bonus_hunters_json(db_url: str, app: App, ctx: BusinessContext) -> None:
    build_profit_shop(app, ctx)
    p = run_json("analytics", "profitability", "--as-of", "2026-06-30", db_url=db_url)
    assert p["totals"] == {
        "revenue": "510000",
        "margin": "175000",
        "reward_cost": "70000",
        "net_contribution": "105000",
    }
    assert (p["currency"], p["margin_percent"], p["margin_source"]) == ("VND", "30", "mixed")
    assert [c["name"] for c in p["customers"]] == ["hunter", "nocost", "good"]
    hunters = run_json(
        "analytics", "bonus-hunters", "--as-of", "2026-06-30", "--margin-percent", "40",
        db_url=db_url,
    )  # fmt: skip
    (h,) = hunters["customers"]
    assert (h["name"], h["margin"], h["reward_cost"], h["net_contribution"]) == (
        "hunter",
        "40000",
        "60000",
        "-20000",
    )
    assert h["reasons"] == ["rewards_exceed_margin", "only_on_promotion"]


def test_payoff_json(db_url: str, app: App, ctx: BusinessContext) -> None:
    build_campaign_shop(app, ctx)
    out = run_json(
        "analytics", "payoff", "--campaign", "WB", "--as-of", "2026-06-30", db_url=db_url
    )
    (wb,) = out["campaigns"]
    assert out["rules"] == [] and out["currency"] == "VND"
    assert (wb["campaign"], wb["window_days"], wb["window_complete"]) == ("WB", 30, True)
    assert (wb["treatment"]["buyers"], wb["control"]["buyers"]) == (6, 2)
    assert wb["repeat_rate_uplift"] == {
        "estimate": "0.4",
        "ci_low": "-0.0226",
        "ci_high": "0.6725",
        "method": "newcombe",
    }
    assert wb["revenue_uplift_per_customer"]["estimate"] == "40000"
    assert wb["net"] == {"estimate": "120000", "ci_low": "-44293", "ci_high": "284293"}
    assert (wb["contact_cost"], wb["paid_off"]) == ("10000", "uncertain")
    unknown = run_cli("analytics", "payoff", "--campaign", "NOPE", db_url=db_url)
    assert unknown.returncode == 4 and "no campaign" in unknown.stderr
