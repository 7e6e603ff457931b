"""Analytics benchmark: the whole pipeline on DuckDB over a large generated store.

Generates a business (seeded): 1M customers and 10M orders by default, a skewed (Pareto-like)
spend, managers and departments, one costed line per order. It is bulk-loaded into a real
regulars SQLite store (schema by the migration, rows written by DuckDB's SQLite writer), then a
fresh child process (so peak RSS is the pipeline's own) runs, timing each step:

  summary (+ 12 months), RFM (segments + top 100), Pareto, key accounts (company, department,
  manager), dependency (the same three levels), lapsed (top 100), CLV (BG/NBD + Gamma-Gamma fit
  and a 12-month prediction for every customer, via bench/clv_bench.py's run_clv_pipeline)

twice: on DuckDB reading the SQLite file (what `regulars analytics` does), and on DuckDB native
tables copied from it (what a larger deployment gets by pointing Ibis at DuckDB/Parquet). The
pandas + lifetimes comparison is bench/clv_bench.py's; its table in docs/benchmarks.md ("CLV")
is quoted here when present.

    python bench/analytics_bench.py [--customers 1000000] [--transactions 10000000]
        [--engines sqlite,native] [--seed 7] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from benchcommon import machine, write_docs

AS_OF = date(2026, 6, 30)
YEARS = 3
CURRENCY = "EUR"
TARGET_S, TARGET_GB = 60, 4
DUCKDB_LIMIT = os.environ.get("REGULARS_DUCKDB_MEMORY_LIMIT", "2GB")


# --- data -------------------------------------------------------------------------------


def generate(n_customers: int, n_tx: int, tenant: int, seed: int) -> dict[str, pa.Table]:
    """Arrow tables in the store's column names; everyone buys once, the rest is skewed."""
    rng = np.random.default_rng(seed)
    n_dep, n_staff, n_prod = 8, 40, 200
    span = YEARS * 365
    start = datetime.combine(AS_OF - timedelta(days=span - 1), datetime.min.time())
    created = datetime(2023, 1, 1)
    weight = rng.pareto(1.3, n_customers) + 0.05
    extra = rng.choice(n_customers, max(n_tx - n_customers, 0), p=weight / weight.sum())
    owner = np.concatenate((np.arange(n_customers), extra))
    first = rng.integers(0, span - 30, n_customers)
    u = rng.random(len(owner))
    offset = first[owner] + np.floor(u * (span - first[owner])).astype(np.int64)
    offset[:n_customers] = first
    seconds = offset * 86_400 + rng.integers(8 * 3600, 20 * 3600, len(owner))
    placed = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    scale = rng.lognormal(3.3, 0.6, n_customers)
    total = np.maximum(np.round(rng.gamma(3.0, scale[owner] / 3.0) * 100), 100).astype(np.int64)
    status = np.where(rng.random(len(owner)) < 0.03, "cancelled", "delivered")
    manager = rng.integers(1, n_staff + 1, n_customers)
    has_manager = rng.random(n_customers) < 0.8
    staff_dep = (np.arange(n_staff) % n_dep) + 1
    ids = np.arange(1, n_customers + 1)
    customers = pa.table(
        {
            "id": ids,
            "tenant_id": np.full(n_customers, tenant),
            "kind": np.where(rng.random(n_customers) < 0.1, "company", "person"),
            "display_name": pa.array([f"Customer {i}" for i in ids]),
            "name_key": pa.array([f"{i} customer" for i in ids]),
            "first_deal_overridden": np.zeros(n_customers, dtype=bool),
            "manager_id": pa.array(manager, mask=~has_manager),
            "department_id": pa.array(staff_dep[manager - 1], mask=~has_manager),
            "status": pa.array(["active"] * n_customers),
            "created_at": np.full(n_customers, np.datetime64(created, "us")),
        }
    )
    customers = customers.append_column("updated_at", customers["created_at"])
    order_ids = np.arange(1, len(owner) + 1)
    placed_us = pa.array(placed.astype("datetime64[us]"))
    orders = pa.table(
        {
            "id": order_ids,
            "tenant_id": np.full(len(owner), tenant),
            "customer_id": owner + 1,
            "currency": pa.array([CURRENCY]).take(np.zeros(len(owner), dtype=np.int64)),
            "total_minor": total,
            "placed_at": placed_us,
            "status": pa.array(status),
            "status_changed_at": placed_us,
            "created_at": placed_us,
        }
    )
    product = rng.integers(1, n_prod + 1, len(owner))
    lines = pa.table(
        {
            "id": order_ids,
            "tenant_id": np.full(len(owner), tenant),
            "order_id": order_ids,
            "line_no": np.ones(len(owner), dtype=np.int64),
            "product_id": product,
            "quantity": np.ones(len(owner)),
            "unit_price_minor": total,
            "line_total_minor": total,
        }
    )
    products = pa.table(
        {
            "id": np.arange(1, n_prod + 1),
            "tenant_id": np.full(n_prod, tenant),
            "sku": [f"SKU-{i}" for i in range(1, n_prod + 1)],
            "name": [f"Product {i}" for i in range(1, n_prod + 1)],
            "category": [f"category {i % 12}" for i in range(1, n_prod + 1)],
            "unit_cost_minor": rng.integers(500, 5000, n_prod),
            "cost_currency": [CURRENCY] * n_prod,
        }
    )
    departments = pa.table(
        {
            "id": np.arange(1, n_dep + 1),
            "tenant_id": np.full(n_dep, tenant),
            "name": [f"Department {i}" for i in range(1, n_dep + 1)],
        }
    )
    staff = pa.table(
        {
            "id": np.arange(1, n_staff + 1),
            "tenant_id": np.full(n_staff, tenant),
            "email": [f"manager{i}@example.com" for i in range(1, n_staff + 1)],
            "display_name": [f"Manager {i}" for i in range(1, n_staff + 1)],
            "role": ["manager"] * n_staff,
            "department_id": staff_dep,
            "active": np.ones(n_staff, dtype=bool),
            "created_at": np.full(n_staff, np.datetime64(created, "us")),
        }
    )
    return {
        "departments": departments,
        "staff_users": staff,
        "products": products,
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
    }


