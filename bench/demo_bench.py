"""Demo benchmark: how long `regulars demo --customers N` takes, against a bare bulk load.

For SQLite and PostgreSQL (skipped with a message when the server is unreachable), in the same
run:

- ours: the real command in a child process (`regulars demo --customers N --json`), timed from
  start to exit, i.e. what a user waits for: generation, every table, indexes, summary;
- reference: the database's own bulk load of just the demo's order rows (the same rows, read
  back from the demo) into a bare table without indexes or constraints: `executemany` for
  SQLite, `COPY` for PostgreSQL.

Rows/s counts every row the demo wrote (customers, contacts, phones, e-mails, consents, tags,
orders, lines, status history…); "rows/s ratio" compares that with the bare load's rows/s, and
"time ratio" says how many bare loads of the orders alone the whole demo costs.

    python bench/demo_bench.py [--customers 1000000] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from benchcommon import drop_pg_database, machine, pg_database, write_docs
from regulars.store.tables import Base

PG_DB = "regulars_bench_demo"
TODAY = "2025-06-10"  # fixed, so every run builds the same business
ORDER_COLUMNS = (
    "id, tenant_id, customer_id, currency, total_minor, placed_at, status,"
    " status_changed_at, store, channel, created_at"
)
BARE = (
    "CREATE TABLE bare_orders (id bigint, tenant_id integer, customer_id bigint,"
    " currency varchar(3), total_minor bigint, placed_at {ts}, status varchar(20),"
    " status_changed_at {ts}, store varchar(100), channel varchar(30), created_at {ts})"
)


def run_demo(url: str, customers: int) -> dict[str, Any]:
    """The real command in a child process; wall time and the child's peak memory."""
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "PYTHONIOENCODING": "utf-8"}
    args = ["--customers", str(customers), "--seed", "42", "--today", TODAY, "--json"]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "regulars", "demo", *args], stdout=stdout, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"regulars demo failed with exit code {child.returncode}")
        stdout.seek(0)
        out: dict[str, Any] = json.load(stdout)
    out["wall_seconds"] = seconds
    out["rss_mb"] = usage.ru_maxrss / 1024
    out["rows"] = count_rows(url)
    return out


def count_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(
                int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables
            )
    finally:
        engine.dispose()


def sqlite_reference(db: Path, folder: Path) -> tuple[int, float]:
    """executemany of the demo's order rows into a bare table of a fresh SQLite file."""
    src = sqlite3.connect(db)
    rows = src.execute(f"SELECT {ORDER_COLUMNS} FROM orders").fetchall()
    src.close()
    bare = sqlite3.connect(folder / "bare.db", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=NORMAL")
    bare.execute(BARE.format(ts="datetime"))
    marks = ", ".join("?" * 11)
    started = time.perf_counter()
    bare.execute("BEGIN")
    bare.executemany(f"INSERT INTO bare_orders ({ORDER_COLUMNS}) VALUES ({marks})", rows)
    bare.execute("COMMIT")
    seconds = time.perf_counter() - started
    bare.close()
    return len(rows), seconds


def pg_reference(url: str) -> tuple[int, float]:
    """COPY of the demo's order rows into a bare table of the same database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {ORDER_COLUMNS} FROM orders").all()
        conn.exec_driver_sql(BARE.format(ts="timestamptz"))
        conn.commit()
        raw = conn.connection.driver_connection
        assert raw is not None
        started = time.perf_counter()
        with raw.cursor() as cur, cur.copy(f"COPY bare_orders ({ORDER_COLUMNS}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        raw.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return len(rows), seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    n = args.customers
    results: list[tuple[str, dict[str, Any], int, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="regulars-demo-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "demo.db"
        print(f"SQLite: regulars demo --customers {n:,} …", flush=True)
        ours = run_demo(f"sqlite:///{db}", n)
        ref_rows, ref_s = sqlite_reference(db, folder)
        results.append(("SQLite", ours, ref_rows, ref_s, "executemany into a bare table"))
        ours["db_mb"] = db.stat().st_size / 2**20
    pg = pg_database(PG_DB)
    if pg:
        try:
            print(f"PostgreSQL: regulars demo --customers {n:,} …", flush=True)
            ours = run_demo(pg, n)
            ref_rows, ref_s = pg_reference(pg)
            results.append(("PostgreSQL", ours, ref_rows, ref_s, "COPY into a bare table"))
        finally:
            drop_pg_database(PG_DB)

    print()
    print(f"regulars demo --customers {n:,} ({datetime.now(UTC):%Y-%m-%d})")
    print(
        f"{'database':<12}{'seconds':>9}{'rows':>13}{'rows/s':>11}{'bare rows/s':>13}"
        f"{'rows/s ratio':>14}{'bare s':>8}{'time ratio':>12}  peak RSS"
    )
    for name, o, ref_rows, ref_s, _ in results:
        secs, rate, ref_rate = o["wall_seconds"], o["rows"] / o["wall_seconds"], ref_rows / ref_s
        print(
            f"{name:<12}{secs:>9.1f}{o['rows']:>13,}{rate:>11,.0f}{ref_rate:>13,.0f}"
            f"{rate / ref_rate:>14.2f}{ref_s:>8.1f}{secs / ref_s:>12.1f}  {o['rss_mb']:>5.0f} MB"
        )
    if args.write_docs and results:
        first = results[0][1]
        lines = [
            "## Demo",
            "",
            f"`python bench/demo_bench.py --customers {n}` on {datetime.now(UTC):%Y-%m-%d}, "
            f"{machine()}.",
            "",
            f"`regulars demo --customers {n:,}` builds {first['customers']:,} customers "
            f"({first['companies']:,} companies, {first['contacts']:,} contacts), "
            f"{first['orders']:,} orders with {first['order_lines']:,} lines and their status "
            "history, consents, tags, phones, e-mails and addresses. Ours is the whole command "
            "in a child process (start-up, generation, every table, indexes, foreign keys, "
            "summary); the reference is the database's own bulk load of only the demo's order "
            "rows into a bare table (no index, no constraint), measured in the same run. "
            "Rows/s ratio = our rows/s over all tables ÷ the reference's rows/s; time ratio = "
            "our seconds ÷ the reference's seconds.",
            "",
            "| database | ours (s) | rows written | ours (rows/s) | reference: orders only |"
            " reference (s) | reference (rows/s) | rows/s ratio | time ratio | peak RSS |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for name, o, ref_rows, ref_s, what in results:
            secs, rate, ref_rate = (
                o["wall_seconds"],
                o["rows"] / o["wall_seconds"],
                ref_rows / ref_s,
            )
            lines.append(
                f"| {name} | {secs:.1f} | {o['rows']:,} | {rate:,.0f} | "
                f"{what} ({ref_rows:,} rows) | {ref_s:.1f} | {ref_rate:,.0f} | "
                f"{rate / ref_rate:.2f} | {secs / ref_s:.1f} | {o['rss_mb']:.0f} MB |"
            )
        if "db_mb" in first:
            lines += ["", f"The SQLite file is {first['db_mb']:,.0f} MB."]
        write_docs("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
