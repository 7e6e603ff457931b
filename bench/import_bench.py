"""Import benchmark: our `regulars import orders` against the database's own bulk load.

Generates N order lines (and their customers) into a temporary CSV, then, in the same run:

- SQLite: our import (full validation, upsert into orders / order_lines / status history) versus
  `executemany` of the same CSV rows into a bare table;
- PostgreSQL: our import versus `COPY … FROM STDIN (FORMAT csv)` of the same file into a bare
  typed table (skipped with a message when the server is unreachable).

Each of our imports runs in a fresh child process (so its peak RSS is its own) and is timed
around the service call, i.e. what `regulars import orders FILE` does after start-up. The
child also samples its RSS as the import advances, to show memory does not grow with the file.

    python bench/import_bench.py [--rows 1000000] [--write-docs] [--row-by-row]

`--row-by-row` runs our imports with the CSV orders parsed row by row instead of column-wise
(the same results), to measure what the column-wise parser brings on this machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchcommon import PG_ADMIN, ROOT, drop_pg_database, machine, pg_database, write_docs

PG_DB = "regulars_bench_import"
ORDER_HEADER = [
    *("external_id", "customer_external_id", "placed_at", "status", "currency", "sku"),
    *("product_name", "category", "quantity", "unit_price"),
]
SQLITE_REF = "executemany of the CSV rows into a bare table"
SQLITE_STORE_REF = "executemany of the same rows into the store's tables (keys, indexes, FKs)"
PG_REF = "COPY (FORMAT csv) of the file into a bare table"
PG_STORE_REF = "COPY of the same rows into the store's tables (keys, indexes, FKs)"
STATUSES = ["delivered"] * 85 + ["paid"] * 8 + ["shipped"] * 4 + ["cancelled"] * 3


def generate(folder: Path, lines: int, seed: int = 7) -> tuple[Path, Path]:
    """customers.csv (lines / 10 customers) and orders.csv (`lines` order lines, 1–5 per order)."""
    rnd = random.Random(seed)
    n_customers = max(1, lines // 10)
    customers = folder / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "kind", "name", "email", "phone", "language", "birthday"])
        for i in range(n_customers):
            w.writerow(
                [
                    f"C{i:07d}",
                    "company" if i % 17 == 0 else "person",
                    f"Customer {i} Example",
                    f"customer{i}@example.com",
                    f"+1 212 {rnd.randint(200, 999)} {rnd.randint(1000, 9999)}",
                    "en",
                    f"{rnd.randint(1950, 2004)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                ]
            )
    orders = folder / "orders.csv"
    start = datetime(2022, 1, 1, tzinfo=UTC)
    step = timedelta(days=3 * 365) / max(1, lines // 3)
    with orders.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ORDER_HEADER)
        written = order = 0
        while written < lines:
            order += 1
            placed = (start + step * order).isoformat(timespec="seconds")
            customer = f"C{rnd.randrange(n_customers):07d}"
            status = rnd.choice(STATUSES)
            for _ in range(min(rnd.randint(1, 5), lines - written)):
                sku = rnd.randrange(500)
                w.writerow(
                    [
                        f"O{order:08d}",
                        customer,
                        placed,
                        status,
                        "USD",
                        f"SKU-{sku:04d}",
                        f"Product {sku}",
                        f"Category {sku % 20}",
                        rnd.choice(("1", "1", "2", "3", "0.5")),
                        f"{rnd.randint(100, 99_999) / 100:.2f}",
                    ]
                )
                written += 1
    return customers, orders


# -- our import, in a child process ----------------------------------------------------------


def child(kind: str, path: str, url: str) -> None:
    """Run one import the way the CLI does and print the figures as JSON (child process)."""
    sys.path.insert(0, str(ROOT / "src"))
    from regulars.bootstrap import make_app
    from regulars.services.importing import check_file, import_customers, import_orders, order_rows

    if os.environ.get("REGULARS_BENCH_ROW_BY_ROW"):
        order_rows.VECTORISED = False

    app = make_app(url)
    ctx = app.business()
    service = import_customers if kind == "customers" else import_orders
    samples: list[tuple[int, float]] = []

    def progress(done: int, total: int | None) -> None:
        samples.append((done, rss_mb()))

    t0, cpu0 = time.perf_counter(), time.process_time()
    check_file(kind, Path(path))
    result = service(app.engine, ctx=ctx, path=Path(path), progress=progress)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    app.close()
    figures = {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        **result.as_json(),
        "errors": len(result.errors),
    }
    print(json.dumps({**figures, "rss_by_line": samples}))


def rss_mb() -> float:
    """Resident memory now (Linux); elsewhere the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_profile(samples: list[list[float]], n: int) -> str:
    """'after 100,000 lines 180 MB, …': memory as the import advances through the file."""
    marks = [n // 10, n // 2, n]
    out = []
    for mark in marks:
        at = next((mb for done, mb in samples if done >= mark - 1), samples[-1][1])
        out.append(f"{at:.0f} MB after {mark:,} lines")
    return ", ".join(out)


def ours_with_rss(kind: str, path: Path, url: str) -> dict[str, Any]:
    """One of our imports in a fresh process; wait4 gives that process's own peak RSS."""
    cmd = [sys.executable, __file__, "--child", kind, str(path), url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"our {kind} import failed (exit {proc.returncode})")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return figures


# -- the databases' own bulk loads -------------------------------------------------------------


def sqlite_executemany(path: Path, folder: Path) -> float:
    """Rows/s of csv.reader -> executemany into a bare table (WAL, synchronous=NORMAL, as ours)."""
    db = folder / "bare.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE bare ({', '.join(c + ' TEXT' for c in ORDER_HEADER)})")
    marks = ", ".join("?" for _ in ORDER_HEADER)
    t0 = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO bare VALUES ({marks})", reader)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    n = conn.execute("SELECT count(*) FROM bare").fetchone()[0]
    conn.close()
    return n / elapsed


