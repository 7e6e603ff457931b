# ruff: noqa: E501
"""CLV benchmark: our summary + BG/NBD + Gamma-Gamma + predict against pandas + lifetimes.

Generates BG/NBD-like purchase histories (seeded) for growing numbers of customers, then, in the
same run and each in a fresh child process (so peak RSS is its own):

- ours: summarise the transactions (days), fit BG/NBD and Gamma-Gamma, predict CLV for all;
- lifetimes 0.11.3 with pandas (`summary_data_from_transaction_data`, `BetaGeoFitter`,
  `GammaGammaFitter`) in bench/.venv-lifetimes (created on first use with pip; it needs
  numpy<2, pandas<2.1, scipy<1.13), on each size until it times out or runs out of memory.

It reports times, peak memory, the speed ratio at equal sizes and the largest relative
difference between our BG/NBD parameters and lifetimes'.

    python bench/clv_bench.py [--customers 10000,100000,1000000] [--timeout 300] [--write-docs]

`run_clv_pipeline(table)` is the function bench/analytics_bench.py calls for its CLV step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from benchcommon import ROOT, machine, write_docs

LIFETIMES_VENV = ROOT / "bench" / ".venv-lifetimes"
LIFETIMES_PINS = ["lifetimes==0.11.3", "numpy<2", "pandas<2.1", "scipy<1.13"]
MEMORY_CAP = 6 * 1024**3
# Both sides single-threaded BLAS: on a busy 2-core machine OpenBLAS threads spin against each
# other and make timings meaningless (lifetimes' autograd leans on numpy dot products).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
START = date(2020, 1, 1)


def generate(n_customers: int, seed: int = 42) -> pa.Table:
    """Transactions from a BG/NBD world: (customer_id, day, amount), about 10 per customer."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(2.0, 0.02, n_customers)  # purchases per day while alive
    p = rng.beta(1.0, 9.0, n_customers)  # drop-out chance after each purchase
    spend = rng.gamma(4.0, 10.0, n_customers)  # mean spend per customer
    first = rng.integers(0, 365, n_customers)
    repeats = np.minimum(rng.geometric(p) - 1, 200)
    owner = np.repeat(np.arange(n_customers), repeats)
    gaps = rng.exponential(1.0, len(owner)) / lam[owner]
    seg_start = np.concatenate(([0], np.cumsum(repeats)[:-1]))
    cum = np.cumsum(gaps)
    cum_before = np.concatenate(([0.0], cum))[seg_start]
    times = cum - np.repeat(cum_before, repeats)
    days = first[owner] + np.floor(times).astype(np.int64)
    keep = days < 730
    cust = np.concatenate((np.arange(n_customers), owner[keep]))
    day = np.concatenate((first, days[keep])) + (START - date(1970, 1, 1)).days
    amount = np.round(rng.gamma(4.0, spend[cust] / 4.0), 2)
    return pa.table({"customer_id": cust.astype(np.int64), "day": day, "amount": amount})


def run_clv_pipeline(transactions: pa.Table) -> dict[str, Any]:
    """Our CLV steps on (customer_id, day, amount) or (customer_id, date, amount); seconds each."""
    from regulars.analytics.clv import (
        fit_bgnbd,
        fit_gamma_gamma,
        predict_table,
        summarise,
        transactions_table,
    )
    from regulars.analytics.clv.dates import from_day_number
    from regulars.analytics.clv.pipeline import ClvFit

    timings: dict[str, Any] = {}
    c0, t0 = time.process_time(), time.perf_counter()
    if "day" not in transactions.column_names:
        transactions = transactions_table(
            transactions, customer_col="customer_id", date_col="date", amount_col="amount"
        )
    end = from_day_number(int(np.asarray(transactions["day"].to_numpy()).max()))
    summary = summarise(transactions, calibration_end=end, period="day")
    c1, t1 = time.process_time(), time.perf_counter()
    model = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    c2, t2 = time.process_time(), time.perf_counter()
    spend = fit_gamma_gamma(summary.frequency, summary.monetary)
    t3 = time.perf_counter()
    table = predict_table(
        ClvFit(model, spend, len(summary)), summary, horizon_months=12, discount_rate=0.01
    )
    c4, t4 = time.process_time(), time.perf_counter()
    timings.update(
        summary_s=t1 - t0,
        bgnbd_fit_cpu_s=c2 - c1,
        total_cpu_s=c4 - c0,
        bgnbd_fit_s=t2 - t1,
        gamma_gamma_fit_s=t3 - t2,
        predict_s=t4 - t3,
        total_s=t4 - t0,
        n_customers=len(summary),
        n_predicted=table.num_rows,
        bgnbd=model.params,
        gamma_gamma=spend.params,
    )
    return timings


