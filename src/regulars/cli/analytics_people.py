"""`regulars analytics` per-customer commands (RFM, segments, key accounts, lapsed, hand-over)
and `regulars briefing`; registered on the `analytics` app of regulars.cli.analytics."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.analytics import (
    KEY_KIND_NAMES,
    SEGMENT_NAMES,
    AsOf,
    K,
    Level,
    LevelChoice,
    Limit,
    analytics_session,
    app,
    as_of_day,
)
from regulars.cli.common import (
    DbOption,
    JsonOption,
    console,
    grouped,
    open_app,
    pct,
    print_json,
    print_table,
)


@app.command()
def rfm(
    as_of: AsOf = None,
    k: K = 2.0,
    limit: Limit = 50,
    store_results: Annotated[
        bool, typer.Option("--store", help="Save every customer's scores.")
    ] = False,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """RFM quintile scores, segment, ABC value band and loyalty score per customer."""
    from regulars.analytics.rfm import RfmParams, rfm_scores
    from regulars.services import analytics_results as kept

    with analytics_session(db) as (a, _ctx, store):
        day = as_of_day(store, as_of)
        saved = kept.store_scores(a.engine, store, day, RfmParams(k=k)) if store_results else None
        r = rfm_scores(store, day, RfmParams(k=k), limit)
    if json:
        return print_json(
            {
                "as_of": r.as_of,
                "currency": r.currency,
                "typical_rhythm_days": r.typical_rhythm_days,
                "stored": saved,
                "customers": r.customers,
            }
        )
    print_table(
        f"RFM as of {r.as_of} ({r.currency})",
        ["id", "name", "segment", "band", "RFM", "recency", "purchases", "monetary", "loyalty"],
        [
            (
                c.customer_id,
                c.name,
                c.segment,
                c.value_band,
                c.rfm,
                c.recency_days,
                c.frequency,
                c.monetary,
                c.loyalty_score,
            )
            for c in r.customers
        ],
    )
    if saved is not None:
        console.print(f"stored scores of {saved} customers", highlight=False)


@app.command()
def refresh(
    as_of: AsOf = None,
    k: K = 2.0,
    if_older_than: Annotated[
        float | None,
        typer.Option(
            "--if-older-than",
            min=0.0,
            help="Hours: do nothing when the stored scores are fresher (for a daily cron job).",
        ),
    ] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Recompute and store every customer's scores, segment, P(alive) and 12-month CLV."""
    from datetime import UTC, datetime, timedelta

    from regulars.analytics.rfm import RfmParams
    from regulars.services import analytics_results as kept

    with analytics_session(db) as (a, ctx, store):
        last = kept.last_refresh(a.engine, ctx.tenant_id)
        if last is not None and if_older_than is not None:
            age = datetime.now(UTC) - last.replace(tzinfo=last.tzinfo or UTC)
            if age < timedelta(hours=if_older_than):
                if json:
                    return print_json({"skipped": True, "computed_at": last})
                return console.print(f"Scores are fresh (computed {last:%Y-%m-%d %H:%M} UTC).")
        r = kept.refresh_scores(a.engine, store, as_of_day(store, as_of), RfmParams(k=k))
    if json:
        return print_json(
            {
                "skipped": False,
                "as_of": r.as_of,
                "customers": r.customers,
                "forecast": r.forecast,
                "computed_at": r.computed_at,
            }
        )
    what = "scores, P(alive) and CLV" if r.forecast else "scores (too little history for CLV)"
    console.print(f"Stored {what} of {r.customers:,} customers as of {r.as_of}.")


