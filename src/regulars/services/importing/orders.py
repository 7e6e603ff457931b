"""`regulars import orders`: validated orders into the store, one transaction per chunk.

Set-based per chunk: customers, products and existing orders are looked up with one query
each, new rows get reserved ids and go in with the driver's bulk path (COPY on PostgreSQL).
A content hash per order makes re-imports idempotent; `import_batch_id` marks what this run
already wrote, which is how an order id repeated later in the same file is caught without
holding every id in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from regulars.domain.orders import OrderStatus
from regulars.services.context import BusinessContext
from regulars.services.importing.columns import ORDERS, ColumnMap
from regulars.services.importing.first_deal import refresh_first_deals, set_first_deals
from regulars.services.importing.order_rows import Chunk, OrderRows, ParsedOrder
from regulars.services.importing.reading import Source
from regulars.services.importing.runner import (
    ImportResult,
    Job,
    Native,
    Progress,
    Rejects,
    run_import,
)
from regulars.services.importing.sql import keys, lookup, one_of, table_of
from regulars.services.importing.values import Dates, RowError
from regulars.store.bulk import allocate_ids, insert_rows
from regulars.store.tables import Customer, Order, OrderLine, OrderStatusChange, Product

_customers = table_of(Customer)
_orders = table_of(Order)
_lines = table_of(OrderLine)
_changes = table_of(OrderStatusChange)
_products = table_of(Product)

ORDER_COLUMNS = (
    "id",
    "tenant_id",
    "external_id",
    "customer_id",
    "currency",
    "total_minor",
    "placed_at",
    "status",
    "status_changed_at",
    "store",
    "channel",
    "import_hash",
    "import_batch_id",
    "created_at",
)
LINE_COLUMNS = (
    "id",
    "tenant_id",
    "order_id",
    "line_no",
    "product_id",
    "quantity",
    "unit_price_minor",
    "line_total_minor",
)
CHANGE_COLUMNS = ("id", "tenant_id", "order_id", "from_status", "to_status", "at", "note")
PRODUCT_COLUMNS = ("id", "tenant_id", "sku", "name", "category", "unit_cost_minor", "cost_currency")
_EXISTING_COLUMNS = (
    *("external_id", "id", "import_hash", "import_batch_id", "customer_id", "status"),
    "status_changed_at",
)
_PRODUCT_CACHE = 500_000
_CANCELLED = OrderStatus.CANCELLED.value


def import_orders(
    engine: Engine,
    *,
    ctx: BusinessContext,
    path: Path,
    dry_run: bool = False,
    date_format: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an orders file (one row per order line); see docs/import.md for the columns."""

    def chunks(source: Source, cmap: ColumnMap, dates: Dates) -> Iterator[Chunk]:
        typed = source.path.suffix.lower() in (".xlsx", ".xlsm")
        rows = OrderRows(cmap, dates, ctx.default_currency, typed_cells=typed)
        return rows.chunks(source.rows)

    def writer(
        conn: Connection, batch_id: int, rejects: Rejects, result: ImportResult, dates: Dates
    ) -> OrderWriter:
        return OrderWriter(conn, ctx, batch_id, rejects, result, dates)

    job = Job(ORDERS, chunks, lambda c: c.last_line, writer)
    return run_import(
        engine,
        job,
        path=path,
        timezone=ctx.timezone,
        tenant_id=ctx.tenant_id,
        dry_run=dry_run,
        date_format=date_format,
        progress=progress,
    )


@dataclass(slots=True)
class _Buyer:
    id: int
    first_deal_on: date | None
    overridden: bool
    exact: bool  # reached through a merge: recompute its first deal from all its orders


@dataclass(slots=True)
class _Existing:
    id: int
    hash: str | None
    batch_id: int | None
    customer_id: int
    status: str
    status_changed_at: datetime


