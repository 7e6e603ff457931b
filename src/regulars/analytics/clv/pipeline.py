"""The use cases behind `regulars clv`: fit both models on a summary, predict per customer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

from regulars.analytics.clv.bgnbd import fit_bgnbd
from regulars.analytics.clv.data import CustomerSummary
from regulars.analytics.clv.errors import ClvFitError, ClvInputError
from regulars.analytics.clv.gammagamma import GammaGammaModel, fit_gamma_gamma
from regulars.analytics.clv.paretonbd import fit_pareto_nbd
from regulars.analytics.clv.value import PurchaseModel, forecast_value

MODELS = ("bgnbd", "pareto-nbd")


@dataclass(frozen=True)
class ClvFit:
    model: PurchaseModel
    spend: GammaGammaModel | None  # None when too few paid repeat purchases to fit spend
    n_customers: int

    def as_dict(self) -> dict[str, object]:
        """The `regulars clv fit --json` contract."""
        return {
            "model": self.model.name,
            "params": self.model.params,
            "log_likelihood": self.model.log_likelihood,
            "n_customers": self.n_customers,
            "spend": self.spend.params if self.spend else None,
        }


def fit_purchase_model(summary: CustomerSummary, model: str = "bgnbd") -> PurchaseModel:
    if model not in MODELS:
        raise ClvInputError(f"unknown model {model!r} (use {' or '.join(MODELS)})")
    fit = fit_bgnbd if model == "bgnbd" else fit_pareto_nbd
    return fit(summary.frequency, summary.recency, summary.T)


def fit_clv(summary: CustomerSummary, model: str = "bgnbd") -> ClvFit:
    """Purchase model on every customer; Gamma-Gamma spend on the repeat customers, if any."""
    purchases = fit_purchase_model(summary, model)
    try:
        spend: GammaGammaModel | None = fit_gamma_gamma(summary.frequency, summary.monetary)
    except ClvFitError:
        spend = None
    return ClvFit(purchases, spend, len(summary))


def predict_table(
    fit: ClvFit,
    summary: CustomerSummary,
    *,
    horizon_months: int,
    discount_rate: float,
    decimals: int = 2,
) -> pa.Table:
    """One row per customer: customer_id, p_alive, expected_purchases, expected_spend, clv.

    Money columns are decimals rounded to the currency's minor units, never binary floats.
    """
    if fit.spend is None:
        raise ClvFitError("no customer made a paid repeat purchase: spend cannot be predicted")
    x = summary.frequency.astype(np.float64)
    spend = fit.spend.expected_spend(x, summary.monetary)
    fc = forecast_value(
        fit.model,
        x,
        summary.recency,
        summary.T,
        spend,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        period_days=summary.period_days,
    )
    money = pa.decimal128(18, decimals)
    return pa.table(
        {
            "customer_id": summary.customer_id,
            "p_alive": pa.array(np.round(fc.p_alive, 6)),
            "expected_purchases": pa.array(np.round(fc.expected_purchases, 4)),
            "expected_spend": _money(spend, money),
            "clv": _money(fc.clv, money),
        }
    )


def _money(values: np.ndarray, typ: pa.Decimal128Type) -> pa.Array:
    rounded = pa.array(np.round(values, typ.scale))
    return pc.cast(rounded, typ, safe=False)


def write_table(table: pa.Table, path: str | Path) -> None:
    """Parquet for .parquet/.pq, CSV otherwise."""
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        pq.write_table(table, p)
    else:
        pv.write_csv(table, p)


def total_clv(table: pa.Table) -> Decimal:
    total = pc.sum(table["clv"]).as_py()
    return Decimal(0) if total is None else Decimal(total)
