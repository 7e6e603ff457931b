"""`/v1/analytics/…`: the same figures as `regulars analytics … --json`, read-only.

Aggregates (summary, monthly, Pareto, cohorts, segments, dependency bands) need the
`analytics` permission; lists that name customers (RFM scores, key accounts, lapsed) need
`analytics.personal`. An analyst without that grant still sees dependency bands, with the
largest customer left anonymous.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from regulars.analytics.backend import Scope, Store, connect
from regulars.analytics.cohorts import Cohort, cohorts
from regulars.analytics.dependency import Bands, Dependency, dependency
from regulars.analytics.key_accounts import KeyAccountsResult, key_accounts
from regulars.analytics.lapsed import LapsedCustomer, lapsed
from regulars.analytics.pareto import ParetoResult, pareto
from regulars.analytics.rfm import RfmParams, RfmResult, SegmentRow, rfm_scores, segment_summary
from regulars.analytics.summary import MonthRow, Summary, monthly, summary
from regulars.api.access import Principal, require
from regulars.api.auth import regulars_app
from regulars.api.bodies import clean_query
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.bootstrap import App
from regulars.domain.access import Permission as P

router = APIRouter(
    prefix="/v1/analytics",
    tags=["analytics"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(clean_query)],
)
AppDep = Depends(regulars_app)
Aggregates = Annotated[Principal, Depends(require(P.ANALYTICS))]
Personal = Annotated[Principal, Depends(require(P.ANALYTICS_PERSONAL))]
AsOf = Annotated[date | None, Query(description="figures as of this local date (default today)")]
LevelQ = Literal["company", "department", "manager"]


@contextmanager
def _store(app: App, who: Principal) -> Iterator[Store]:
    """One snapshot per request: shared facts are computed once for it."""
    ctx = who.ctx
    store = connect(
        app.settings.database_url, Scope(ctx.tenant_id, ctx.default_currency, ctx.timezone)
    )
    try:
        store.materialize(copy=False)
        yield store
    finally:
        store.close()


def _day(store: Store, as_of: date | None) -> date:
    return as_of or store.today()


@router.get("/summary", response_model=Summary)
def get_summary(
    who: Aggregates,
    as_of: AsOf = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 365,
    app: App = AppDep,
) -> object:
    """Revenue, orders, active / new / returning customers, repeat rate, average order value."""
    with _store(app, who) as s:
        return summary(s, _day(s, as_of), days)


@router.get("/monthly", response_model=list[MonthRow])
def get_monthly(
    who: Aggregates,
    as_of: AsOf = None,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
    app: App = AppDep,
) -> object:
    """Per month: revenue, orders, customers, acquisition (new) vs retention (returning)."""
    with _store(app, who) as s:
        return monthly(s, _day(s, as_of), months)


@router.get("/pareto", response_model=ParetoResult)
def get_pareto(
    who: Aggregates,
    as_of: AsOf = None,
    days: Annotated[int, Query(ge=0, le=36600, description="0: all time")] = 365,
    app: App = AppDep,
) -> object:
    """The top 20 % of customers' share of revenue, Lorenz points, Gini."""
    with _store(app, who) as s:
        return pareto(s, _day(s, as_of), days or None)


@router.get("/cohorts", response_model=list[Cohort])
def get_cohorts(
    who: Aggregates,
    as_of: AsOf = None,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
    app: App = AppDep,
) -> object:
    """Retention and revenue by first-purchase month."""
    with _store(app, who) as s:
        return cohorts(s, _day(s, as_of), months)


@router.get("/segments", response_model=list[SegmentRow])
def get_segments(
    who: Aggregates,
    as_of: AsOf = None,
    k: Annotated[float, Query(ge=1.0, le=100.0)] = 2.0,
    app: App = AppDep,
) -> object:
    """Customers and revenue per behaviour segment."""
    with _store(app, who) as s:
        return segment_summary(s, _day(s, as_of), RfmParams(k=k))


@router.get("/dependency", response_model=list[Dependency])
def get_dependency(
    who: Aggregates,
    as_of: AsOf = None,
    level: LevelQ = "company",
    act: Annotated[float, Query(ge=0.0, le=1.0)] = 0.20,
    alarm: Annotated[float, Query(ge=0.0, le=1.0)] = 0.40,
    critical: Annotated[float, Query(ge=0.0, le=1.0)] = 0.50,
    app: App = AppDep,
) -> object:
    """The largest customer's share per group in bands, top-3 / top-5, Herfindahl."""
    with _store(app, who) as s:
        rows = dependency(s, _day(s, as_of), level, Bands(act, alarm, critical))
    if who.may(P.ANALYTICS_PERSONAL):
        return rows
    return [
        dataclasses.replace(r, largest_customer_id=0, largest_customer="(anonymous)") for r in rows
    ]


@router.get("/rfm", response_model=RfmResult)
def get_rfm(
    who: Personal,
    as_of: AsOf = None,
    k: Annotated[float, Query(ge=1.0, le=100.0)] = 2.0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    app: App = AppDep,
) -> object:
    """RFM scores, segment, value band and loyalty score per customer, best value first."""
    with _store(app, who) as s:
        return rfm_scores(s, _day(s, as_of), RfmParams(k=k), limit)


@router.get("/key-accounts", response_model=KeyAccountsResult)
def get_key_accounts(
    who: Personal,
    as_of: AsOf = None,
    level: LevelQ = "company",
    threshold: Annotated[float, Query(gt=0.0, le=1.0)] = 0.10,
    app: App = AppDep,
) -> object:
    """Customers above the threshold share of trailing-12-month revenue, with flags."""
    with _store(app, who) as s:
        return key_accounts(s, _day(s, as_of), level, threshold)


@router.get("/lapsed", response_model=list[LapsedCustomer])
def get_lapsed(
    who: Personal,
    as_of: AsOf = None,
    k: Annotated[float, Query(ge=1.0, le=100.0)] = 2.0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    p_alive_below: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    app: App = AppDep,
) -> object:
    """Customers silent for longer than k x their own rhythm, most value at risk first."""
    with _store(app, who) as s:
        return lapsed(s, _day(s, as_of), k, limit, p_alive_below)