class OrderWriter:
    """Stores one chunk of parsed orders; every order goes in whole or is rejected whole."""

    def __init__(
        self,
        conn: Connection,
        ctx: BusinessContext,
        batch_id: int,
        rejects: Rejects,
        result: ImportResult,
        dates: Dates,
    ) -> None:
        self.conn = conn
        self.ctx = ctx
        self.tenant = ctx.tenant_id
        self.batch = batch_id
        self.rejects = rejects
        self.result = result
        self.dates = dates
        self.native = Native(conn.dialect.name)
        self.products: dict[str, int] = {}
        self.now = datetime.now(UTC)

    def write(self, chunk: Chunk) -> None:
        seen: dict[str, int] = {}
        valid: list[ParsedOrder] = []
        for o in chunk.orders:
            if o.errors:
                self._reject(o)
            elif o.external_id in seen:
                self._reject_repeat(o, seen[o.external_id])
            else:
                seen[o.external_id] = o.first_line
                valid.append(o)
        buyers = self._buyers({o.customer_ref for o in valid})
        known: list[ParsedOrder] = []
        for o in valid:
            buyer = buyers.get(o.customer_ref)
            if isinstance(buyer, _Buyer):
                known.append(o)
            else:
                reason = buyer or (
                    f"no customer with external_id {o.customer_ref!r} (import customers first)"
                )
                self._reject(o, RowError(o.first_line, "customer_external_id", reason))
        existing = self._existing([o.external_id for o in known])
        new: list[ParsedOrder] = []
        changed: list[tuple[ParsedOrder, _Existing]] = []
        same: list[int] = []
        for o in known:
            old = existing.get(o.external_id)
            if old is None:
                new.append(o)
            elif old.batch_id == self.batch:
                self._reject_repeat(o, None)
            elif old.hash == o.hash:
                same.append(old.id)
                self.result.unchanged += len(o.rows)
            else:
                changed.append((o, old))
        self._ensure_products([*new, *(o for o, _ in changed)])
        exact: set[int] = {b.id for b in buyers.values() if isinstance(b, _Buyer) and b.exact}
        self._insert(new, buyers)
        self._update(changed, buyers, exact)
        if same:
            self.conn.execute(
                update(_orders)
                .where(one_of(self.conn, _orders.c.id, "ids"))
                .values(import_batch_id=self.batch),
                {"ids": keys(self.conn, same)},
            )
        self._first_deals(new, buyers, exact)

    # -- rejects ----------------------------------------------------------------------------

    def _reject(self, o: ParsedOrder, error: RowError | None = None) -> None:
        if error is not None:
            o.errors.append(error)
        for line, values, errors in o.rejected_rows():
            self.rejects.reject(line, values, errors)

    def _reject_repeat(self, o: ParsedOrder, first: int | None) -> None:
        where = f" (line {first})" if first else ""
        reason = (
            f"order {o.external_id!r} appears earlier in this file{where}; "
            "the lines of one order must be consecutive"
        )
        self._reject(o, RowError(o.first_line, "external_id", reason))

    # -- look-ups ---------------------------------------------------------------------------

    def _buyers(self, refs: set[str]) -> dict[str, _Buyer | str]:
        """Customer per external id; a merged one leads to the customer it was merged into."""
        rows = lookup(
            self.conn,
            _customers,
            (
                "external_id",
                "id",
                "status",
                "merged_into_id",
                "first_deal_on",
                "first_deal_overridden",
            ),
            tenant_id=self.tenant,
            key="external_id",
            values=sorted(refs),
        )
        found: dict[str, _Buyer | str] = {}
        for ref, cid, status, merged_into, first_deal, overridden in rows:
            if status == "merged" and merged_into is not None:
                found[ref] = _Buyer(merged_into, None, False, True)
            elif status == "erased":
                found[ref] = f"customer {ref!r} was erased; their orders are not imported"
            else:
                if isinstance(first_deal, str):
                    first_deal = date.fromisoformat(first_deal)
                found[ref] = _Buyer(cid, first_deal, bool(overridden), False)
        return found

    def _existing(self, ids: list[str]) -> dict[str, _Existing]:
        rows = lookup(
            self.conn,
            _orders,
            _EXISTING_COLUMNS,
            tenant_id=self.tenant,
            key="external_id",
            values=ids,
        )
        found = {}
        for ext, oid, old_hash, batch, customer, status, since in rows:
            if isinstance(since, str):
                since = datetime.fromisoformat(since).replace(tzinfo=UTC)
            found[ext] = _Existing(oid, old_hash, batch, customer, status, since)
        return found

    def _ensure_products(self, orders: list[ParsedOrder]) -> None:
        """Products by SKU, created the first time a SKU is seen (name, category, unit cost)."""
        cache = self.products
        wanted: dict[str, tuple[Any, ...]] = {}
        for o in orders:
            for sku, name, category, _q, _p, _t, cost in o.lines:
                if sku not in cache and sku not in wanted:
                    wanted[sku] = (name or sku, category, cost, o.currency if cost else None)
        if not wanted:
            return
        if len(cache) + len(wanted) > _PRODUCT_CACHE:
            cache.clear()
        p = _products.c
        rows = self.conn.execute(
            select(p.sku, p.id).where(p.tenant_id == self.tenant, one_of(self.conn, p.sku, "skus")),
            {"skus": keys(self.conn, list(wanted))},
        )
        for sku, pid in rows:
            cache[sku] = pid
        missing = [sku for sku in wanted if sku not in cache]
        if not missing:
            return
        ids = allocate_ids(self.conn, _products, len(missing))
        rows_out = []
        for pid, sku in zip(ids, missing, strict=True):
            name, category, cost, currency = wanted[sku]
            rows_out.append((pid, self.tenant, sku, name, category, cost, currency))
            cache[sku] = pid
        insert_rows(self.conn, _products, PRODUCT_COLUMNS, rows_out, batched=True)

    # -- writes -----------------------------------------------------------------------------

    def _line_rows(self, orders: list[tuple[int, ParsedOrder]]) -> list[tuple[Any, ...]]:
        n = sum(len(o.lines) for _, o in orders)
        ids = iter(allocate_ids(self.conn, _lines, n))
        tenant = self.tenant
        products = self.products
        qty = float if self.native.sqlite else None
        out = []
        for oid, o in orders:
            for no, (sku, _n, _c, q, price, total, _cost) in enumerate(o.lines, 1):
                out.append(
                    (next(ids), tenant, oid, no, products[sku], qty(q) if qty else q, price, total)
                )
        return out

    def _insert(self, new: list[ParsedOrder], buyers: dict[str, _Buyer | str]) -> None:
        if not new:
            return
        conn = self.conn
        n = len(new)
        order_ids = allocate_ids(conn, _orders, n)
        change_ids = allocate_ids(conn, _changes, n)
        moment = self.native.moment
        tenant, batch = self.tenant, self.batch
        created = moment(self.now)
        orders_out = []
        changes_out = []
        rows = 0
        for o, oid, sid in zip(new, order_ids, change_ids, strict=True):
            buyer = buyers[o.customer_ref]
            assert isinstance(buyer, _Buyer)
            placed = moment(o.placed_at)
            since = moment(o.status_changed_at) if o.status_changed_at else placed
            orders_out.append(
                (
                    *(oid, tenant, o.external_id, buyer.id, o.currency, o.total_minor, placed),
                    *(o.status, since, o.store, o.channel, o.hash, batch, created),
                )
            )
            changes_out.append((sid, tenant, oid, None, o.status, since, "imported"))
            rows += len(o.rows)
        insert_rows(conn, _orders, ORDER_COLUMNS, orders_out, batched=True)
        lines = self._line_rows(list(zip(order_ids, new, strict=True)))
        insert_rows(conn, _lines, LINE_COLUMNS, lines, batched=True)
        insert_rows(conn, _changes, CHANGE_COLUMNS, changes_out, batched=True)
        self.result.imported += rows

    def _update(
        self,
        changed: list[tuple[ParsedOrder, _Existing]],
        buyers: dict[str, _Buyer | str],
        exact: set[int],
    ) -> None:
        """A changed order takes the file's values and lines; a new status enters the history."""
        if not changed:
            return
        params = []
        history = []
        for o, old in changed:
            buyer = buyers[o.customer_ref]
            assert isinstance(buyer, _Buyer)
            moved = o.status != old.status
            since = o.status_changed_at or (self.now if moved else old.status_changed_at)
            params.append(
                {
                    "b_id": old.id,
                    "b_customer": buyer.id,
                    "b_currency": o.currency,
                    "b_total": o.total_minor,
                    "b_placed": o.placed_at,
                    "b_status": o.status,
                    "b_since": since,
                    "b_store": o.store,
                    "b_channel": o.channel,
                    "b_hash": o.hash,
                }
            )
            if moved:
                history.append((old.id, old.status, o.status, since))
            exact.update((old.customer_id, buyer.id))
            self.result.updated += len(o.rows)
        self.conn.execute(
            update(_orders)
            .where(_orders.c.id == bindparam("b_id"))
            .values(
                customer_id=bindparam("b_customer"),
                currency=bindparam("b_currency"),
                total_minor=bindparam("b_total"),
                placed_at=bindparam("b_placed"),
                status=bindparam("b_status"),
                status_changed_at=bindparam("b_since"),
                store=bindparam("b_store"),
                channel=bindparam("b_channel"),
                import_hash=bindparam("b_hash"),
                import_batch_id=self.batch,
            ),
            params,
        )
        ids = [old.id for _, old in changed]
        self.conn.execute(
            delete(_lines).where(one_of(self.conn, _lines.c.order_id, "ids")),
            {"ids": keys(self.conn, ids)},
        )
        lines = self._line_rows([(old.id, o) for o, old in changed])
        insert_rows(self.conn, _lines, LINE_COLUMNS, lines, batched=True)
        if history:
            change_ids = allocate_ids(self.conn, _changes, len(history))
            moment = self.native.moment
            rows = [
                (cid, self.tenant, oid, before, after, moment(at), "import")
                for cid, (oid, before, after, at) in zip(change_ids, history, strict=True)
            ]
            insert_rows(self.conn, _changes, CHANGE_COLUMNS, rows, batched=True)

    def _first_deals(
        self, new: list[ParsedOrder], buyers: dict[str, _Buyer | str], exact: set[int]
    ) -> None:
        """New orders can only move a first deal earlier: compare in memory, write the moves."""
        earliest: dict[int, date] = {}
        current: dict[int, date | None] = {}
        local = self.dates.local_date
        for o in new:
            buyer = buyers[o.customer_ref]
            assert isinstance(buyer, _Buyer) and o.placed_at is not None
            if o.status == _CANCELLED or buyer.overridden or buyer.id in exact:
                continue
            day = local(o.placed_at)
            best = earliest.get(buyer.id)
            if best is None or day < best:
                earliest[buyer.id] = day
                current[buyer.id] = buyer.first_deal_on
        moves: dict[int, date | None] = {
            cid: day for cid, day in earliest.items() if (now := current[cid]) is None or day < now
        }
        set_first_deals(self.conn, dates=moves)
        refresh_first_deals(
            self.conn, tenant_id=self.tenant, customer_ids=exact, timezone=self.ctx.timezone
        )
