"""What an orders chunk needs from the store: its customers, its products, its existing orders.

Customers and products are cached across chunks (bounded), because a regular and a best-seller
appear in many chunks of a big file; each miss is one set-based query per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from regulars.services.importing.sql import lookup, table_of
from regulars.store.bulk import allocate_ids, insert_rows
from regulars.store.tables import Customer, Order, Product

_customers = table_of(Customer)
_orders = table_of(Order)
_products = table_of(Product)
PRODUCT_COLUMNS = ("id", "tenant_id", "sku", "name", "category", "unit_cost_minor", "cost_currency")
_EXISTING_COLUMNS = (
    *("external_id", "id", "import_hash", "import_batch_id", "customer_id", "status"),
    "status_changed_at",
)
_BUYER_COLUMNS = (
    *("external_id", "id", "status", "merged_into_id", "first_deal_on"),
    "first_deal_overridden",
)
_PRODUCT_CACHE = 500_000
_CUSTOMER_CACHE = 100_000


@dataclass(slots=True)
class Buyer:
    id: int
    first_deal_on: date | None
    overridden: bool
    exact: bool  # reached through a merge: recompute its first deal from all its orders


@dataclass(slots=True)
class Existing:
    id: int
    hash: str | None
    batch_id: int | None
    customer_id: int
    status: str
    status_changed_at: datetime


class References:
    """Look-ups for one import, on its connection, with bounded caches."""

    def __init__(self, conn: Connection, tenant_id: int) -> None:
        self.conn = conn
        self.tenant = tenant_id
        self.products: dict[str, int] = {}
        self.buyers: dict[str, Buyer | str] = {}
        # customers whose cached first deal is stale: recompute theirs from all their orders
        self.exact_ids: set[int] = set()

    # -- look-ups ---------------------------------------------------------------------------

    def buyers_of(self, refs: set[str]) -> dict[str, Buyer | str]:
        """Customer per external id; a merged one leads to the customer it was merged into.

        Kept across chunks (bounded): a regular appears in many chunks of a big file.
        """
        cache = self.buyers
        unknown = refs - cache.keys()
        if len(cache) + len(unknown) + len(self.exact_ids) > _CUSTOMER_CACHE:
            cache.clear()
            self.exact_ids.clear()
            unknown = refs
        if unknown:
            cache.update(self._look_up_buyers(unknown))
        return cache

    def _look_up_buyers(self, refs: set[str]) -> dict[str, Buyer | str]:
        rows = lookup(
            self.conn,
            _customers,
            _BUYER_COLUMNS,
            tenant_id=self.tenant,
            key="external_id",
            values=sorted(refs),
        )
        found: dict[str, Buyer | str] = {}
        for ref, cid, status, merged_into, first_deal, overridden in rows:
            if status == "merged" and merged_into is not None:
                found[ref] = Buyer(merged_into, None, False, True)
            elif status == "erased":
                found[ref] = f"customer {ref!r} was erased; their orders are not imported"
            else:
                if isinstance(first_deal, str):
                    first_deal = date.fromisoformat(first_deal)
                found[ref] = Buyer(cid, first_deal, bool(overridden), False)
        return found

    def existing(self, ids: list[str]) -> dict[str, Existing]:
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
            found[ext] = Existing(oid, old_hash, batch, customer, status, since)
        return found

    def ensure_products(
        self,
        described: dict[str, tuple[str, str | None, int | None, str | None]],
        skus: Callable[[], Iterable[str]],
    ) -> None:
        """Products by SKU, created the first time a SKU is seen (name, category, unit cost).

        `described` has every SKU of the chunk: once the cache knows them all (the usual case
        after the first chunks), `skus` (those of the lines to be written) is not called.
        """
        cache = self.products
        unknown = described.keys() - cache.keys()
        if not unknown:
            return
        wanted = unknown.intersection(skus())
        if not wanted:
            return
        if len(cache) + len(wanted) > _PRODUCT_CACHE:
            cache.clear()
        rows = lookup(
            self.conn,
            _products,
            ("sku", "id"),
            tenant_id=self.tenant,
            key="sku",
            values=sorted(wanted),
        )
        for sku, pid in rows:
            cache[sku] = pid
        missing = sorted(sku for sku in wanted if sku not in cache)
        if not missing:
            return
        ids = allocate_ids(self.conn, _products, len(missing))
        out = []
        for pid, sku in zip(ids, missing, strict=True):
            out.append((pid, self.tenant, sku, *described[sku]))
            cache[sku] = pid
        insert_rows(self.conn, _products, PRODUCT_COLUMNS, out, batched=True)
