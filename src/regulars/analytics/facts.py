"""Per-customer purchase facts that most analytics start from, as one Ibis expression.

A *purchase* is a local day on which the customer placed at least one revenue order: two
receipts on the same day are one visit, so a customer's rhythm is never a meaningless zero.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store

YEAR = 365  # "trailing 12 months" means the last 365 days up to and including as_of


def purchase_days(store: Store, as_of: date) -> ir.Table:
    """customer_id, day, amount (minor units), orders: one row per customer per buying day.

    Built once per snapshot over every day (a Store after materialize()), then cut at as_of.
    """

    def build() -> ir.Table:
        s = store.sales(None)
        return s.group_by("customer_id", "day").agg(amount=s.amount.sum(), orders=s.count())

    d = store.shared("purchase_days", build)
    return d.filter(d.day <= as_of)


def customer_facts(store: Store, as_of: date) -> ir.Table:
    """One row per customer who ever bought, up to as_of (see _customer_facts); shared."""
    return store.shared(("customer_facts", as_of), lambda: _customer_facts(store, as_of))


def _customer_facts(store: Store, as_of: date) -> ir.Table:
    """One row per customer who ever bought, up to as_of.

    Columns: first_day, last_day, purchases (buying days), orders, revenue (all time),
    revenue_12m (last 365 days), revenue_prev_12m (the 365 days before), purchases_12m,
    rhythm (median days between purchases, null for one purchase), last_gap (days before the
    latest purchase), earlier_rhythm (median of the gaps before that one).
    """
    d = purchase_days(store, as_of)
    by_day = ibis.window(group_by=d.customer_id, order_by=d.day)
    # lag and lead share one window (one sort); no following day marks the latest purchase.
    d = d.mutate(
        gap=d.day.delta(d.day.lag().over(by_day), unit="day"),
        is_last=d.day.lead().over(by_day).isnull(),
    )
    # A separate column rather than median(where=…): Spark refuses a filtered percentile.
    d = d.mutate(earlier_gap=ibis.ifelse(d.is_last, ibis.null("int64"), d.gap))
    start_12m = as_of - timedelta(days=YEAR)
    start_prev = as_of - timedelta(days=2 * YEAR)
    in_12m = d.day > start_12m
    in_prev = (d.day > start_prev) & (d.day <= start_12m)
    return d.group_by("customer_id").agg(
        first_day=d.day.min(),
        last_day=d.day.max(),
        purchases=d.count(),
        orders=d.orders.sum(),
        revenue=d.amount.sum(),
        revenue_12m=d.amount.sum(where=in_12m),
        revenue_prev_12m=d.amount.sum(where=in_prev),
        purchases_12m=d.count(where=in_12m),
        rhythm=d.gap.median(),
        last_gap=d.gap.max(where=d.is_last),
        earlier_rhythm=d.earlier_gap.median(),
    )


def customer_voice(store: Store, as_of: date) -> ir.Table:
    """customer_id, referrals (customers they brought), feedback (feedback and suggestions
    they gave, from the dossier), up to the end of as_of: the loyalty signals beyond buying."""

    def build() -> ir.Table:
        end = ibis.literal(store.day_start_utc(as_of + timedelta(days=1)))
        r = store.table("loyalty_referrals")
        r = r.filter(r.created_at.cast("timestamp") < end)
        r = r.group_by(customer_id=r.referrer_id).agg(referrals=r.referee_id.nunique())
        n = store.table("notes")
        n = n.filter(
            n.kind.isin(["feedback", "suggestion"]) & (n.created_at.cast("timestamp") < end)
        )
        n = n.group_by("customer_id").agg(feedback=n.count())
        j = r.outer_join(n, r.customer_id == n.customer_id)
        return j.select(
            customer_id=ibis.coalesce(j.customer_id, j.customer_id_right),
            referrals=j.referrals.fill_null(0),
            feedback=j.feedback.fill_null(0),
        )

    return store.shared(("customer_voice", as_of), build)


def customer_categories(store: Store, as_of: date) -> ir.Table:
    """customer_id, category, first (placed_at of their first purchase in it), up to as_of;
    shared by the RFM breadth of buying and the suggested innovators."""

    def build() -> ir.Table:
        lines = store.sale_lines(as_of)
        return lines.group_by("customer_id", "category").agg(first=lines.placed_at.min())

    return store.shared(("customer_categories", as_of), build)


def revenue_by_customer(store: Store, start: date | None, as_of: date) -> ir.Table:
    """customer_id, revenue (minor units) for local days in (start, as_of]; buyers only."""

    def build() -> ir.Table:
        d = purchase_days(store, as_of)
        if start is not None:
            d = d.filter(d.day > start)
        r = d.group_by("customer_id").agg(revenue=d.amount.sum())
        return r.filter(r.revenue > 0)

    return store.shared(("revenue_by_customer", start, as_of), build)
