"""Where analytics run: DuckDB over the SQLite file, PostgreSQL itself, or any Ibis backend.

Every table expression handed out here is already filtered by the tenant, so no analytic can
forget it. Money stays integer minor units inside expressions and becomes Decimal at the edge.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
from sqlalchemy.engine import make_url

from regulars.domain.money import from_minor, minor_units
from regulars.domain.orders import REVENUE

T = TypeVar("T")
# DuckDB spills to disk beyond this, so a 10M-order pipeline stays well under 4 GB of RSS.
DUCKDB_MEMORY_LIMIT = os.environ.get("REGULARS_DUCKDB_MEMORY_LIMIT", "2GB")
_names = itertools.count()


def tune_duckdb(con: Any) -> None:
    """Cap DuckDB's memory (it spills beyond it) and use every core the process may run on."""
    limit = DUCKDB_MEMORY_LIMIT.replace("'", "")
    con.raw_sql(f"SET memory_limit = '{limit}'")
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    con.raw_sql(f"SET threads = {max(cores, 1)}")


@dataclass(frozen=True, slots=True)
class Scope:
    """The business the figures are for: its tenant, its currency and its clock."""

    tenant_id: int
    currency: str
    timezone: str = "UTC"


@dataclass
class Store:
    """An Ibis connection plus tenant-filtered table expressions of the regulars schema."""

    con: Any  # an ibis BaseBackend
    scope: Scope
    database: str | None = None  # the attached catalog (DuckDB over SQLite) or None
    cached: dict[str, ir.Table] = field(default_factory=dict)
    snapshot: bool = False  # True after materialize(): shared facts are computed once
    memo: dict[Hashable, Any] = field(default_factory=dict)

    def materialize(self, copy: bool = True) -> None:
        """Take a snapshot: from now on this Store computes shared facts (per-customer facts,
        shares, the typical rhythm…) once and reuses them, so later order changes are not seen.

        With `copy`, the orders and revenue lines are also copied once into the engine's own
        (columnar) storage: worth it over a SQLite file, where every query would re-scan it.
        """
        self.cached.pop("orders", None)
        self.cached.pop("lines", None)
        self.memo.clear()
        self.snapshot = True
        if not copy:
            return
        orders = self.con.create_table("regulars_orders", self.orders(), temp=True, overwrite=True)
        self.cached["orders"] = orders
        lines = self.con.create_table("regulars_lines", self._lines(), temp=True, overwrite=True)
        self.cached["lines"] = lines

    def shared(self, key: Hashable, build: Callable[[], ir.Table]) -> ir.Table:
        """The table `build()` makes, computed once per snapshot (a temp table on DuckDB).

        Without a snapshot, or where the engine cannot keep a temp table, it stays an
        expression: the results are the same, only computed again.
        """
        if not self.snapshot:
            return build()
        if key not in self.memo:
            expr = build()
            if getattr(self.con, "name", "") == "duckdb":
                name = f"regulars_shared_{next(_names)}"
                expr = self.con.create_table(name, expr, temp=True, overwrite=True)
            self.memo[key] = expr
        return self.memo[key]

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A Python result computed once per snapshot (e.g. the typical rhythm)."""
        if not self.snapshot:
            return compute()
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def table(self, name: str) -> ir.Table:
        t = self.con.table(name, database=self.database)
        return t.filter(t.tenant_id == self.scope.tenant_id)

    @property
    def utc_offset(self) -> timedelta:
        """The business's current offset from UTC, used to put orders on local days and months."""
        off = datetime.now(ZoneInfo(self.scope.timezone)).utcoffset()
        return off or timedelta(0)

    def orders(self) -> ir.Table:
        """All orders in the business currency: order_id, customer_id, amount, status, placed_at
        (naive UTC) and day (local date). Orders in another currency are left out."""
        if "orders" in self.cached:
            return self.cached["orders"]
        o = self.table("orders")
        o = o.filter(o.currency == self.scope.currency)
        placed = o.placed_at.cast("timestamp")
        seconds = int(self.utc_offset.total_seconds())
        return o.select(
            order_id=o.id,
            customer_id=o.customer_id,
            amount=o.total_minor,
            status=o.status,
            placed_at=placed,
            day=(placed + ibis.interval(seconds=seconds)).date(),
        )

    def sales(self, as_of: date | None) -> ir.Table:
        """Orders whose money counts as revenue (domain.orders.REVENUE), up to the end of as_of
        (None: every day)."""
        o = self.orders()
        o = o.filter(o.status.isin(sorted(REVENUE)))
        return o if as_of is None else o.filter(o.day <= as_of)

    def _lines(self) -> ir.Table:
        """Order lines of revenue orders with the order's customer, time, day and category."""
        s = self.orders()
        s = s.filter(s.status.isin(sorted(REVENUE)))
        lines = self.table("order_lines")
        products = self.table("products")
        j = s.join(lines, s.order_id == lines.order_id).join(
            products, lines.product_id == products.id
        )
        return j.select(
            customer_id=s.customer_id,
            day=s.day,
            placed_at=s.placed_at,
            category=products.category.fill_null("(none)"),
            amount=lines.line_total_minor,
        )

    def sale_lines(self, as_of: date) -> ir.Table:
        """Revenue order lines up to as_of: customer_id, day, placed_at, category, amount."""
        t = self.cached["lines"] if "lines" in self.cached else self._lines()
        return t.filter(t.day <= as_of)

    def customers(self) -> ir.Table:
        """Active customers (merged and erased ones are gone) with manager and department."""
        c = self.table("customers")
        c = c.filter(c.status == "active")
        return c.select(
            customer_id=c.id,
            name=c.display_name,
            kind=c.kind,
            manager_id=c.manager_id,
            department_id=c.department_id,
            birthday=c.birthday,
            founded_on=c.founded_on,
            first_deal_on=c.first_deal_on,
        )

    def staff(self) -> ir.Table:
        s = self.table("staff_users")
        return s.select(
            manager_id=s.id,
            email=s.email,
            manager_name=s.display_name,
            manager_department_id=s.department_id,
            active=s.active.cast("boolean"),
        )

    def departments(self) -> ir.Table:
        d = self.table("departments")
        return d.select(department_id=d.id, department=d.name)

    def money(self, minor: float | int | None) -> Decimal:
        """Minor units (maybe a float from an average) -> Decimal in the business currency."""
        if minor is None or minor != minor:  # None or NaN
            minor = 0
        whole = Decimal(str(minor)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return from_minor(int(whole), self.scope.currency)

    def to_minor_units(self, amount: Decimal) -> int:
        return int(amount.scaleb(minor_units(self.scope.currency)))

    def day_start_utc(self, day: date) -> datetime:
        """Local midnight of `day` as a naive UTC time (the way placed_at is compared)."""
        local = datetime.combine(day, time(0), tzinfo=ZoneInfo(self.scope.timezone))
        return local.astimezone(UTC).replace(tzinfo=None)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.scope.timezone)).date()

    def close(self) -> None:
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()