def sqlite_store_tables(imported: Path, folder: Path) -> float:
    """Rows/s of executemany of the rows our import produced into a fresh copy of the store.

    The same keys, indexes and foreign keys as ours, no validation: what the schema itself
    costs on SQLite, so the ratio shows our own overhead on top of it.
    """
    from regulars.bootstrap import make_app

    db = folder / "store-ref.db"
    app = make_app(f"sqlite:///{db}")
    app.upgrade_schema()
    app.close()
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA cache_size=-65536")  # as our import sets it
    conn.execute("ATTACH DATABASE ? AS ours", (str(imported),))
    for parent in ("businesses", "customers", "products"):
        conn.execute(f"INSERT INTO main.{parent} SELECT * FROM ours.{parent}")
    tables = ("orders", "order_lines", "order_status_changes")
    rows = {t: conn.execute(f"SELECT * FROM ours.{t} ORDER BY id").fetchall() for t in tables}
    conn.execute("DETACH DATABASE ours")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for t in tables:
        marks = ", ".join("?" for _ in rows[t][0])
        conn.executemany(f"INSERT INTO {t} VALUES ({marks})", rows[t])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return len(rows["order_lines"]) / elapsed


def pg_copy(path: Path, url: str) -> float:
    """Rows/s of COPY FROM STDIN (FORMAT csv) of the file into a bare typed table."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bare (external_id text, customer_external_id text, "
            "placed_at timestamp, status text, currency text, sku text, product_name text, "
            "category text, quantity numeric, unit_price numeric)"
        )
        t0 = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bare FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as f,
        ):
            while block := f.read(1 << 20):
                copy.write(block)
        elapsed = time.perf_counter() - t0
        row = conn.execute("SELECT count(*) FROM bare").fetchone()
        n = row[0] if row else 0
        conn.execute("DROP TABLE bare")
    return n / elapsed


def pg_copy_store_tables(imported_url: str) -> float:
    """Rows/s of COPY of the rows our import produced into a fresh copy of the store's tables.

    The same keys, indexes and foreign keys as ours, no validation: what the schema itself
    costs, so the ratio shows our own overhead on top of it.
    """
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from regulars.bootstrap import make_app

    name = PG_DB + "_ref"
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    ref_url = make_url(imported_url).set(database=name).render_as_string(hide_password=False)
    app = make_app(ref_url)
    app.upgrade_schema()
    app.close()

    def conninfo(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://")

    def dump(conn: psycopg.Connection, table: str) -> bytes:
        out = bytearray()
        with conn.cursor() as cur, cur.copy(f"COPY {table} TO STDOUT") as copy:
            for block in copy:
                out += block
        return bytes(out)

    try:
        with (
            psycopg.connect(conninfo(imported_url)) as src,
            psycopg.connect(conninfo(ref_url)) as dst,
        ):
            for parent in ("businesses", "customers", "products"):
                data = dump(src, parent)
                with dst.cursor() as cur, cur.copy(f"COPY {parent} FROM STDIN") as copy:
                    copy.write(data)
            dst.commit()
            tables = ("orders", "order_lines", "order_status_changes")
            dumps = {t: dump(src, t) for t in tables}
            t0 = time.perf_counter()
            for t in tables:
                with dst.cursor() as cur, cur.copy(f"COPY {t} FROM STDIN") as copy:
                    copy.write(dumps[t])
            dst.commit()
            elapsed = time.perf_counter() - t0
            row = dst.execute("SELECT count(*) FROM order_lines").fetchone()
            n = row[0] if row else 0
    finally:
        drop_pg_database(name)
    return n / elapsed


# -- report ------------------------------------------------------------------------------------


def schema_note(results: list[tuple[str, float, float, str, float]]) -> list[str]:
    """Why the two ratios of each database differ so much, in the run's own figures."""
    refs = {(name, what): ref for name, _, ref, what, _ in results}
    costs = []
    for name, bare, store in (
        ("SQLite", SQLITE_REF, SQLITE_STORE_REF),
        ("PostgreSQL", PG_REF, PG_STORE_REF),
    ):
        if (name, bare) in refs and (name, store) in refs:
            costs.append(f"{refs[(name, bare)] / refs[(name, store)]:.0f}× on {name}")
    if not costs:
        return []
    return [
        "",
        "Loading the same rows into the store's own tables costs "
        f"{' and '.join(costs)} what a bare table costs: the rows of three tables "
        "(orders, order lines, status history) with their primary keys, nine secondary indexes "
        "and a foreign-key check per reference. The ratio against a bare table measures that "
        "schema as much as our import; the ratio against the same tables measures what "
        "validation, look-ups, hashing and first-deal dates add.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="order lines (default 1,000,000)"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--row-by-row", action="store_true", help="parse CSV orders row by row (for comparison)"
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    n = args.rows
    if args.row_by_row:
        os.environ["REGULARS_BENCH_ROW_BY_ROW"] = "1"  # read by the child processes
    load = os.getloadavg()[0]  # other work on the machine skews every figure: say how much
    n_customers = max(1, n // 10)
    results: list[tuple[str, float, float, str, float]] = []  # db, ours, reference, what, RSS
    with tempfile.TemporaryDirectory(prefix="regulars-bench-") as tmp:
        folder = Path(tmp)
        print(f"generating {n:,} order lines and {n_customers:,} customers …")
        customers, orders = generate(folder, n)

        # Our imports first, each in a fresh child process: the references below load whole
        # tables into this process, and a child forked from a big parent would report the
        # parent's memory as its own peak.
        print("our import into SQLite …")
        url = f"sqlite:///{folder / 'ours.db'}"
        c = ours_with_rss("customers", customers, url)
        o = ours_with_rss("orders", orders, url)
        assert o["imported"] == n, o
        pg = pg_database(PG_DB)
        try:
            if pg:
                print("our import into PostgreSQL …")
                ours_with_rss("customers", customers, pg)
                po = ours_with_rss("orders", orders, pg)
                assert po["imported"] == n, po
            print("the databases' own bulk loads …")
            rate = n / o["seconds"]
            ref = sqlite_executemany(orders, folder)
            results.append(("SQLite", rate, ref, SQLITE_REF, o["rss_mb"]))
            store = sqlite_store_tables(folder / "ours.db", folder)
            results.append(("SQLite", rate, store, SQLITE_STORE_REF, o["rss_mb"]))
            if pg:
                rate = n / po["seconds"]
                results.append(("PostgreSQL", rate, pg_copy(orders, pg), PG_REF, po["rss_mb"]))
                store = pg_copy_store_tables(pg)
                results.append(("PostgreSQL", rate, store, PG_STORE_REF, po["rss_mb"]))
        finally:
            if pg:
                drop_pg_database(PG_DB)

    print()
    parsing = "row by row" if args.row_by_row else "column-wise"
    print(
        f"{n:,} order lines, full validation ({parsing}), {datetime.now(UTC):%Y-%m-%d}, {machine()}"
    )
    print(f"load average when the run started: {load:.1f}")
    print(f"{'database':<12}{'ours rows/s':>13}{'ref rows/s':>13}{'ratio':>7}{'RSS':>8}  reference")
    for name, rate, ref_rate, what, rss in results:
        ratio = rate / ref_rate
        print(f"{name:<12}{rate:>13,.0f}{ref_rate:>13,.0f}{ratio:>7.2f}{rss:>5.0f} MB  {what}")
    cpu = f"CPU time of our import process: SQLite {o['cpu_seconds']:.1f} s"
    if pg:
        cpu += f", PostgreSQL {po['cpu_seconds']:.1f} s (the server's not included)"
    print(f"{cpu}; wall-clock figures above suffer from other load on the machine, CPU time less")
    memory = f"resident memory of our SQLite import: {rss_profile(o['rss_by_line'], n)}"
    customers_rate = (
        f"customers (phones and e-mails validated): {c['imported'] / c['seconds']:,.0f} rows/s"
    )
    print(memory)
    print(customers_rate)
    if args.write_docs:
        table = [
            "| database | ours (rows/s) | reference (rows/s) | ratio | reference | peak RSS |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for name, rate, ref_rate, what, rss in results:
            table.append(
                f"| {name} | {rate:,.0f} | {ref_rate:,.0f} | {rate / ref_rate:.2f} | {what} "
                f"| {rss:.0f} MB |"
            )
        write_docs(
            "\n".join(
                [
                    "## Import",
                    "",
                    f"`python bench/import_bench.py --rows {n}`, {datetime.now(UTC):%Y-%m-%d}, "
                    f"{machine()}; load average {load:.1f} when the run started"
                    + (f", run at niceness {os.nice(0)}." if os.nice(0) else "."),
                    "",
                    f"{n:,} order lines (1–5 per order, {n_customers:,} customers) in one CSV "
                    "file, "
                    f"imported with full validation, CSV parsed {parsing} (dates, decimals, "
                    "currencies, statuses, "
                    "customers looked up, content hash, upsert into orders, order lines and status "
                    "history, first-deal dates). Ours is the import itself, timed in a fresh "
                    "process after start-up; each reference is measured in the same run.",
                    "",
                    *table,
                    "",
                    f"Memory: {memory}; it grows only until the bounded caches are full (64 MB "
                    "of SQLite pages, 100,000 customers, 20,000 timestamps), whatever the size of "
                    f"the file. Import of {customers_rate}.",
                    *schema_note(results),
                ]
            )
        )


if __name__ == "__main__":
    main()