def build(tmp: Path, n_customers: int, n_tx: int, seed: int, sqlite: bool) -> dict[str, Any]:
    """A migrated, empty store (schema.db), the generated tables as Parquet, and (when `sqlite`)
    a SQLite store holding them (bench.db); seconds for each stage."""
    import duckdb
    import pyarrow.parquet as pq

    from regulars.analytics.backend import _sqlite_scanner
    from regulars.bootstrap import make_app
    from regulars.services.businesses import ensure_business

    schema = tmp / "schema.db"
    app = make_app(f"sqlite:///{schema}")
    app.upgrade_schema()
    ctx = ensure_business(app.uow(), slug="bench", default_currency=CURRENCY, timezone="UTC")
    app.close()
    t0 = time.perf_counter()
    tables = generate(n_customers, n_tx, ctx.tenant_id, seed)
    for name, table in tables.items():
        pq.write_table(table, tmp / f"{name}.parquet")
    out = {"tenant_id": ctx.tenant_id, "orders": tables["orders"].num_rows}
    out["generate_s"] = time.perf_counter() - t0
    if not sqlite:
        return out
    store = tmp / "bench.db"
    shutil.copy(schema, store)
    t1 = time.perf_counter()
    indexes = _drop_indexes(store, list(tables))
    con = duckdb.connect()
    con.execute(f"INSTALL '{_sqlite_scanner()}'")
    con.execute("LOAD sqlite_scanner")
    con.execute(f"ATTACH '{store}' AS store (TYPE sqlite)")
    con.execute("BEGIN")
    for name, table in tables.items():
        con.register("incoming", table)
        cols = ", ".join(table.column_names)
        con.execute(f"INSERT INTO store.{name} ({cols}) SELECT {cols} FROM incoming")
        con.unregister("incoming")
    con.execute("COMMIT")
    con.close()
    with sqlite3.connect(store) as db:
        for sql in indexes:
            db.execute(sql)
    out["load_s"] = time.perf_counter() - t1
    out["file_mb"] = store.stat().st_size / 2**20
    return out


def _drop_indexes(path: Path, tables: list[str]) -> list[str]:
    """Drop the loaded tables' indexes (rebuilt after the load: much faster than row by row)."""
    with sqlite3.connect(path) as db:
        marks = ",".join("?" * len(tables))
        found = db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
        for name, _ in found:
            db.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


# --- the pipeline (child process) -------------------------------------------------------


