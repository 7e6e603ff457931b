"""Customer lifetime value over a horizon, discounted month by month.

    CLV = Σ_{i=1..N} (E[Y(t_i)] - E[Y(t_{i-1})]) · E[M] / (1 + d)^i

with N the horizon in months, t_i = i months in model periods (a month is 365.25/12 days),
E[Y(t)] the model's conditional expected purchases in the next t, E[M] the Gamma-Gamma expected
spend per purchase and d the monthly discount rate. Purchases expected in month i are discounted
at the end of that month (the convention of Fader, Hardie & Lee's "RFM and CLV").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from regulars.analytics.clv.errors import ClvInputError
from regulars.analytics.clv.triples import unique_rows

DAYS_PER_MONTH = 365.25 / 12
F = NDArray[np.float64]


class PurchaseModel(Protocol):
    """What BetaGeoModel and ParetoNBDModel share: enough to predict and to report a fit."""

    @property
    def name(self) -> str: ...

    @property
    def log_likelihood(self) -> float: ...

    @property
    def params(self) -> dict[str, float]: ...

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> F: ...

    def conditional_expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> F: ...


@dataclass(frozen=True, slots=True)
class ValueForecast:
    p_alive: F
    expected_purchases: F  # over the whole horizon
    clv: F  # discounted, in the currency of the amounts


def forecast_value(
    model: PurchaseModel,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    expected_spend: ArrayLike,
    *,
    horizon_months: int,
    discount_rate: float,
    period_days: float,
) -> ValueForecast:
    """P(alive), purchases over the horizon and discounted CLV, once per distinct history."""
    if horizon_months < 1:
        raise ClvInputError("the horizon must be at least one month")
    if not discount_rate > -1:
        raise ClvInputError("the discount rate must be above -1 (0.01 is 1 % a month)")
    xs, tx, tt = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    rows = unique_rows(xs, tx, tt)
    ux, utx, uT, inv = rows.column(0), rows.column(1), rows.column(2), rows.inverse
    month = DAYS_PER_MONTH / period_days
    prev = np.zeros(len(ux))
    discounted = np.zeros(len(ux))
    for i in range(1, horizon_months + 1):
        cum = model.conditional_expected_purchases(i * month, ux, utx, uT)
        discounted += (cum - prev) / (1.0 + discount_rate) ** i
        prev = cum
    spend = np.asarray(expected_spend, dtype=np.float64)
    return ValueForecast(
        p_alive=model.p_alive(ux, utx, uT)[inv],
        expected_purchases=prev[inv],
        clv=discounted[inv] * spend,
    )
