"""`regulars import orders`: validated orders into the store, a chunk at a time.

Set-based per chunk: customers, products and existing orders are looked up with one query
each, new rows get reserved ids and go in with the driver's bulk path (COPY on PostgreSQL).
A content hash per order makes re-imports idempotent; `import_batch_id` marks what this run
already wrote, which is how an order id repeated later in the same file is caught without
holding every id in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, delete, insert, literal, null, select, update

from regulars.domain.orders import OrderStatus
from regulars.services.context import BusinessContext
from regulars.services.importing.columns import ORDERS, ColumnMap
from regulars.services.importing.first_deal import refresh_first_deals, set_first_deals
from regulars.services.importing.order_hash import is_legacy, legacy_hash
from regulars.services.importing.order_parts import Chunk, OrderColumns, ParsedOrder
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
from regulars.store.bulk import allocate_ids, insert_columns, insert_rows
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
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_T = TypeVar("_T")


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
        checks_references=True,
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
        self._products_written: set[int] = set()
        self.first_status_run = insert(_changes).from_select(
            columns, first.where(o.id.between(bindparam("lo"), bindparam("hi")))
        )

    def write(self, chunk: Chunk) -> None:
        c = chunk.columns
        for o in c.failed.values():
            self._reject(o)
        valid = [g for g in range(len(c)) if g not in c.failed] if c.failed else [*range(len(c))]
        valid = self._first_occurrences(c, valid)
        refs = [c.customers[g] for g in valid]
        buyers = self.refs.buyers_of(set(refs))
        # per customer rather than per order: a chunk has fewer customers than orders
        distinct = {ref: buyers.get(ref) for ref in set(refs)}
        # customers whose first deal is recomputed from all their orders rather than compared
        # in memory: reached through a merge, or touched that way earlier in this import
        exact: set[int] = set()
        stale = self.refs.exact_ids
        for b in distinct.values():
            if isinstance(b, Buyer) and (b.exact or b.id in stale):
                exact.add(b.id)
        known: list[int] = valid  # orders (their index in the chunk) ...
        owners: list[Buyer] = list(map(distinct.__getitem__, refs))  # type: ignore[arg-type]
        if not all(isinstance(b, Buyer) for b in distinct.values()):
            known, owners = [], []  # ... and their customers
            for g, ref in zip(valid, refs, strict=True):
                buyer = distinct[ref]
                if isinstance(buyer, Buyer):
                    known.append(g)
                    owners.append(buyer)
                else:
                    reason = buyer or (
                        f"no customer with external_id {ref!r} (import customers first)"
                    )
                    error = RowError(c.first_line(g), "customer_external_id", reason)
                    self._reject(c.order(g), error)
        existing = self.refs.existing([c.ids[g] for g in known])
        new, new_owners = known, owners
        changed: list[tuple[int, Buyer, Existing]] = []
        same: list[int] = []
        rehashed: list[tuple[int, str]] = []  # unchanged since an older version hashed them
        if existing:
            new, new_owners = [], []
            for g, buyer in zip(known, owners, strict=True):
                old = existing.get(c.ids[g])
                if old is None:
                    new.append(g)
                    new_owners.append(buyer)
                elif old.batch_id == self.batch:
                    self._reject_repeat(c.order(g), None)
                elif old.hash == c.hashes[g]:
                    same.append(old.id)
                    self.result.unchanged += c.sizes[g]
                elif is_legacy(old.hash) and old.hash == legacy_hash(c.order(g)):
                    same.append(old.id)
                    rehashed.append((old.id, c.hashes[g]))
                    self.result.unchanged += c.sizes[g]
                else:
                    changed.append((g, buyer, old))
        writes = [*new, *(g for g, _, _ in changed)]
        self.refs.ensure_products(chunk.products, lambda: _pick(c.skus, _line_indexes(c, writes)))
        self._insert(c, new, new_owners)
        self._update(c, changed, exact)
        if same:
            self.conn.execute(
                update(_orders)
                .where(one_of(self.conn, _orders.c.id, "ids"))
                .values(import_batch_id=self.batch),
                {"ids": keys(self.conn, same)},
            )
            update_rows(self.conn, _orders, ["import_hash"], rehashed)
        by_id = {b.id: b for b in distinct.values() if isinstance(b, Buyer)}
        self._first_deals(c, new, new_owners, by_id, exact)
        if self.native.sqlite:
            customers = {b.id for b in new_owners} | {b.id for _, b, _ in changed}
            self._check_references(customers, self._products_written)
        self._products_written = set()

    def _check_references(self, customers: set[int], products: set[int]) -> None:
        """The customers and products this chunk refers to are there, in its own transaction.

        SQLite's per-row foreign-key look-ups are off for the import (`Job.checks_references`);
        the ids came from look-ups, possibly in an earlier chunk, and this is their check: one
        query per chunk instead of one look-up per row.
        """
        sql = (
            "SELECT (SELECT count(*) FROM customers WHERE id IN (SELECT value FROM json_each(?))),"
            " (SELECT count(*) FROM products WHERE id IN (SELECT value FROM json_each(?)))"
        )
        raw: Any = self.conn.connection.driver_connection
        found = raw.execute(sql, (json.dumps(list(customers)), json.dumps(list(products))))
        if tuple(found.fetchone()) != (len(customers), len(products)):
            raise RuntimeError(
                "a customer or product this import refers to was deleted while it ran; "
                "run the import again"
            )

    def _first_occurrences(self, c: OrderColumns, valid: list[int]) -> list[int]:
        """An order id repeated within the chunk: the first occurrence wins."""
        ids = c.ids
        if len(set(map(ids.__getitem__, valid))) == len(valid):
            return valid
        seen: dict[str, int] = {}
        keep = []
        for g in valid:
            first = seen.get(ids[g])
            if first is None:
                seen[ids[g]] = c.first_line(g)
                keep.append(g)
            else:
                self._reject_repeat(c.order(g), first)
        return keep

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

    def _insert_lines(self, c: OrderColumns, orders: list[int], order_ids: list[int]) -> int:
        """The lines of these orders (chunk indexes), stored under `order_ids`; their count."""
        rows = _line_indexes(c, orders)
        sizes = _pick(c.sizes, orders)
        skus = _pick(c.skus, rows)
        n = len(skus)
        values = [
            [self.tenant] * n,
            np.repeat(np.array(order_ids, dtype=np.int64), sizes).tolist(),
            _pick(c.line_numbers, rows),
            products := list(map(self.refs.products.__getitem__, skus)),
            _pick(c.stored_quantities, rows),
            _pick(c.prices, rows),
            _pick(c.line_totals, rows),
        ]
        insert_columns(self.conn, _lines, LINE_COLUMNS, values)
        self._products_written.update(products)
        return n

    def _insert(self, c: OrderColumns, new: list[int], owners: list[Buyer]) -> None:
        if not new:
            return
        conn = self.conn
        n = len(new)
        order_ids = allocate_ids(conn, _orders, n)
        values: list[Sequence[Any]] = [
            order_ids,
            [self.tenant] * n,
            *(_pick(col, new) for col in (c.ids,)),
            [b.id for b in owners],
            *(_pick(col, new) for col in (c.currencies, c.totals, c.placed_native, c.statuses)),
            *(_pick(col, new) for col in (c.since_native, c.stores, c.channels, c.hashes)),
            [self.batch] * n,
            [self.native.moment(self.now)] * n,
        ]
        insert_columns(conn, _orders, ORDER_COLUMNS, values)
        rows = self._insert_lines(c, new, order_ids)
        # the first status of each order, written by the database from the rows just inserted
        if order_ids[-1] - order_ids[0] + 1 == n:  # one run of ids, as usual
            conn.execute(self.first_status_run, {"lo": order_ids[0], "hi": order_ids[-1]})
        else:
            conn.execute(self.first_status, {"ids": keys(conn, order_ids)})
        self.result.imported += rows

    def _update(
        self,
        c: OrderColumns,
        changed: list[tuple[int, Buyer, Existing]],
        exact: set[int],
    ) -> None:
        """A changed order takes the file's values and lines; a new status enters the history."""
        if not changed:
            return
        params = []
        history = []
        for g, buyer, old in changed:
            o = c.order(g)
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
        ids = [old.id for _, _, old in changed]
        self.conn.execute(
            delete(_lines).where(one_of(self.conn, _lines.c.order_id, "ids")),
            {"ids": keys(self.conn, ids)},
        )
        self._insert_lines(c, [g for g, _, _ in changed], ids)
        if history:
            change_ids = allocate_ids(self.conn, _changes, len(history))
            moment = self.native.moment
            rows = [
                (cid, self.tenant, oid, before, after, moment(at), "updated by import")
                for cid, (oid, before, after, at) in zip(change_ids, history, strict=True)
            ]
            insert_rows(self.conn, _changes, CHANGE_COLUMNS, rows, batched=True)

    def _first_deals(
        self,
        c: OrderColumns,
        new: list[int],
        owners: list[Buyer],
        by_id: dict[int, Buyer],
        exact: set[int],
    ) -> None:
        """New orders can only move a first deal earlier: compare in memory, write the moves.

        `by_id` has the chunk's customers: one `Buyer` per customer outside `exact`.
        """
        moves: dict[int, date | None] = {}
        if new:
            ids = np.array([b.id for b in owners], dtype=np.int64)
            days = c.days[new] if len(new) < len(c) else c.days
            counted = np.array(_pick(c.statuses, new)) != _CANCELLED
            skip = [cid for cid, b in by_id.items() if b.overridden or cid in exact]
            if skip:
                counted &= ~np.isin(ids, skip)
            ids, days = ids[counted], days[counted]
            order = np.lexsort((days, ids))  # by customer, then day: each one's earliest first
            ids, days = ids[order], days[order]
            first = np.flatnonzero(np.append(True, ids[1:] != ids[:-1])) if len(ids) else ids
            for cid, day in zip(ids[first].tolist(), days[first].tolist(), strict=True):
                now = by_id[cid].first_deal_on
                if now is None or day < now.toordinal() - _EPOCH_ORDINAL:
                    moves[cid] = date.fromordinal(day + _EPOCH_ORDINAL)
        set_first_deals(self.conn, dates=moves)
        for cid, day in moves.items():  # keep the cached customers in step with the store
            by_id[cid].first_deal_on = day
        refresh_first_deals(
            self.conn, tenant_id=self.tenant, customer_ids=exact, timezone=self.ctx.timezone
        )
        self.refs.exact_ids |= exact  # their cached first deal is stale from now on


def _line_indexes(c: OrderColumns, orders: list[int]) -> list[int] | None:
    """The rows of these orders (None: every row of the chunk, the usual case)."""
    if len(orders) == len(c):
        return None
    picked = np.zeros(len(c), dtype=bool)
    picked[orders] = True
    rows: list[int] = np.flatnonzero(np.repeat(picked, c.sizes)).tolist()
    return rows


def _pick(column: Sequence[_T], indexes: list[int] | None) -> list[_T]:
    """These entries of a column (None or all of them: the column itself)."""
    if indexes is None or len(indexes) == len(column):
        return column if isinstance(column, list) else list(column)
    return [column[i] for i in indexes]
