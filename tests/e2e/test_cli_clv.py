"""`regulars clv fit|evaluate|predict` in a subprocess, on the CDNOW sample and on the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import DATA
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.imports import data_file


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whitespace-separated sample written out as a CSV with a header, as users' files are."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["customer", "sample_id", "date", "cds", "dollars"])
        for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
            out.writerow(line.split())
    return path


def cols(path: Path) -> list[str]:
    return [
        "--transactions", str(path), "--customer-col", "customer",
        "--date-col", "date", "--amount-col", "dollars",
    ]  # fmt: skip


def test_fit_reproduces_the_published_cdnow_results(cdnow_csv: Path) -> None:
    out = run_json(
        "clv", "fit", *cols(cdnow_csv), "--calibration-end", "1997-09-30", "--period", "week"
    )
    assert out["model"] == "bgnbd" and out["n_customers"] == 2357
    p = out["params"]
    assert [round(p[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert out["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    s = out["spend"]
    assert [round(s["p"], 2), round(s["q"], 2), round(s["gamma"], 2)] == [6.25, 3.74, 15.44]


def test_fit_pareto_nbd(cdnow_csv: Path) -> None:
    out = run_json(
        "clv", "fit", *cols(cdnow_csv), "--calibration-end", "1997-09-30", "--model", "pareto-nbd"
    )
    assert out["model"] == "pareto-nbd"
    assert set(out["params"]) == {"r", "alpha", "s", "beta"}
    assert out["params"]["s"] == pytest.approx(0.606, abs=5e-4)
    assert out["log_likelihood"] == pytest.approx(-9595.0, abs=0.1)


def test_evaluate_compares_the_holdout(cdnow_csv: Path) -> None:
    out = run_json(
        "clv", "evaluate", *cols(cdnow_csv),
        "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30",
    )  # fmt: skip
    assert set(out) == {
        "predicted_holdout_transactions",
        "actual_holdout_transactions",
        "per_customer_mae",
        "correlation",
    }
    assert out["actual_holdout_transactions"] == 1882
    assert out["predicted_holdout_transactions"] == pytest.approx(1653.4, abs=1)
    assert 0.5 < out["correlation"] < 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_writes_every_customer(cdnow_csv: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"clv{suffix}"
    res = run_cli(
        "clv", "predict", *cols(cdnow_csv), "--calibration-end", "1997-09-30",
        "--horizon", "12", "--discount-rate", "0.01", "--out", str(target),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "2357 customers written to" in res.stdout
    table = pq.read_table(target) if suffix == ".parquet" else None
    if table is None:
        with target.open() as f:
            rows = list(csv.DictReader(f))
    else:
        rows = [{k: str(v) for k, v in r.items()} for r in table.to_pylist()]
    assert len(rows) == 2357
    assert list(rows[0]) == [
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]
    assert all(0 <= float(r["p_alive"]) <= 1 and float(r["clv"]) >= 0 for r in rows)
    assert all(len(r["clv"].split(".")[1]) == 2 for r in rows)  # money in cents, not floats


def test_predict_shows_the_most_valuable_customers(cdnow_csv: Path) -> None:
    res = run_cli(
        "clv", "predict", *cols(cdnow_csv), "--calibration-end", "1997-09-30", "--top", "3"
    )
    assert res.returncode == 0, res.stderr
    assert "Top 3 of 2357 customers by CLV over 12 months" in res.stdout
    assert "p_alive" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer-col", "nobody"], "no column 'nobody'"),
        (["--calibration-end", "30/09/1997"], "--calibration-end expects a date"),
        (["--model", "magic"], "unknown model 'magic'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cdnow_csv: Path, args: list[str], message: str) -> None:
    res = run_cli("clv", "fit", *cols(cdnow_csv), *args)
    assert res.returncode == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_an_empty_file_is_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    res = run_cli("clv", "fit", "--transactions", str(empty))
    assert (res.returncode, res.stderr.strip()) == (2, "error: empty.csv is empty")


@pytest.mark.slow
def test_without_a_file_the_business_orders_are_used(db_url: str, tmp_path: Path) -> None:
    for kind, name, extra in (
        ("customers", "cdnow_customers.csv", []),
        ("orders", "cdnow_orders.csv", ["--date-format", "%Y%m%d"]),
    ):
        res = run_cli("import", kind, str(data_file(tmp_path, name)), *extra, db_url=db_url)
        assert res.returncode == 0, res.stderr
    out = run_json("clv", "fit", "--calibration-end", "1997-09-30", db_url=db_url)
    assert out["model"] == "bgnbd" and out["n_customers"] > 50
    assert all(v > 0 for v in out["params"].values())
    pred = run_json("clv", "predict", "--horizon", "6", db_url=db_url)
    assert pred["n_customers"] == out["n_customers"]
    assert float(pred["total_clv"]) > 0
    assert json.dumps(pred["customers"][0]["clv"])  # decimals print as strings


@pytest.mark.slow
def test_lapsed_by_p_alive_on_the_store(db_url: str, tmp_path: Path) -> None:
    """CDNOW in the store: with a P(alive) threshold the model finds lapsed customers the
    rhythm alone misses, each with the probability that put them on the list."""
    for kind, name, extra in (
        ("customers", "cdnow_customers.csv", []),
        ("orders", "cdnow_orders.csv", ["--date-format", "%Y%m%d"]),
    ):
        res = run_cli("import", kind, str(data_file(tmp_path, name)), *extra, db_url=db_url)
        assert res.returncode == 0, res.stderr
    args = ("analytics", "lapsed", "--as-of", "1997-09-30", "--limit", "1000")
    plain = run_json(*args, db_url=db_url)
    both = run_json(*args, "--p-alive-below", "0.7", db_url=db_url)
    assert {r["reason"] for r in plain} == {"rhythm"}
    assert all(r["p_alive"] is None for r in plain)
    by_model = [r for r in both if r["reason"] in ("p_alive", "both")]
    assert by_model and all(float(r["p_alive"]) < 0.7 for r in by_model)
    assert any(r["reason"] == "p_alive" for r in both)  # found by the model alone
    rhythm_ids = {r["customer_id"] for r in plain}
    assert rhythm_ids <= {r["customer_id"] for r in both}
    assert all(float(r["p_alive"]) >= 0.7 for r in both if r["reason"] == "rhythm")
    risk = [float(r["value_at_risk"]) for r in both]
    assert risk == sorted(risk, reverse=True)
