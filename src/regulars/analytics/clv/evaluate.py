"""Calibration / holdout check: does the model predict the purchases it did not see?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regulars.analytics.clv.data import CustomerSummary
from regulars.analytics.clv.value import PurchaseModel


@dataclass(frozen=True, slots=True)
class HoldoutEvaluation:
    predicted_holdout_transactions: float
    actual_holdout_transactions: int
    per_customer_mae: float
    correlation: float  # Pearson, predicted vs actual per customer (nan when either is constant)
    n_customers: int


def evaluate_holdout(model: PurchaseModel, summary: CustomerSummary) -> HoldoutEvaluation:
    """Compare each customer's expected purchases over the holdout with what they really bought."""
    if summary.holdout_frequency is None:
        raise ValueError("summarise the transactions with a holdout end first")
    x = summary.frequency.astype(np.float64)
    predicted = model.conditional_expected_purchases(
        summary.holdout_length, x, summary.recency, summary.T
    )
    actual = summary.holdout_frequency.astype(np.float64)
    if np.std(predicted) > 0 and np.std(actual) > 0:
        corr = float(np.corrcoef(predicted, actual)[0, 1])
    else:
        corr = float("nan")
    return HoldoutEvaluation(
        predicted_holdout_transactions=float(predicted.sum()),
        actual_holdout_transactions=int(actual.sum()),
        per_customer_mae=float(np.mean(np.abs(predicted - actual))),
        correlation=corr,
        n_customers=len(summary),
    )
