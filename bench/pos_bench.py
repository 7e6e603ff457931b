"""Point-of-sale benchmark: accrue + redeem over HTTP against `pgbench -N` on the same server.

In one run:

- PostgreSQL: a scratch database with a cashback program and N cards holding a balance; the API
  (`regulars serve`, uvicorn) in a subprocess; C concurrent clients (threads, one keep-alive
  connection each) repeat accrue + redeem pairs on random cards for T seconds: operations/s
  (one operation = one POST), p50 / p99 latency;
- the reference: `pgbench -N` (simple update) in its own scratch database on the same server,
  `-c 8 -j 2 -T 15`, transactions/s; the ratio is our operations/s ÷ pgbench's tps;
- SQLite: the same load against the API on a SQLite file (throughput).

    python bench/pos_bench.py [--cards 200] [--seconds 15] [--clients 8] [--workers 2]
                              [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchcommon import PG_ADMIN, drop_pg_database, machine, pg_database, start_api, write_docs
from regulars.bootstrap import make_app
from regulars.domain.loyalty.program import ProgramSpec, RuleSpec
from regulars.services.loyalty import accrue, create_program, issue_card
from regulars.store.api_tables import add_api_key

PG_DB = "regulars_bench_pos"
PGBENCH_DB = "regulars_bench_pgbench"
CURRENCY = "EUR"
START_BALANCE = "1000.00"


@dataclass
class Load:
    label: str
    workers: int
    operations: int
    errors: int
    seconds: float
    latencies: list[float]
    waits: str = ""
    cpu: dict[str, float] | None = None  # CPU seconds during the load: api, postgresql, clients

    @property
    def ops(self) -> float:
        return self.operations / self.seconds

    def cpu_ms(self) -> dict[str, float]:
        """CPU milliseconds per operation, by process group."""
        return {k: v * 1000 / max(self.operations, 1) for k, v in (self.cpu or {}).items()}

    def cpu_bound_ops(self) -> float:
        """Operations/s if all the machine's cores did only this work (CPU-bound ceiling)."""
        per_op = sum((self.cpu or {}).values()) / max(self.operations, 1)
        return (os.cpu_count() or 1) / per_op if per_op else float("nan")

    def cpu_text(self) -> str:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in self.cpu_ms().items())
        return f"CPU ms per operation: {parts}; CPU-bound ceiling {self.cpu_bound_ops():,.0f} ops/s"

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000 if data else float("nan")


def prepare(url: str, cards: int) -> tuple[str, list[str]]:
    """A cashback program (5 %), `cards` bearer cards with a balance each, and an API key."""
    app = make_app(url)
    try:
        app.upgrade_schema()
        ctx = app.business()
        rules = RuleSpec(cashback_percent=Decimal(5))
        create_program(app.uow(), ctx=ctx, spec=ProgramSpec("BENCH", CURRENCY, rules=rules))
        numbers = []
        for i in range(cards):
            number = issue_card(app.uow(), ctx=ctx, program="BENCH", bearer=True).number
            accrue(
                app.uow(),
                ctx=ctx,
                card=number,
                order=f"seed-{i}",
                amount="20000.00",  # earns 1,000.00 at 5 %
                currency=CURRENCY,
            )
            numbers.append(number)
        with app.uow() as uow:
            key = add_api_key(uow.session, tenant_id=ctx.tenant_id, name="bench").key
        return key, numbers
    finally:
        app.close()


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone or not visible)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            out += _tree(int(child))
    return out


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the API (visible when the server is local)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def run_load(base: str, key: str, cards: list[str], clients: int, seconds: float) -> Load:
    """`clients` threads, each with one keep-alive connection, doing accrue + redeem pairs."""
    stop = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def client(i: int) -> None:
        rnd = random.Random(i)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                card, order = rnd.choice(cards), f"o-{uuid.uuid4().hex}"
                for path, body in (
                    ("/v1/pos/accrue", {"card": card, "order": order, "amount": "20.00"}),
                    ("/v1/pos/redeem", {"card": card, "order": order, "amount": "1.00"}),
                ):
                    body["currency"] = CURRENCY
                    started = time.perf_counter()
                    res = http.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                    latencies[i].append(time.perf_counter() - started)
                    if res.status_code != 200:
                        errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for xs in latencies for x in xs]
    return Load("", 0, len(flat), sum(errors), elapsed, flat)


def api_load(url: str, label: str, args: argparse.Namespace, workers: int) -> Load:
    print(f"{label}: {args.cards} cards, API with {workers} worker(s) …", flush=True)
    key, cards = prepare(url, args.cards)
    proc, base = start_api(url, workers)
    sampler = WaitSampler(url) if url.startswith("postgresql") else None
    try:
        run_load(base, key, cards, args.clients, 2)  # warm-up: connections, caches
        api_pids = _tree(proc.pid)
        db_pids = _backends(url) if url.startswith("postgresql") else []
        before = [sum(map(_proc_cpu, api_pids)), sum(map(_proc_cpu, db_pids)), time.process_time()]
        if sampler:
            sampler.start()
        load = run_load(base, key, cards, args.clients, args.seconds)
        after = [sum(map(_proc_cpu, api_pids)), sum(map(_proc_cpu, db_pids)), time.process_time()]
        load.cpu = {
            "API": after[0] - before[0],
            **({"PostgreSQL": after[1] - before[1]} if db_pids else {}),
            "clients": after[2] - before[2],
        }
    finally:
        if sampler:
            load_waits = sampler.stop()
        proc.terminate()
        proc.wait(timeout=30)
    load.label, load.workers = label, workers
    print(
        f"  {load.ops:,.0f} ops/s, p50 {load.pct(0.5):.1f} ms, p99 {load.pct(0.99):.1f} ms, "
        f"{load.errors} errors",
        flush=True,
    )
    print(f"  {load.cpu_text()}", flush=True)
    if sampler:
        load.waits = load_waits
        print(f"  PostgreSQL backends of the API were: {load.waits}", flush=True)
    return load