@app.command()
def segments(
    as_of: AsOf = None,
    k: K = 2.0,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Customers and revenue per behaviour segment, with each segment's playbook."""
    from regulars.analytics.rfm import RfmParams, segment_summary
    from regulars.services import analytics_results as kept

    with analytics_session(db) as (a, ctx, store):
        rows = segment_summary(store, as_of_day(store, as_of), RfmParams(k=k))
        books = kept.playbooks(a.engine, ctx.tenant_id)
    data = [{**{f: getattr(r, f) for f in r.__slots__}, "playbook": books[r.segment]} for r in rows]
    if json:
        return print_json(data)
    print_table(
        "Segments",
        ["segment", "customers", "share", "revenue", "share", "playbook"],
        [
            (
                d["segment"],
                d["customers"],
                pct(d["share_of_customers"]),
                grouped(d["revenue"]),
                pct(d["share_of_revenue"]),
                d["playbook"],
            )
            for d in data
        ],
    )


@app.command()
def playbook(
    segment: Annotated[str, typer.Argument(help=f"One of: {SEGMENT_NAMES}.")],
    strategy: Annotated[str, typer.Argument(help="What to do with these customers.")],
    db: DbOption = None,
) -> None:
    """Write the business's own strategy for a segment."""
    from regulars.services import analytics_results as kept

    with open_app(db) as a:
        ctx = a.business()
        kept.set_playbook(a.engine, ctx.tenant_id, segment, strategy)
    console.print(f"playbook for {segment} saved", highlight=False)


@app.command("key-accounts")
def key_accounts(
    as_of: AsOf = None,
    level: Level = LevelChoice.company,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0)] = 0.10,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Customers above the threshold share of trailing-12-month revenue; flags; innovators."""
    from regulars.analytics import key_accounts as key_mod

    with analytics_session(db) as (_, _ctx, store):
        if store.database is not None:  # several passes over the orders: read SQLite once
            store.materialize()
        r = key_mod.key_accounts(store, as_of_day(store, as_of), level.value, threshold)
    if json:
        return print_json(r)
    print_table(
        f"Key accounts by {r.level} (> {r.threshold:.0%}, {r.currency})",
        [r.level, "id", "name", "revenue", "share", "previous", "trend", "flags"],
        [
            (
                x.group,
                x.customer_id,
                x.name,
                grouped(x.revenue),
                pct(x.share),
                pct(x.previous_share),
                x.trend,
                ", ".join(x.kinds),
            )
            for x in r.accounts
        ],
    )
    for w in r.warnings:
        console.print(
            f"warning: {w.manager} has {w.key_accounts} key accounts (more than 3)",
            highlight=False,
            markup=False,
        )
    if r.flagged:
        print_table(
            "Flagged by hand",
            ["id", "name", "kinds"],
            [(f.customer_id, f.name, ", ".join(f.kinds)) for f in r.flagged],
        )
    if r.suggested_innovators:
        print_table(
            "Suggested innovators",
            ["id", "name", "categories"],
            [(i.customer_id, i.name, ", ".join(i.categories)) for i in r.suggested_innovators],
        )


@app.command("key-flag")
def key_flag(
    customer: Annotated[int, typer.Argument(help="Customer id.")],
    kind: Annotated[str, typer.Argument(help=f"One of: {KEY_KIND_NAMES}.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Take the flag away.")] = False,
    db: DbOption = None,
) -> None:
    """Mark a customer key by hand: high_potential, reputation, innovator or demanding."""
    from regulars.services import analytics_results as kept

    with open_app(db) as a:
        ctx = a.business()
        if remove:
            gone = kept.unflag_key_account(a.engine, ctx.tenant_id, customer, kind)
            console.print("flag removed" if gone else "no such flag", highlight=False)
            return
        f = kept.flag_key_account(a.engine, ctx.tenant_id, customer, kind, note)
    console.print(f"customer {f.customer_id} flagged {f.kind}", highlight=False)


@app.command()
def lapsed(
    as_of: AsOf = None,
    k: K = 2.0,
    limit: Limit = 50,
    p_alive_below: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Also lapsed when the BG/NBD P(alive) is below this (e.g. 0.3).",
        ),
    ] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Customers silent for longer than k x their own purchase rhythm, most value at risk first."""
    from regulars.analytics import lapsed as lapsed_mod

    with analytics_session(db) as (_, _ctx, store):
        rows = lapsed_mod.lapsed(store, as_of_day(store, as_of), k, limit, p_alive_below)
    if json:
        return print_json(rows)
    model = p_alive_below is not None
    print_table(
        f"Lapsed customers ({store.scope.currency})",
        [
            "id",
            "name",
            "last purchase",
            "rhythm (days)",
            "expected",
            "days silent",
            "value at risk",
            *(["P(alive)", "why"] if model else []),
        ],
        [
            (
                r.customer_id,
                r.name,
                r.last_purchase,
                r.rhythm_days,
                r.expected_next,
                r.days_since,
                grouped(r.value_at_risk),
                *([r.p_alive, r.reason] if model else []),
            )
            for r in rows
        ],
    )


@app.command()
def handover(as_of: AsOf = None, json: JsonOption = False, db: DbOption = None) -> None:
    """Per manager: revenue of customers only they know, and who should take them over."""
    from regulars.analytics import handover as handover_mod

    with analytics_session(db) as (_, _ctx, store):
        rows = handover_mod.handover(store, as_of_day(store, as_of))
    if json:
        return print_json(rows)
    print_table(
        f"When a manager leaves ({store.scope.currency})",
        ["manager", "customers", "revenue", "at risk", "revenue at risk", "successor"],
        [
            (r.manager, r.customers, r.revenue, r.at_risk_customers, r.at_risk_revenue, r.successor)
            for r in rows
        ],
    )


def briefing(json: JsonOption = False, db: DbOption = None) -> None:
    """The morning briefing: key accounts and alarms, lapsed, occasions, unpaid and stuck orders."""
    from regulars.services.briefing import morning_briefing

    with analytics_session(db) as (a, ctx, store):
        if store.database is not None:  # DuckDB over SQLite: read the file once, not per list
            store.materialize()
        b = morning_briefing(a.uow, ctx=ctx, store=store)
    if json:
        return print_json(b)
    say = console.print
    say(f"[bold]Good morning — {b.today}[/]", highlight=False)
    print_table(
        "Key accounts (> 10 % of the company)",
        ["name", "share", "trend", "flags"],
        [(x.name, pct(x.share), x.trend, ", ".join(x.kinds)) for x in b.key_accounts],
    )
    for w in b.manager_warnings:
        say(
            f"warning: {w.manager} has {w.key_accounts} key accounts", highlight=False, markup=False
        )
    print_table(
        "Dependency alarms",
        ["level", "group", "largest customer", "share", "band"],
        [(d.level, d.group, d.largest_customer, pct(d.largest_share), d.band) for d in b.alarms],
    )
    print_table(
        f"Lapsed, most value at risk ({b.currency})",
        ["name", "last purchase", "value at risk"],
        [(r.name, r.last_purchase, grouped(r.value_at_risk)) for r in b.lapsed],
    )
    print_table(
        "Coming 7 days",
        ["date", "occasion", "customer", "years"],
        [(o.on, o.kind.replace("_", " "), o.name, o.years) for o in b.occasions],
    )
    print_table(
        "Unpaid for a week or more",
        ["order", "customer", "days", "total"],
        [
            (o.id, o.customer_name, o.days_unpaid, f"{o.total} {o.currency}")
            for o in b.unpaid_orders
        ],
    )
    print_table(
        "Stuck for a week or more",
        ["order", "customer", "stage", "days"],
        [(o.id, o.customer_name, o.status, o.days_stuck) for o in b.stuck_orders],
    )
