"""The CLV models on the business's own buying days: P(alive), expected purchases and value.

The snapshot's buying days (one row per customer per local day, revenue orders, the business
currency) are exactly what the CLV summary needs, so the models read them from the engine as
Arrow instead of re-reading every order. Fitted once per snapshot and as_of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import pyarrow as pa

from regulars.analytics.backend import Store
from regulars.analytics.clv import fit_bgnbd, fit_clv, predict_table, summarise
from regulars.analytics.clv.pipeline import ClvFit
from regulars.analytics.facts import purchase_days
from regulars.domain.money import minor_units

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Per customer who bought: customer_id, p_alive, expected_purchases (over the horizon),
    expected_spend, clv (Arrow columns); with the fitted models."""

    table: pa.Table
    fit: ClvFit
    horizon_months: int


def buying_days(store: Store, as_of: date) -> pa.Table:
    """customer_id, day (days since 1970-01-01), amount (in the currency's major units)."""
    d = purchase_days(store, as_of)
    scale = 10 ** minor_units(store.scope.currency)
    t = d.select(
        "customer_id",
        day=d.day.delta(ibis.literal(EPOCH), unit="day"),
        amount=d.amount.cast("float64") / scale,
    )
    return t.to_pyarrow()


def p_alive(store: Store, as_of: date) -> pa.Table:
    """customer_id, p_alive from a BG/NBD fit (weeks) on every customer's buying days up to
    as_of. Raises ClvFitError / ClvInputError when the history is too thin to fit."""

    def compute() -> pa.Table:
        summary = summarise(buying_days(store, as_of), calibration_end=as_of, period="week")
        model = fit_bgnbd(summary.frequency, summary.recency, summary.T)
        alive = model.p_alive(summary.frequency, summary.recency, summary.T)
        return pa.table({"customer_id": summary.customer_id, "p_alive": pa.array(alive)})

    return store.remember(("p_alive", as_of), compute)


def forecast(
    store: Store, as_of: date, *, horizon_months: int = 12, discount_rate: float = 0.01
) -> Forecast:
    """BG/NBD + Gamma-Gamma on the buying days up to as_of, and every customer's forecast."""

    def compute() -> Forecast:
        summary = summarise(buying_days(store, as_of), calibration_end=as_of, period="week")
        fit = fit_clv(summary)
        table = predict_table(
            fit,
            summary,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
            decimals=minor_units(store.scope.currency),
        )
        return Forecast(table, fit, horizon_months)

    return store.remember(("forecast", as_of, horizon_months, discount_rate), compute)