class WaitSampler:
    """What the API's PostgreSQL sessions are doing, sampled every 0.2 s during the load:
    shows whether time goes to the server's CPU, to I/O or to waiting for row locks."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        query = text(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'running') FROM "
            "pg_stat_activity WHERE datname = current_database() AND state = 'active' "
            "AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(0.2):
                self.counts.update(conn.execute(query).scalars())
                conn.rollback()

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()
        total = sum(self.counts.values()) or 1
        return ", ".join(f"{k} {v / total:.0%}" for k, v in self.counts.most_common(4))


def pgbench(seconds: int) -> float | None:
    """`pgbench -N -c 8 -j 2` transactions/s in a scratch database of the same server."""
    url = pg_database(PGBENCH_DB)
    if url is None:
        return None
    u = make_url(PG_ADMIN)
    conn = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", *conn, PGBENCH_DB], env=env, check=True, capture_output=True
        )
        out = subprocess.run(
            ["pgbench", "-N", "-c", "8", "-j", "2", "-T", str(seconds), *conn, PGBENCH_DB],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        drop_pg_database(PGBENCH_DB)
    found = re.search(r"tps = ([0-9.]+)", out)
    return float(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers on PostgreSQL")
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="one database only")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    loads: list[Load] = []
    tps = None
    pg = pg_database(PG_DB) if args.only != "sqlite" else None
    if pg:
        try:
            loads.append(api_load(pg, "PostgreSQL", args, args.workers))
        finally:
            drop_pg_database(PG_DB)
        print("pgbench -N -c 8 -j 2 …", flush=True)
        tps = pgbench(int(args.seconds))
        print(f"  {tps:,.0f} tps" if tps else "  pgbench failed")
    if args.only == "postgresql":
        return report(loads, tps, args)
    with tempfile.TemporaryDirectory(prefix="regulars-pos-bench-") as tmp:
        loads.append(
            api_load(f"sqlite:///{Path(tmp) / 'pos.db'}", "SQLite", args, args.sqlite_workers)
        )
    report(loads, tps, args)


def report(loads: list[Load], tps: float | None, args: argparse.Namespace) -> None:
    print()
    head = f"{'database':<12}{'workers':>8}{'ops/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}"
    print(head + "  vs pgbench -N")
    rows = []
    for x in loads:
        ratio = f"{x.ops / tps:.2f} × ({tps:,.0f} tps)" if tps and x.label == "PostgreSQL" else "–"
        print(
            f"{x.label:<12}{x.workers:>8}{x.ops:>9,.0f}{x.pct(0.5):>8.1f}{x.pct(0.99):>8.1f}"
            f"{x.errors:>8}  {ratio}"
        )
        rows.append(
            f"| {x.label} | {x.workers} | {x.ops:,.0f} | {x.pct(0.5):.1f} | {x.pct(0.99):.1f} | "
            f"{x.errors} | {ratio} |"
        )
    if not args.write_docs:
        return
    lines = [
        "## Point of sale",
        "",
        f"`python bench/pos_bench.py --seconds {args.seconds:g} --clients {args.clients}` on "
        f"{datetime.now(UTC):%Y-%m-%d}, {machine()}.",
        "",
        f"{args.clients} concurrent HTTP clients (threads, one keep-alive connection each) repeat "
        "`POST /v1/pos/accrue` + `POST /v1/pos/redeem` on random cards of a 5 % cashback "
        f"program ({args.cards} cards) for {args.seconds:g} s against `regulars serve` "
        "(uvicorn); one operation is one POST, a full ledger transaction (idempotency check, "
        "card lock, balanced postings, lots, the card's cached balances). The reference is "
        f"`pgbench -N -c 8 -j 2 -T {int(args.seconds)}` (simple update) against the same "
        "PostgreSQL server in the same run. Clients, server and database share the machine's "
        "cores; the CPU each spent per operation (from /proc) gives the throughput the cores "
        "could carry if they did nothing else (the machine was shared with other work while "
        "measured).",
        "",
        "| database | uvicorn workers | ops/s | p50 ms | p99 ms | errors | ratio to pgbench -N |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
    ]
    lines += ["", *(f"- {x.label}: {x.cpu_text()}." for x in loads if x.cpu)]
    pg = [x for x in loads if x.label == "PostgreSQL"]
    if pg and tps:
        met = pg[0].ops >= 0.2 * tps and pg[0].pct(0.99) < 50
        lines += [
            "",
            f"Targets (≥ 0.2 × pgbench -N and p99 < 50 ms): {'met' if met else 'NOT met'}.",
        ]
    waits = [x.waits for x in loads if x.waits]
    if waits:
        lines += [
            "",
            "While the load ran, the API's active PostgreSQL sessions were (sampled every "
            f"0.2 s): {waits[0]}. `Lock:transactionid` is a transaction waiting for a row "
            "another one holds until it commits.",
        ]
    write_docs("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
