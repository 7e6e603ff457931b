"""Key accounts: customers above 10 % (configurable) of trailing-12-month revenue of the
company, a department or a manager; the key kinds people flag by hand; suggested innovators.

Trend compares the customer's revenue with the 365 days before: up / down beyond +-10 %,
flat in between, new when they bought nothing then. A manager with more than three key
accounts (company or department level) gets a warning: one person cannot care for more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store
from regulars.analytics.facts import YEAR, customer_categories
from regulars.analytics.numbers import share
from regulars.analytics.shares import Level, customer_names, group_names, group_shares

NEW_CATEGORY_AFTER_DAYS = 30  # a category first sold this long after the business began is new
INNOVATOR_FRACTION = 0.025


@dataclass(frozen=True, slots=True)
class KeyAccount:
    level: str
    group_id: int
    group: str
    customer_id: int
    name: str
    revenue: Decimal
    share: Decimal
    previous_revenue: Decimal
    previous_share: Decimal | None
    trend: str  # up | down | flat | new
    kinds: list[str] = field(default_factory=list)  # manual flags


@dataclass(frozen=True, slots=True)
class FlaggedAccount:
    customer_id: int
    name: str
    kinds: list[str]


@dataclass(frozen=True, slots=True)
class ManagerWarning:
    manager_id: int
    manager: str
    key_accounts: int
    customer_ids: list[int]


@dataclass(frozen=True, slots=True)
class Innovator:
    customer_id: int
    name: str
    categories: list[str]


@dataclass(frozen=True, slots=True)
class KeyAccountsResult:
    as_of: date
    level: str
    threshold: Decimal
    currency: str
    accounts: list[KeyAccount]
    flagged: list[FlaggedAccount]
    warnings: list[ManagerWarning]
    suggested_innovators: list[Innovator]


def _trend(now: int, before: int) -> str:
    if before <= 0:
        return "new"
    change = (now - before) / before
    return "up" if change > 0.10 else "down" if change < -0.10 else "flat"


def _key_rows(store: Store, as_of: date, level: Level, threshold: float) -> list[dict]:
    g = group_shares(store, as_of, level)
    g = g.filter(g.share > threshold)
    p = group_shares(store, as_of - timedelta(days=YEAR), level)
    p = p.select(pg=p.group_id, pc=p.customer_id, prev_revenue=p.revenue, prev_share=p.share)
    j = g.left_join(p, (g.group_id == p.pg) & (g.customer_id == p.pc))
    j = j.select("group_id", "customer_id", "revenue", "share", "prev_revenue", "prev_share")
    return j.order_by([j.group_id, ibis.desc(j.share), j.customer_id]).to_pyarrow().to_pylist()


def flags(store: Store) -> dict[int, list[str]]:
    """Manual key kinds per customer, read from the store."""
    f = store.table("analytics_key_account_flags").select("customer_id", "kind")
    out: dict[int, list[str]] = {}
    for r in f.order_by(["customer_id", "kind"]).to_pyarrow().to_pylist():
        out.setdefault(int(r["customer_id"]), []).append(r["kind"])
    return out


def innovators_expr(store: Store, as_of: date) -> ir.Table:
    """customer_id, category: the earliest 2.5 % (at least one) of buyers of each new category."""
    fc = customer_categories(store, as_of)
    per_cat = ibis.window(group_by=fc.category)
    fc = fc.mutate(
        launched=fc.first.min().over(per_cat),
        buyers=fc.count().over(per_cat),
        rank=ibis.row_number().over(
            ibis.window(group_by=fc.category, order_by=[fc.first, fc.customer_id])
        ),
        began=fc.first.min().over(ibis.window()),
    )
    new = fc.launched > fc.began + ibis.interval(days=NEW_CATEGORY_AFTER_DAYS)
    cutoff = (fc.buyers.cast("float64") * INNOVATOR_FRACTION).ceil().clip(lower=1)
    return fc.filter(new & (fc.rank < cutoff)).select("customer_id", "category")


def suggested_innovators(store: Store, as_of: date) -> list[Innovator]:
    """Innovators do not depend on the level: computed once per snapshot."""
    return store.remember(("innovators", as_of), lambda: _innovators(store, as_of))


def _innovators(store: Store, as_of: date) -> list[Innovator]:
    rows = innovators_expr(store, as_of).to_pyarrow().to_pylist()
    cats: dict[int, list[str]] = {}
    for r in rows:
        cats.setdefault(int(r["customer_id"]), []).append(r["category"])
    names = customer_names(store, list(cats))
    return [Innovator(c, names.get(c, ""), sorted(v)) for c, v in sorted(cats.items())]


def key_accounts(
    store: Store,
    as_of: date,
    level: Level = "company",
    threshold: float = 0.10,
    max_per_manager: int = 3,
) -> KeyAccountsResult:
    rows = _key_rows(store, as_of, level, threshold)
    manual = flags(store)
    groups = group_names(store, level)
    ids = {int(r["customer_id"]) for r in rows} | set(manual)
    names = customer_names(store, sorted(ids))
    accounts = [
        KeyAccount(
            level=level,
            group_id=int(r["group_id"]),
            group=groups.get(int(r["group_id"]), str(r["group_id"])),
            customer_id=int(r["customer_id"]),
            name=names.get(int(r["customer_id"]), ""),
            revenue=store.money(r["revenue"]),
            share=share(float(r["share"]), 1),
            previous_revenue=store.money(r["prev_revenue"] or 0),
            previous_share=None if r["prev_share"] is None else share(float(r["prev_share"]), 1),
            trend=_trend(int(r["revenue"]), int(r["prev_revenue"] or 0)),
            kinds=manual.get(int(r["customer_id"]), []),
        )
        for r in rows
    ]
    flagged = [FlaggedAccount(c, names.get(c, ""), k) for c, k in sorted(manual.items())]
    return KeyAccountsResult(
        as_of=as_of,
        level=level,
        threshold=Decimal(str(threshold)),
        currency=store.scope.currency,
        accounts=accounts,
        flagged=flagged,
        warnings=manager_warnings(store, as_of, threshold, max_per_manager),
        suggested_innovators=suggested_innovators(store, as_of),
    )


def manager_warnings(
    store: Store, as_of: date, threshold: float, max_per_manager: int = 3
) -> list[ManagerWarning]:
    """Managers responsible for more than `max_per_manager` company or department key accounts
    (the same for every level: computed once per snapshot)."""
    key = ("manager_warnings", as_of, threshold, max_per_manager)
    return store.remember(key, lambda: _warnings(store, as_of, threshold, max_per_manager))


def _warnings(
    store: Store, as_of: date, threshold: float, max_per_manager: int
) -> list[ManagerWarning]:
    key: set[int] = set()
    for level in ("company", "department"):
        g = group_shares(store, as_of, level)
        g = g.filter(g.share > threshold).select("customer_id")
        key |= {int(r["customer_id"]) for r in g.to_pyarrow().to_pylist()}
    if not key:
        return []
    c = store.customers()
    c = c.filter(c.customer_id.isin(sorted(key)) & c.manager_id.notnull())
    per: dict[int, list[int]] = {}
    for r in c.select("customer_id", "manager_id").to_pyarrow().to_pylist():
        per.setdefault(int(r["manager_id"]), []).append(int(r["customer_id"]))
    emails = group_names(store, "manager")
    return [
        ManagerWarning(m, emails.get(m, str(m)), len(cs), sorted(cs))
        for m, cs in sorted(per.items())
        if len(cs) > max_per_manager
    ]
