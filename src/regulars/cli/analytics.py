"""`regulars analytics …` and `regulars briefing`: who matters, who drifts away, what to do today.

Thin commands: the figures come from regulars.analytics (Ibis on DuckDB or PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table

if TYPE_CHECKING:  # the analytics stack (Ibis, DuckDB) loads only when an analytic runs
    from regulars.analytics.backend import Store
    from regulars.bootstrap import App
    from regulars.services.context import BusinessContext

SEGMENT_NAMES = "loyal, potential, returning, new, one_time, lapsed, target"
KEY_KIND_NAMES = "high_potential, reputation, innovator, demanding"


app: typer.Typer = typer.Typer(
    no_args_is_help=True, help="Who matters: Pareto, RFM, key accounts, alarms…"
)


class LevelChoice(StrEnum):
    company = "company"
    department = "department"
    manager = "manager"


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--as-of"
        ) from None


AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Figures as of this local date (default: today).")
]
Plot = Annotated[str | None, typer.Option("--plot", help="Also draw a chart: FILE.svg or .png.")]
Level = Annotated[LevelChoice, typer.Option("--level", help="company, department or manager.")]
K = Annotated[float, typer.Option("--k", min=1.0, help="Lapsed after k x the own rhythm.")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")]


@contextmanager
def analytics_session(db: str | None) -> Iterator[tuple[App, BusinessContext, Store]]:
    """The app, the default business and one analytics snapshot for one command."""
    from regulars.analytics.backend import Scope, connect

    with open_app(db) as a:
        ctx = a.business()
        store = connect(
            a.settings.database_url, Scope(ctx.tenant_id, ctx.default_currency, ctx.timezone)
        )
        store.materialize(copy=False)  # one command, one snapshot: shared facts built once
        try:
            yield a, ctx, store
        finally:
            store.close()


def as_of_day(store: Store, as_of: str | None) -> date:
    """--as-of parsed, or today in the business's time zone."""
    return _as_of(as_of) or store.today()


def _plotted(path: str | None) -> None:
    if path:
        console.print(f"chart written to {path}", highlight=False)