def _sqlite_scanner() -> Path:
    """The SQLite extension shipped in the PyPI package: DuckDB cannot download it here."""
    import duckdb_extension_sqlite_scanner as pkg

    found = sorted(Path(pkg.__path__[0]).glob("extensions/*/sqlite_scanner.duckdb_extension"))
    if not found:
        raise RuntimeError("duckdb-extension-sqlite-scanner is installed without its extension")
    return found[-1]


def connect(database_url: str, scope: Scope) -> Store:
    """A Store for a regulars database URL.

    SQLite: an in-process DuckDB attaches the file read only (columnar, parallel). PostgreSQL:
    Ibis's postgres backend, so the work runs inside the server. Anything else: build the Ibis
    backend yourself and use `from_backend`.
    """
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        path = url.database
        if not path or path == ":memory:":
            raise ValueError("analytics need a SQLite file, not an in-memory database")
        con = ibis.duckdb.connect()
        tune_duckdb(con)
        ext = str(_sqlite_scanner()).replace("'", "''")
        con.raw_sql(f"INSTALL '{ext}'")
        con.raw_sql("LOAD sqlite_scanner")
        file = str(Path(path).resolve()).replace("'", "''")
        con.raw_sql(f"ATTACH '{file}' AS regulars_store (TYPE sqlite, READ_ONLY)")
        return Store(con, scope, database="regulars_store")
    if url.drivername.startswith(("postgresql", "postgres")):
        con = ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
        )
        # Row-level security (connected as the application role): this connection is the
        # business's own, for its whole life.
        con.raw_sql(f"SELECT set_config('regulars.tenant', '{int(scope.tenant_id)}', false)")
        return Store(con, scope)
    raise ValueError(
        f"no analytics backend for {url.drivername!r}: connect an Ibis backend and use from_backend"
    )


def from_backend(con: Any, scope: Scope, database: str | None = None) -> Store:
    """Run the analytics on any Ibis backend holding the regulars tables (PySpark, Snowflake…)."""
    return Store(con, scope, database=database)


def top_n(t: ir.Table, order_by: list[Any], n: int | None) -> ir.Table:
    """The first n rows in order, via row_number rather than LIMIT.

    DuckDB 1.5.5 fails with an internal error on a LIMIT over some window + join plans read from
    SQLite; a row-number filter gives the same rows on every engine.
    """
    t = t.order_by(order_by)
    if n is None:
        return t
    ranked = t.mutate(_rank=ibis.row_number().over(order_by=order_by))
    return ranked.filter(ranked._rank < n).drop("_rank").order_by(order_by)