class RssSampler(threading.Thread):
    """Samples this process's resident memory, so each step's peak can be told apart."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while self.running:
            with open("/proc/self/statm") as f:
                self.peak = max(self.peak, int(f.read().split()[1]) * page)
            time.sleep(0.05)

    def take(self) -> float:
        peak, self.peak = self.peak, 0
        return peak / 2**20


def _store(tmp: str, tenant: int, engine: str) -> tuple[Any, float]:
    """The analytics Store: DuckDB attached to bench.db, or DuckDB native tables read from the
    Parquet files (empty tables from schema.db) through `from_backend`."""
    import ibis

    from regulars.analytics.backend import Scope, connect, from_backend, tune_duckdb

    scope = Scope(tenant, CURRENCY, "UTC")
    if engine == "sqlite":
        return connect(f"sqlite:///{tmp}/bench.db", scope), 0.0
    t0 = time.perf_counter()
    schema = connect(f"sqlite:///{tmp}/schema.db", scope)  # installs the SQLite extension
    schema.close()
    con = ibis.duckdb.connect()
    tune_duckdb(con)
    con.raw_sql("LOAD sqlite_scanner")
    con.raw_sql(f"ATTACH '{tmp}/schema.db' AS src (TYPE sqlite, READ_ONLY)")
    found = con.raw_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
    ).fetchall()
    names = [r[0] for r in found]
    for name in names:
        parquet = Path(tmp) / f"{name}.parquet"
        con.raw_sql(f'CREATE TABLE "{name}" AS SELECT * FROM src."{name}"')  # schema's types
        if parquet.exists():
            con.raw_sql(f"INSERT INTO \"{name}\" BY NAME SELECT * FROM read_parquet('{parquet}')")
    con.raw_sql("DETACH src")
    return from_backend(con, scope), time.perf_counter() - t0


def _clv(store: Any) -> dict[str, Any]:
    """CLV fed from the snapshot's buying days (revenue orders, one currency, merged per local
    day: what the CLV summary would build itself) instead of re-reading every order."""
    sys.path.insert(0, str(Path(__file__).parent))
    from clv_bench import run_clv_pipeline
    from regulars.analytics.facts import purchase_days

    d = purchase_days(store, AS_OF)
    epoch = ibis.literal(date(1970, 1, 1))
    tx = d.select(
        "customer_id", day=d.day.delta(epoch, unit="day"), amount=d.amount.cast("float64") / 100
    ).to_pyarrow()
    return run_clv_pipeline(tx)


def pipeline(tmp: str, tenant: int, engine: str) -> dict[str, Any]:
    from regulars.analytics import dependency, key_accounts, lapsed, pareto, rfm, summary
    from regulars.analytics.shares import LEVELS

    sampler = RssSampler()
    sampler.start()
    store, copy_s = _store(tmp, tenant, engine)
    steps: dict[str, dict[str, float]] = {}
    clv: dict[str, Any] = {}

    def step(name: str, fn: Any) -> None:
        sampler.take()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        steps[name] = {"s": wall, "cpu_s": cpu, "peak_mb": sampler.take()}

    # One snapshot for the whole run: shared facts once; over SQLite, orders copied in once.
    step("snapshot", lambda: store.materialize(copy=engine == "sqlite"))
    step("summary", lambda: (summary.summary(store, AS_OF), summary.monthly(store, AS_OF)))
    step(
        "rfm", lambda: (rfm.segment_summary(store, AS_OF), rfm.rfm_scores(store, AS_OF, limit=100))
    )
    step("pareto", lambda: pareto.pareto(store, AS_OF))
    step("key_accounts", lambda: [key_accounts.key_accounts(store, AS_OF, lv) for lv in LEVELS])
    step("dependency", lambda: [dependency.dependency(store, AS_OF, lv) for lv in LEVELS])
    step("lapsed", lambda: lapsed.lapsed(store, AS_OF, limit=100))
    step("clv", lambda: clv.update(_clv(store)))
    sampler.running = False
    store.close()
    return {
        "engine": engine,
        "copy_s": copy_s,
        "steps": steps,
        "total_s": sum(s["s"] for s in steps.values()),
        "cpu_s": sum(s["cpu_s"] for s in steps.values()),
        "clv": {k: clv[k] for k in ("summary_s", "bgnbd_fit_s", "gamma_gamma_fit_s", "predict_s")},
        "clv_customers": clv["n_customers"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- driver and report ------------------------------------------------------------------


def _child(path: Path, tenant: int, engine: str) -> dict[str, Any] | str:
    cmd = [
        sys.executable,
        __file__,
        "--pipeline",
        str(path),
        "--tenant",
        str(tenant),
        "--engine",
        engine,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return "failed: " + ((res.stderr.strip().splitlines() or ["?"])[-1])[:120]
    return json.loads(res.stdout.strip().splitlines()[-1])


def _lifetimes_note() -> list[str]:
    """Where the pandas + lifetimes comparison is (bench/clv_bench.py writes its own section)."""
    return [
        "The pandas + lifetimes comparison at equal sizes is in [CLV](#clv) "
        "(`python bench/clv_bench.py --write-docs`)."
    ]


ENGINE_NAMES = {
    "sqlite": "DuckDB over the SQLite store",
    "native": "DuckDB tables from Parquet",
}
STEPS = ["snapshot", "summary", "rfm", "pareto", "key_accounts", "dependency", "lapsed", "clv"]


def _met(r: dict[str, Any]) -> bool:
    return bool(r["total_s"] < TARGET_S and r["peak_rss_mb"] < TARGET_GB * 1024)


def _table(engine: str, r: dict[str, Any] | str) -> list[str]:
    """Per step: wall and CPU seconds and the step's peak RSS; then the totals and targets."""
    title = f"**{ENGINE_NAMES[engine]}**"
    if isinstance(r, str):
        return [title + f": {r}"]
    copy = f" (tables loaded from Parquet before it: {r['copy_s']:.1f} s)" if r["copy_s"] else ""
    rows = [
        f"| {s} | {r['steps'][s]['s']:.1f} | {r['steps'][s]['cpu_s']:.1f} | "
        f"{r['steps'][s]['peak_mb'] / 1024:.2f} |"
        for s in STEPS
    ]
    verdict = "met" if _met(r) else "**not met**"
    return [
        title + copy,
        "",
        "| step | wall (s) | CPU (s) | peak RSS (GB) |",
        "|---|---|---|---|",
        *rows,
        f"| **pipeline** | **{r['total_s']:.1f}** | **{r['cpu_s']:.1f}** | "
        f"**{r['peak_rss_mb'] / 1024:.2f}** |",
        "",
        f"Targets (under {TARGET_S} s wall, under {TARGET_GB} GB): {verdict}.",
    ]