LIFETIMES_SCRIPT = r"""
import json, resource, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
best = {}
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    df = pd.read_csv(sys.argv[1], parse_dates=["date"])
    c1, t1 = time.process_time(), time.perf_counter()
    s = summary_data_from_transaction_data(df, "customer_id", "date", "amount", freq="D")
    c2, t2 = time.process_time(), time.perf_counter()
    bg = BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"])
    c3, t3 = time.process_time(), time.perf_counter()
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"])
    t4 = time.perf_counter()
    clv = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"],
        s["monetary_value"], time=12, discount_rate=0.01, freq="D")
    c5, t5 = time.process_time(), time.perf_counter()
    times = {"read_s": t1 - t0, "summary_s": t2 - t1, "bgnbd_fit_s": t3 - t2,
             "gamma_gamma_fit_s": t4 - t3, "predict_s": t5 - t4, "total_s": t5 - t1,
             "bgnbd_fit_cpu_s": c3 - c2, "total_cpu_s": c5 - c1}
    best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    del df, s, rep, clv
p = bg.params_
print(json.dumps({**best, "bgnbd": {"r": p["r"], "alpha": p["alpha"], "a": p["a"], "b": p["b"]},
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ensure_lifetimes() -> Path | None:
    py = LIFETIMES_VENV / "bin" / "python"
    if not py.exists():
        print("creating bench/.venv-lifetimes (once) ...")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_VENV)], check=True)
            subprocess.run([str(py), "-m", "pip", "install", "-q", *LIFETIMES_PINS], check=True)
        except subprocess.CalledProcessError as e:
            print(f"lifetimes skipped: could not install it ({e})")
            return None
    return py


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _child(args: list[str], timeout: float) -> dict[str, Any] | str:
    try:
        res = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_cap_memory,
            env={**os.environ, **ONE_THREAD},
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        return "out of memory" if "MemoryError" in res.stderr else f"failed: {last[:80]}"
    return json.loads(res.stdout.strip().splitlines()[-1])


def repeats(n: int) -> int:
    """Best of several where that is cheap: the machine is shared and single runs are noisy
    (each step's best time is kept on its own, for both sides alike)."""
    return 5 if n <= 10_000 else 3 if n <= 100_000 else 1


def _worker(n: int, csv_out: str | None) -> None:
    table = generate(n)
    if csv_out:
        dates = pa.array(table["day"].to_numpy().astype("datetime64[D]"))
        pv.write_csv(
            pa.table(
                {"customer_id": table["customer_id"], "date": dates, "amount": table["amount"]}
            ),
            csv_out,
        )
    result: dict[str, Any] = {}
    for _ in range(repeats(n)):
        run = run_clv_pipeline(table)
        best = {k: min(v, result.get(k, v)) for k, v in run.items() if k.endswith("_s")}
        result = {**run, **best}
    result["n_transactions"] = table.num_rows
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _max_rel_diff(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ("r", "alpha", "a", "b"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", default="10000,100000,1000000")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        _worker(a.worker, a.csv)
        return
    lifetimes_py = ensure_lifetimes()
    lifetimes_alive = lifetimes_py is not None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in a.customers.split(",")):
            csv_path = str(Path(tmp) / f"tx_{n}.csv") if lifetimes_alive else None
            cmd = [sys.executable, __file__, "--worker", str(n)] + (
                ["--csv", csv_path] if csv_path else []
            )
            ours = _child(cmd, a.timeout * 4)
            if isinstance(ours, str):
                print(f"{n} customers: ours {ours}")
                break
            theirs: dict[str, Any] | str = "not run (failed on a smaller size)"
            if lifetimes_alive and lifetimes_py and csv_path:
                theirs = _child(
                    [str(lifetimes_py), "-c", LIFETIMES_SCRIPT, csv_path, str(repeats(n))],
                    a.timeout * repeats(n),
                )
                lifetimes_alive = not isinstance(theirs, str)
                os.unlink(csv_path)
            rows.append((n, ours, theirs))
            print(json.dumps({"customers": n, "ours": ours, "lifetimes": theirs}, indent=1))
    section = _report(rows, a.timeout)
    print(section)
    if a.write_docs:
        write_docs(section)


def _report(rows: list[tuple[int, dict[str, Any], dict[str, Any] | str]], timeout: float) -> str:
    lines = [
        "## CLV",
        "",
        "`python bench/clv_bench.py --write-docs`: generated BG/NBD-like histories (seeded, about",
        "ten transactions per customer over two years, time in days); ours (summary, BG/NBD fit,",
        "Gamma-Gamma fit, 12-month CLV for every customer) against pandas + lifetimes 0.11.3",
        "(`summary_data_from_transaction_data`, `BetaGeoFitter`, `GammaGammaFitter`,",
        f"`customer_lifetime_value`) in its own virtualenv, {timeout:.0f} s time-out, 6 GB memory cap.",
        "Both sides run the same way: single-threaded BLAS, each size in fresh child processes,",
        "each step timed by wall clock (`time.perf_counter`) and by the process's own CPU time",
        "(`time.process_time`, which other load on a shared machine does not inflate), keeping",
        "each step's best of 5 runs at 10,000 customers, of 3 at 100,000 and a single run above.",
        f"Machine: {machine()}.",
        "",
        "| customers | transactions | ours: summary / BG/NBD fit / GG fit / predict, wall (s) | ours total wall / CPU | ours peak RSS | lifetimes: summary / BG/NBD fit / total, wall (s) | lifetimes total wall / CPU | lifetimes peak RSS | BG/NBD fit CPU, ours / lifetimes | BG/NBD fit ratio, CPU / wall | total ratio, CPU / wall | max rel. param diff |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, o, t in rows:
        ours = f"{o['summary_s']:.2f} / {o['bgnbd_fit_s']:.3f} / {o['gamma_gamma_fit_s']:.2f} / {o['predict_s']:.2f}"
        ours_total = f"{o['total_s']:.2f} / {o['total_cpu_s']:.2f} s"
        if isinstance(t, str):
            theirs, t_total, t_rss, fit_cpu, ratio, total_ratio, diff = (t,) + ("—",) * 6
        else:
            theirs = f"{t['summary_s']:.2f} / {t['bgnbd_fit_s']:.2f} / {t['total_s']:.2f}"
            t_total = f"{t['total_s']:.2f} / {t['total_cpu_s']:.2f} s"
            t_rss = f"{t['peak_rss_mb']:.0f} MB"
            fit_cpu = f"{o['bgnbd_fit_cpu_s']:.3f} / {t['bgnbd_fit_cpu_s']:.2f} s"
            ratio = (
                f"{t['bgnbd_fit_cpu_s'] / o['bgnbd_fit_cpu_s']:.0f}× / "
                f"{t['bgnbd_fit_s'] / o['bgnbd_fit_s']:.0f}×"
            )
            total_ratio = (
                f"{t['total_cpu_s'] / o['total_cpu_s']:.1f}× / {t['total_s'] / o['total_s']:.1f}×"
            )
            diff = f"{_max_rel_diff(o['bgnbd'], t['bgnbd']):.1e}"
        lines.append(
            f"| {n:,} | {o['n_transactions']:,} | {ours} | {ours_total} | {o['peak_rss_mb']:.0f} MB "
            f"| {theirs} | {t_total} | {t_rss} | {fit_cpu} | {ratio} | {total_ratio} | {diff} |"
        )
    lines += [
        "",
        "The BG/NBD fit ratio is lifetimes' fit time over ours on the same transactions (each",
        "side fits its own summary of them; the parameters agreeing shows the summaries do), first by",
        "CPU time, then by wall clock; our fit includes collapsing customers to distinct histories.",
        "The totals leave out reading the input (lifetimes reads a CSV file, ours an Arrow table",
        "already in memory). The parameter difference is the largest relative difference of",
        "r, α, a, b between the two fits.",
        "",  # a blank line before whatever section follows in docs/benchmarks.md
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
