"""API read benchmark: look-ups a CRM screen and a till make, over HTTP against bare SQL.

In one run, on PostgreSQL with the demo business (`regulars demo --customers N`, default
1,000,000) and personal cards for a sample of its customers:

- ours: `regulars serve` in a subprocess, C concurrent clients (threads, one keep-alive
  connection each) for T seconds per look-up: `GET /v1/customers/{id}` (the customer page
  data), search by phone prefix and by name prefix (`GET /v1/customers/search`), a card's
  balance (`GET /v1/cards/{number}`); p50 / p95 / p99 latency and requests/s;
- the reference: the same look-ups as bare SQL through psycopg with C threads (the customer row
  with its phones, e-mails, addresses, notes and contacts; an indexed prefix match on phones
  and on name keys; the card row), p50 / p95 / p99 and the ratio.

Targets (issue 6): p95 < 100 ms for the customer page data, < 20 ms for a card balance.

    python bench/api_bench.py [--customers 1000000] [--cards 5000] [--seconds 10]
                              [--clients 8] [--workers 2] [--keep] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchcommon import PG_ADMIN, drop_pg_database, machine, pg_database, start_api, write_docs
from regulars.bootstrap import make_app
from regulars.domain.loyalty.program import ProgramSpec, RuleSpec
from regulars.domain.names import fold
from regulars.services.loyalty import create_program, issue_card
from regulars.store.api_tables import add_api_key

DB = "regulars_bench_api"
TARGETS = {"customer page": 100.0, "card balance": 20.0}  # p95 in ms


@dataclass
class Result:
    label: str
    latencies: list[float]
    seconds: float
    errors: int = 0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def build(url: str, customers: int, cards: int) -> None:
    """The demo business, then personal cards for a sample of its customers."""
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "regulars", "demo", "--customers", str(customers)]
    subprocess.run([*cmd, "--no-serve", "--db", url], check=True, stdout=subprocess.DEVNULL)
    app = make_app(url)
    try:
        ctx = app.business()
        spec = ProgramSpec(
            "CLUB", ctx.default_currency, rules=RuleSpec(cashback_percent=Decimal(5))
        )
        create_program(app.uow(), ctx=ctx, spec=spec)
        with app.engine.connect() as c:
            ids = c.execute(
                text("SELECT id FROM customers WHERE tenant_id = :t ORDER BY random() LIMIT :n"),
                {"t": ctx.tenant_id, "n": cards},
            ).scalars()
            sample = list(ids)
        for cid in sample:
            issue_card(app.uow(), ctx=ctx, program="CLUB", customer=cid)
    finally:
        app.close()
    print(f"built {customers:,} customers and {cards:,} cards in {time.perf_counter() - t0:.0f} s")


def samples(url: str) -> dict[str, list[str]]:
    """What the clients ask for: customer ids, phone and name prefixes, card numbers."""
    eng = create_engine(url)
    with eng.connect() as c:
        ids = [
            str(i)
            for i in c.execute(
                text("SELECT id FROM customers ORDER BY random() LIMIT 5000")
            ).scalars()
        ]
        phones = [
            p[:-4]
            for p in c.execute(
                text("SELECT e164 FROM phones ORDER BY random() LIMIT 2000")
            ).scalars()
        ]
        names = [
            n.split()[0][:5]
            for n in c.execute(
                text("SELECT display_name FROM customers ORDER BY random() LIMIT 2000")
            ).scalars()
            if n and len(n.split()[0]) >= 3
        ]
        cards = list(c.execute(text("SELECT number FROM loyalty_cards")).scalars())
    eng.dispose()
    return {"ids": ids, "phones": phones, "names": names, "cards": cards}


def load(
    label: str, clients: int, seconds: float, make: Callable[[], Callable[[random.Random], None]]
) -> Result:
    """`clients` threads, each with its own connection (from `make`), for `seconds`."""
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        rng = random.Random(i)
        call = make()
        mine: list[float] = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                call(rng)
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(label, lat, time.perf_counter() - t0, errors[0])


def http_calls(
    base: str, key: str, s: dict[str, list[str]]
) -> dict[str, Callable[[], Callable[[random.Random], None]]]:
    def maker(
        path: Callable[[random.Random], str],
    ) -> Callable[[], Callable[[random.Random], None]]:
        def make() -> Callable[[random.Random], None]:
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
            )

            def call(rng: random.Random) -> None:
                r = client.get(path(rng))
                if r.status_code != 200:
                    raise RuntimeError(r.status_code)

            return call

        return make

    return {
        "customer page": maker(lambda r: f"/v1/customers/{r.choice(s['ids'])}"),
        "search phone prefix": maker(lambda r: f"/v1/customers/search?q={r.choice(s['phones'])}"),
        "search name prefix": maker(lambda r: f"/v1/customers/search?q={r.choice(s['names'])}"),
        "card balance": maker(lambda r: f"/v1/cards/{r.choice(s['cards'])}"),
    }


PAGE_SQL = [
    "SELECT * FROM customers WHERE tenant_id = %s AND id = %s",
    "SELECT * FROM phones WHERE tenant_id = %s AND customer_id = %s",
    "SELECT * FROM emails WHERE tenant_id = %s AND customer_id = %s",
    "SELECT * FROM addresses WHERE tenant_id = %s AND customer_id = %s",
    "SELECT * FROM notes WHERE tenant_id = %s AND customer_id = %s ORDER BY created_at",
    "SELECT * FROM contacts WHERE tenant_id = %s AND customer_id = %s",
    "SELECT * FROM consents WHERE tenant_id = %s AND customer_id = %s",
]


def prefix_range(prefix: str) -> tuple[str, str]:
    """A prefix match the (tenant_id, column) B-tree answers: `LIKE 'p%'` cannot use it under a
    database collation other than C (the server's C.UTF-8 included), a range in code-point order
    can, and matches the same rows."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def sql_calls(
    dsn: str, tenant: int, s: dict[str, list[str]]
) -> dict[str, Callable[[], Callable[[random.Random], None]]]:
    def maker(
        run: Callable[[psycopg.Connection[Any], random.Random], None],
    ) -> Callable[[], Callable[[random.Random], None]]:
        def make() -> Callable[[random.Random], None]:
            conn = psycopg.connect(dsn, autocommit=True)
            return lambda rng: run(conn, rng)

        return make

    def page(conn: psycopg.Connection[Any], rng: random.Random) -> None:
        cid = int(rng.choice(s["ids"]))
        for q in PAGE_SQL:
            conn.execute(q, (tenant, cid)).fetchall()

    def phone(conn: psycopg.Connection[Any], rng: random.Random) -> None:
        conn.execute(
            "SELECT customer_id FROM phones WHERE tenant_id = %s AND e164 >= %s AND e164 < %s "
            "LIMIT 20",
            (tenant, *prefix_range(rng.choice(s["phones"]))),
        ).fetchall()

    def name(conn: psycopg.Connection[Any], rng: random.Random) -> None:
        conn.execute(
            "SELECT id FROM customers WHERE tenant_id = %s AND name_key >= %s AND name_key < %s "
            "LIMIT 20",
            (tenant, *prefix_range(fold(rng.choice(s["names"])))),
        ).fetchall()

    def card(conn: psycopg.Connection[Any], rng: random.Random) -> None:
        conn.execute(
            "SELECT * FROM loyalty_cards WHERE tenant_id = %s AND number = %s",
            (tenant, rng.choice(s["cards"])),
        ).fetchall()

    return {
        "customer page": maker(page),
        "search phone prefix": maker(phone),
        "search name prefix": maker(name),
        "card balance": maker(card),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--cards", type=int, default=5_000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keep", action="store_true", help="reuse the database of an earlier run")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    if a.keep:  # the database of an earlier run (REGULARS_BENCH_DROP=0)
        url: str | None = make_url(PG_ADMIN).set(database=DB).render_as_string(hide_password=False)
    else:
        url = pg_database(DB)
        if url is None:
            raise SystemExit("PostgreSQL is needed for this benchmark")
        build(url, a.customers, a.cards)
    assert url is not None
    app = make_app(url)
    ctx = app.business()
    with app.uow() as uow:
        key = add_api_key(uow.session, tenant_id=ctx.tenant_id, name="bench", role="owner").key
    app.close()
    s = samples(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    proc, base = start_api(url, a.workers)
    load_before = os.getloadavg()[0]
    rows = []
    try:
        ours = http_calls(base, key, s)
        ref = sql_calls(dsn, ctx.tenant_id, s)
        for label in ours:
            load(label, a.clients, 2, ours[label])  # warm caches and pools
            o = load(label, a.clients, a.seconds, ours[label])
            r = load(label, a.clients, a.seconds, ref[label])
            rows.append((label, o, r))
    finally:
        proc.terminate()
        proc.wait(10)
    when = datetime.now(UTC).date()
    lines = [
        f"`python bench/api_bench.py --customers {a.customers} --cards {a.cards} "
        f"--clients {a.clients} --workers {a.workers}` on {when}, {machine()}; load average "
        f"{load_before:.1f} when the look-ups started, {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| look-up | ours p50 / p95 / p99 (ms) | ours req/s | bare SQL p50 / p95 / p99 (ms) "
        "| SQL req/s | p95 ratio | target p95 |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for label, o, r in rows:
        target = (
            f"< {TARGETS[label]:.0f} ms: {'met' if o.pct(0.95) < TARGETS[label] else 'NOT met'}"
            if label in TARGETS
            else ""
        )
        ours_ms = f"{o.pct(0.5):.1f} / {o.pct(0.95):.1f} / {o.pct(0.99):.1f}"
        sql_ms = f"{r.pct(0.5):.1f} / {r.pct(0.95):.1f} / {r.pct(0.99):.1f}"
        lines.append(
            f"| {label} | {ours_ms} | {o.rate:,.0f} | {sql_ms} | {r.rate:,.0f} | "
            f"{o.pct(0.95) / r.pct(0.95):.1f} | {target} |"
        )
        if o.errors or r.errors:
            lines.append(f"| (errors: ours {o.errors}, SQL {r.errors}) | | | | | | |")
    print("\n".join(lines))
    if a.write_docs:
        write_docs("## API reads\n\n" + "\n".join(lines))
    if not a.keep and os.environ.get("REGULARS_BENCH_DROP", "1") == "1":
        drop_pg_database(DB)


if __name__ == "__main__":
    main()