def report(args: argparse.Namespace, built: dict[str, Any], runs: list[Any]) -> str:
    engines = "" if args.engines == "sqlite,native" else f" --engines {args.engines}"
    load = ""
    if "load_s" in built:
        load = f"; bulk load into SQLite {built['load_s']:.1f} s ({built['file_mb']:.0f} MB file)"
    lines = [
        "## Analytics",
        "",
        f"`python bench/analytics_bench.py --customers {args.customers} "
        f"--transactions {args.transactions}{engines}`: a generated business (seed {args.seed}),",
        f"{args.customers:,} customers and {built['orders']:,} orders over {YEARS} years with a "
        "skewed spend, one costed line per order. Each engine runs the pipeline in a fresh child",
        "process: a snapshot (shared per-customer facts are then built once; over SQLite the",
        "orders are copied into DuckDB once), summary (+ 12 months), RFM (segments + top 100),",
        "Pareto, key accounts and dependency (company, department, manager), lapsed (top 100),",
        "CLV (BG/NBD + Gamma-Gamma fit, 12-month prediction for every customer). Peak RSS is the",
        f"child's, DuckDB included (memory limit {DUCKDB_LIMIT}). Targets: under {TARGET_S} s and",
        f"{TARGET_GB} GB on 2 cores. Machine: {machine()}; it was shared with other work while",
        "measured, so wall times are pessimistic (CPU seconds are shown beside them).",
        "",
        f"Generate {built['generate_s']:.1f} s (to Parquet){load}.",
    ]
    for engine, r in runs:
        lines += ["", *_table(engine, r)]
    for engine, r in runs:
        if not isinstance(r, str):
            c = r["clv"]
            lines += [
                "",
                f"CLV on {ENGINE_NAMES[engine]} ({r['clv_customers']:,} customers): summary "
                f"{c['summary_s']:.1f} s, BG/NBD fit {c['bgnbd_fit_s']:.2f} s, Gamma-Gamma "
                f"{c['gamma_gamma_fit_s']:.2f} s, predict {c['predict_s']:.1f} s.",
            ]
            break
    lines += ["", *[ln for ln in _lifetimes_note() if ln]]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--engines", default="sqlite,native")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--pipeline", help=argparse.SUPPRESS)
    ap.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.pipeline:
        print(json.dumps(pipeline(a.pipeline, a.tenant, a.engine)))
        return
    engines = a.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"generating {a.customers:,} customers, {a.transactions:,} orders ...")
        built = build(Path(tmp), a.customers, a.transactions, a.seed, "sqlite" in engines)
        print(json.dumps(built))
        runs = []
        for engine in engines:
            r = _child(Path(tmp), built["tenant_id"], engine)
            print(engine, json.dumps(r, indent=1))
            runs.append((engine, r))
    section = report(a, built, runs)
    print(section)
    if a.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
