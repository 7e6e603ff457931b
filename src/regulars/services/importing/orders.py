"""`regulars import orders`: validated orders into the store, a chunk at a time.

Set-based per chunk: customers, products and existing orders are looked up with one query
each, new rows get reserved ids and go in with the driver's bulk path (COPY on PostgreSQL).
A content hash per order makes re-imports idempotent; `import_batch_id` marks what this run
already wrote, which is how an order id repeated later in the same file is caught without
holding every id in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, literal, null, select, update

from regulars.domain.orders import OrderStatus
from regulars.services.context import BusinessContext
from regulars.services.importing.columns import ORDERS, ColumnMap
from regulars.services.importing.first_deal import refresh_first_deals, set_first_deals
from regulars.services.importing.order_hash import is_legacy, legacy_hash
from regulars.services.importing.order_parts import Chunk, ParsedOrder
from regulars.services.importing.order_refs import Buyer, Existing, References
from regulars.services.importing.order_rows import OrderRows
from regulars.services.importing.reading import Source
from regulars.services.importing.runner import (
    ImportResult,
    Job,
    Progress,
    Rejects,
    WriterBase,
    run_import,
)
from regulars.services.importing.sql import Native, keys, one_of, table_of, update_rows
from regulars.services.importing.values import Dates, RowError
from regulars.store.bulk import allocate_ids, insert_rows
from regulars.store.tables import Order, OrderLine, OrderStatusChange

_orders = table_of(Order)
_lines = table_of(OrderLine)
_changes = table_of(OrderStatusChange)

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
LINE_COLUMNS = (  # no id: nothing refers to a line, so the database numbers them
    "tenant_id",
    "order_id",
    "line_no",
    "product_id",
    "quantity",
    "unit_price_minor",
    "line_total_minor",
)
CHANGE_COLUMNS = ("id", "tenant_id", "order_id", "from_status", "to_status", "at", "note")
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

    def chunks(source: Source, cmap: ColumnMap, dates: Dates, native: Native) -> Iterator[Chunk]:
        rows = OrderRows(
            cmap,
            dates,
            ctx.default_currency,
            native,
            typed_cells=source.typed,
            decimal_comma=source.delimiter == ";",
        )
        return rows.chunks(source.rows)

    def writer(
        conn: Connection, batch_id: int, rejects: Rejects, result: ImportResult, dates: Dates
    ) -> OrderWriter:
        return OrderWriter(conn, ctx, batch_id, rejects, result, dates)

    job = Job(
        ORDERS,
        chunks,
        lambda c: c.last_line,
        writer,
        ("orders", "order_lines", "order_status_changes", "products"),
    )
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


class OrderWriter(WriterBase):
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
        super().__init__(conn, ctx, batch_id, rejects, result)
        self.dates = dates
        self.refs = References(conn, ctx.tenant_id)
        o = _orders.c
        columns = ["tenant_id", "order_id", "from_status", "to_status", "at", "note"]
        first = select(
            o.tenant_id, o.id, null(), o.status, o.status_changed_at, literal("imported")
        )
        self.first_status = insert(_changes).from_select(
            columns, first.where(one_of(conn, o.id, "ids"))
        )

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
        buyers = self.refs.buyers_of({o.customer_ref for o in valid})
        known: list[ParsedOrder] = []
        # customers whose first deal is recomputed from all their orders rather than compared
        # in memory: reached through a merge, or touched that way earlier in this import
        exact: set[int] = set()
        stale = self.refs.exact_ids
        for o in valid:
            buyer = buyers.get(o.customer_ref)
            if isinstance(buyer, Buyer):
                known.append(o)
                if buyer.exact or buyer.id in stale:
                    exact.add(buyer.id)
            else:
                reason = buyer or (
                    f"no customer with external_id {o.customer_ref!r} (import customers first)"
                )
                self._reject(o, RowError(o.first_line, "customer_external_id", reason))
        existing = self.refs.existing([o.external_id for o in known])
        new: list[ParsedOrder] = []
        changed: list[tuple[ParsedOrder, Existing]] = []
        same: list[int] = []
        rehashed: list[tuple[int, str]] = []  # unchanged since an older version hashed them
        for o in known:
            old = existing.get(o.external_id)
            if old is None:
                new.append(o)
            elif old.batch_id == self.batch:
                self._reject_repeat(o, None)
            elif old.hash == o.hash:
                same.append(old.id)
                self.result.unchanged += len(o.rows)
            elif is_legacy(old.hash) and old.hash == legacy_hash(o):
                same.append(old.id)
                rehashed.append((old.id, o.hash))
                self.result.unchanged += len(o.rows)
            else:
                changed.append((o, old))
        self.refs.ensure_products(chunk.products, [*new, *(o for o, _ in changed)])
        self._insert(new, buyers)
        self._update(changed, buyers, exact)
        if same:
            self.conn.execute(
                update(_orders)
                .where(one_of(self.conn, _orders.c.id, "ids"))
                .values(import_batch_id=self.batch),
                {"ids": keys(self.conn, same)},
            )
            update_rows(self.conn, _orders, ["import_hash"], rehashed)
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

    # -- writes -----------------------------------------------------------------------------

    def _line_rows(self, orders: list[tuple[int, ParsedOrder]]) -> list[list[Any]]:
        """The prepared line rows, with the tenant, order id and product id filled in."""
        tenant = self.tenant
        products = self.refs.products
        out: list[list[Any]] = []
        for oid, o in orders:
            for row in o.line_rows:
                row[0] = tenant
                row[1] = oid
                if type(row[3]) is str:  # not yet filled in (an order is written once)
                    row[3] = products[row[3]]
            out += o.line_rows
        return out

    def _insert(self, new: list[ParsedOrder], buyers: dict[str, Buyer | str]) -> None:
        if not new:
            return
        conn = self.conn
        n = len(new)
        order_ids = allocate_ids(conn, _orders, n)
        tenant, batch = self.tenant, self.batch
        created = self.native.moment(self.now)
        orders_out = []
        rows = 0
        for o, oid in zip(new, order_ids, strict=True):
            orders_out.append(
                (
                    oid,
                    tenant,
                    o.external_id,
                    buyers[o.customer_ref].id,  # type: ignore[union-attr]
                    o.currency,
                    o.total_minor,
                    o.placed_native,
                    o.status,
                    o.since_native,
                    o.store,
                    o.channel,
                    o.hash,
                    batch,
                    created,
                )
            )
            rows += len(o.rows)
        insert_rows(conn, _orders, ORDER_COLUMNS, orders_out, batched=True)
        lines = self._line_rows(list(zip(order_ids, new, strict=True)))
        insert_rows(conn, _lines, LINE_COLUMNS, lines, batched=True)
        # the first status of each order, written by the database from the rows just inserted
        conn.execute(self.first_status, {"ids": keys(conn, order_ids)})
        self.result.imported += rows

    def _update(
        self,
        changed: list[tuple[ParsedOrder, Existing]],
        buyers: dict[str, Buyer | str],
        exact: set[int],
    ) -> None:
        """A changed order takes the file's values and lines; a new status enters the history."""
        if not changed:
            return
        params = []
        history = []
        for o, old in changed:
            buyer = buyers[o.customer_ref]
            assert isinstance(buyer, Buyer)
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
                (cid, self.tenant, oid, before, after, moment(at), "updated by import")
                for cid, (oid, before, after, at) in zip(change_ids, history, strict=True)
            ]
            insert_rows(self.conn, _changes, CHANGE_COLUMNS, rows, batched=True)

    def _first_deals(
        self, new: list[ParsedOrder], buyers: dict[str, Buyer | str], exact: set[int]
    ) -> None:
        """New orders can only move a first deal earlier: compare in memory, write the moves."""
        earliest: dict[int, date] = {}
        current: dict[int, date | None] = {}
        for o in new:
            buyer = buyers[o.customer_ref]
            assert isinstance(buyer, Buyer) and o.local_day is not None
            if o.status == _CANCELLED or buyer.overridden or buyer.id in exact:
                continue
            best = earliest.get(buyer.id)
            if best is None or o.local_day < best:
                earliest[buyer.id] = o.local_day
                current[buyer.id] = buyer.first_deal_on
        moves: dict[int, date | None] = {
            cid: day for cid, day in earliest.items() if (now := current[cid]) is None or day < now
        }
        set_first_deals(self.conn, dates=moves)
        for o in new if moves else ():  # keep the cached customers in step with the store
            buyer = buyers[o.customer_ref]
            if isinstance(buyer, Buyer) and buyer.id in moves:
                buyer.first_deal_on = moves[buyer.id]
        refresh_first_deals(
            self.conn, tenant_id=self.tenant, customer_ids=exact, timezone=self.ctx.timezone
        )
        self.refs.exact_ids |= exact  # their cached first deal is stale from now on
