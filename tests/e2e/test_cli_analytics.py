"""`regulars analytics …` and `regulars briefing` in a subprocess, on a small demo business."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli, run_json

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'regulars.db'}"
    res = run_cli("demo", "--customers", "300", "--no-serve", "--db", url)
    assert res.returncode == 0, res.stderr
    return url


def test_summary_and_pareto_with_a_chart(demo_db: str, tmp_path: Path) -> None:
    s = run_json("analytics", "summary", db_url=demo_db)
    assert set(s) >= {
        "revenue",
        "orders",
        "active_customers",
        "new_customers",
        "returning_customers",
        "repeat_rate",
        "average_order_value",
        "acquisition_revenue",
        "retention_revenue",
    }
    assert Decimal(s["revenue"]) == Decimal(s["acquisition_revenue"]) + Decimal(
        s["retention_revenue"]
    )
    chart = tmp_path / "pareto.svg"
    p = run_json("analytics", "pareto", "--plot", str(chart), db_url=demo_db)
    assert 0 < Decimal(p["gini"]) < 1 and Decimal(p["top_share"]) > Decimal("0.2")
    assert p["lorenz"][-1] == {"customers": "1.0", "revenue": "1.0"}
    assert "<svg" in chart.read_text()


def test_cohort_heat_map_is_a_png(demo_db: str, tmp_path: Path) -> None:
    chart = tmp_path / "cohorts.png"
    res = run_cli("analytics", "cohorts", "--months", "6", "--plot", str(chart), db_url=demo_db)
    assert res.returncode == 0, res.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Cohorts" in res.stdout


def test_rfm_store_segments_and_playbook(demo_db: str) -> None:
    r = run_json("analytics", "rfm", "--store", "--limit", "5", db_url=demo_db)
    assert r["stored"] >= 250 and len(r["customers"]) == 5
    first = r["customers"][0]
    assert first["value_band"] == "A" and first["segment"] in {
        "loyal",
        "potential",
        "returning",
        "new",
        "one_time",
        "lapsed",
    }
    res = run_cli("analytics", "playbook", "loyal", "Invite them to the roastery.", db_url=demo_db)
    assert res.returncode == 0, res.stderr
    segs = {s["segment"]: s for s in run_json("analytics", "segments", db_url=demo_db)}
    assert segs["loyal"]["playbook"] == "Invite them to the roastery."
    assert sum(s["customers"] for s in segs.values()) == r["stored"]


def test_refresh_daily_and_feedback_raises_the_loyalty_score(demo_db: str) -> None:
    first = run_json("analytics", "refresh", "--json", db_url=demo_db)
    assert first["skipped"] is False and first["forecast"] is True and first["customers"] >= 250
    again = run_json("analytics", "refresh", "--if-older-than", "24", "--json", db_url=demo_db)
    assert again == {"skipped": True, "computed_at": first["computed_at"]}
    scores = {
        c["customer_id"]: c
        for c in run_json("analytics", "rfm", "--limit", "500", db_url=demo_db)["customers"]
    }
    cid, before = next((k, c) for k, c in scores.items() if c["loyalty_score"] < 90)
    for kind in ("feedback", "suggestion"):
        res = run_cli(
            "customers", "note", str(cid), "Likes the new blend", "--kind", kind, db_url=demo_db
        )
        assert res.returncode == 0, res.stderr
    bad = run_cli("customers", "note", str(cid), "x", "--kind", "gossip", db_url=demo_db)
    assert bad.returncode == 1 and "unknown note kind" in bad.stderr
    after = {
        c["customer_id"]: c
        for c in run_json("analytics", "rfm", "--limit", "500", db_url=demo_db)["customers"]
    }
    assert after[cid]["loyalty_score"] > before["loyalty_score"]


def test_dependency_key_accounts_lapsed_and_handover(demo_db: str) -> None:
    deps = run_json("analytics", "dependency", "--level", "department", db_url=demo_db)
    assert deps and all(d["band"] in {"fine", "act", "alarm", "critical"} for d in deps)
    keys = run_json("analytics", "key-accounts", "--level", "manager", db_url=demo_db)
    assert all(Decimal(a["share"]) > Decimal("0.1") for a in keys["accounts"])
    lapsed = run_json("analytics", "lapsed", "--limit", "10", db_url=demo_db)
    risks = [Decimal(x["value_at_risk"]) for x in lapsed]
    assert risks == sorted(risks, reverse=True) and len(lapsed) == 10
    hand = run_json("analytics", "handover", db_url=demo_db)
    assert all(Decimal(h["at_risk_revenue"]) <= Decimal(h["revenue"]) for h in hand)


def test_briefing_json(demo_db: str) -> None:
    b = run_json("briefing", db_url=demo_db)
    assert set(b) == {
        "today",
        "currency",
        "key_accounts",
        "manager_warnings",
        "alarms",
        "lapsed",
        "occasions",
        "unpaid_orders",
        "stuck_orders",
    }
    assert len(b["lapsed"]) == 10


def test_bad_input_is_one_line_and_an_exit_code(demo_db: str, tmp_path: Path) -> None:
    res = run_cli("analytics", "summary", "--as-of", "yesterday", db_url=demo_db)
    assert res.returncode == 2 and "not a date" in res.stderr
    res = run_cli("analytics", "pareto", "--plot", str(tmp_path / "x.pdf"), db_url=demo_db)
    assert res.returncode == 1 and res.stderr.startswith("error: --plot needs a .svg or .png")
    res = run_cli("analytics", "key-flag", "999999", "innovator", db_url=demo_db)
    assert res.returncode == 4 and "no customer 999999" in res.stderr