@app.command()
def summary(
    as_of: AsOf = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Length of the period.")] = 365,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Revenue, orders, active / new / returning customers, repeat rate, average order value."""
    from regulars.analytics import summary as summary_mod

    with analytics_session(db) as (_, _ctx, store):
        s = summary_mod.summary(store, as_of_day(store, as_of), days)
    if json:
        return print_json(s)
    print_table(
        f"Summary {s.first_day} – {s.as_of} ({s.currency})",
        ["figure", "value"],
        [(f.replace("_", " "), getattr(s, f)) for f in s.__slots__],
    )


@app.command()
def monthly(
    as_of: AsOf = None,
    months: Annotated[int, typer.Option("--months", min=1)] = 12,
    per_customer: Annotated[
        bool, typer.Option("--per-customer", help="Per customer per month.")
    ] = False,
    customer: Annotated[
        int | None, typer.Option("--customer", help="Only this customer id.")
    ] = None,
    limit: Limit = 1000,
    plot: Plot = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Monthly statistics; acquisition (new customers) vs retention (returning) revenue."""
    from regulars.analytics import plots
    from regulars.analytics import summary as summary_mod

    with analytics_session(db) as (_, _ctx, store):
        day = as_of_day(store, as_of)
        if per_customer or customer is not None:
            cm = summary_mod.customer_months(store, day, months, customer, limit)
            if json:
                return print_json(cm)
            return print_table(
                "Per customer per month",
                ["customer", "month", "orders", "revenue"],
                [(r.customer_id, r.month, r.orders, r.revenue) for r in cm],
            )
        rows = summary_mod.monthly(store, day, months)
    if plot:
        plots.plot_monthly(rows, store.scope.currency, plots.check_path(plot))
    if json:
        return print_json(rows)
    print_table(
        f"Monthly ({store.scope.currency})",
        [
            "month",
            "revenue",
            "orders",
            "active",
            "new",
            "returning",
            "AOV",
            "acquisition",
            "retention",
        ],
        [
            (
                r.month,
                r.revenue,
                r.orders,
                r.active_customers,
                r.new_customers,
                r.returning_customers,
                r.average_order_value,
                r.acquisition_revenue,
                r.retention_revenue,
            )
            for r in rows
        ],
    )
    _plotted(plot)


@app.command()
def pareto(
    as_of: AsOf = None,
    days: Annotated[int, typer.Option("--days", min=0, help="Period; 0 = all time.")] = 365,
    plot: Plot = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Share of revenue of the top 20 % of customers, Lorenz curve points, Gini."""
    from regulars.analytics import pareto as pareto_mod
    from regulars.analytics import plots

    if plot:
        plots.check_path(plot)
    with analytics_session(db) as (_, _ctx, store):
        r = pareto_mod.pareto(store, as_of_day(store, as_of), days or None)
    if plot:
        plots.plot_pareto(r, plot)
    if json:
        return print_json(r)
    print_table(
        f"Pareto ({r.currency})",
        ["figure", "value"],
        [
            ("customers", r.customers),
            ("revenue", r.revenue),
            ("top 20 % share", r.top_share),
            ("customers making 80 %", r.customers_for_80),
            ("Gini", r.gini),
        ],
    )
    _plotted(plot)


@app.command()
def dependency(
    as_of: AsOf = None,
    level: Level = LevelChoice.company,
    act: Annotated[float, typer.Option("--act", min=0.0, max=1.0)] = 0.20,
    alarm: Annotated[float, typer.Option("--alarm", min=0.0, max=1.0)] = 0.40,
    critical: Annotated[float, typer.Option("--critical", min=0.0, max=1.0)] = 0.50,
    plot: Plot = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The largest customer's share in bands, top-3 / top-5 shares, Herfindahl index."""
    from regulars.analytics import dependency as dependency_mod
    from regulars.analytics import plots

    if plot:
        plots.check_path(plot)
    bands = dependency_mod.Bands(act, alarm, critical)
    with analytics_session(db) as (_, _ctx, store):
        rows = dependency_mod.dependency(store, as_of_day(store, as_of), level.value, bands)
    if plot:
        plots.plot_dependency(rows, bands, plot)
    if json:
        return print_json(rows)
    print_table(
        f"Dependency by {level.value}",
        [level.value, "largest customer", "share", "band", "top 3", "top 5", "HHI", "worse"],
        [
            (
                r.group,
                r.largest_customer,
                r.largest_share,
                r.band,
                r.top3_share,
                r.top5_share,
                r.herfindahl,
                "yes" if r.worse else "",
            )
            for r in rows
        ],
    )
    _plotted(plot)


@app.command()
def cohorts(
    as_of: AsOf = None,
    months: Annotated[int, typer.Option("--months", min=1)] = 12,
    plot: Plot = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Retention and revenue by first-purchase month."""
    from regulars.analytics import cohorts as cohorts_mod
    from regulars.analytics import plots

    if plot:
        plots.check_path(plot)
    with analytics_session(db) as (_, _ctx, store):
        rows = cohorts_mod.cohorts(store, as_of_day(store, as_of), months)
    if plot:
        plots.plot_cohorts(rows, plot)
    if json:
        return print_json(rows)
    width = max((len(c.retention) for c in rows), default=0)
    print_table(
        "Cohorts: share who bought, by month after the first purchase",
        ["cohort", "customers", *[f"m{i}" for i in range(width)]],
        [(c.cohort, c.customers, *[f"{float(v):.0%}" for v in c.retention]) for c in rows],
    )
    _plotted(plot)


# The per-customer commands live beside this module; importing it registers them on `app`.
from regulars.cli.analytics_people import briefing  # noqa: E402

__all__ = ["app", "briefing"]
