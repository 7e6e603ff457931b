"""Shared maximum-likelihood driver: minimise the mean negative log-likelihood over log-parameters.

Working on log-parameters keeps every parameter positive without bounds tricks, and dividing by
the total weight keeps the objective of order one whatever the number of customers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from regulars.analytics.clv.errors import ClvFitError

FloatArray = NDArray[np.float64]
# (log-parameters) -> (total log-likelihood, gradient of it w.r.t. the log-parameters)
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

LOG_BOUND = 20.0  # parameters between e^-20 and e^20: far beyond anything a real data set gives
POLISH_STEPS = 30
POLISH_GTOL = 1e-9  # largest gradient component of the mean log-likelihood at convergence


def maximise(
    objective: Objective, start: FloatArray, total_weight: float
) -> tuple[FloatArray, float]:
    """Return (log-parameters, log-likelihood) at the maximum, found by L-BFGS-B with gradients."""

    def neg_mean(phi: FloatArray) -> tuple[float, FloatArray]:
        ll, grad = objective(phi)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(phi)
        return -ll / total_weight, -grad / total_weight

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    res = minimize(
        neg_mean,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8, "maxcor": 20},
    )
    phi = np.asarray(res.x, dtype=np.float64)
    ll, _ = objective(phi)
    if not np.isfinite(ll):
        raise ClvFitError("the model could not be fitted to these data (no finite likelihood)")
    return phi, float(ll)


def polish_with_hessian(
    objective: Objective, start: FloatArray, hessian: FloatArray, total_weight: float
) -> tuple[FloatArray, float] | None:
    """Newton steps with a fixed Hessian (of the mean negative log-likelihood, e.g. taken on a
    sample): from a close start each step costs one gradient and gains digits linearly.

    Returns None when a step fails to improve, so the caller can fall back to L-BFGS-B.
    """
    phi = start.copy()
    ll, grad = objective(phi)
    for _ in range(POLISH_STEPS):
        if not np.isfinite(ll):
            return None
        if np.max(np.abs(grad)) / total_weight < POLISH_GTOL:
            return phi, float(ll)
        try:
            step = np.linalg.solve(hessian, grad / total_weight)
        except np.linalg.LinAlgError:
            return None
        nxt = np.clip(phi + step, -LOG_BOUND, LOG_BOUND)
        ll_next, grad_next = objective(nxt)
        if not ll_next >= ll - 1e-9 * abs(ll):
            return None
        phi, ll, grad = nxt, ll_next, grad_next
    return None


def hessian_of_mean(objective: Objective, phi: FloatArray, total_weight: float) -> FloatArray:
    """Hessian of the mean negative log-likelihood by central differences of the gradient."""
    h = 1e-5
    rows = []
    for e in np.eye(len(phi)):
        g_plus = objective(phi + h * e)[1]
        g_minus = objective(phi - h * e)[1]
        rows.append(-(g_plus - g_minus) / (2 * h * total_weight))
    hess = np.array(rows)
    return (hess + hess.T) / 2


def wdot(a: NDArray[Any], b: NDArray[Any]) -> float:
    """Σ a·b without BLAS: OpenBLAS threads spin against each other on a busy machine and make
    a vector dot product ten times slower than this plain pairwise sum."""
    return float(np.add.reduce(np.multiply(a, b)))


def numeric_gradient(
    fn: Callable[[FloatArray], float], phi: FloatArray, h: float = 1e-6
) -> FloatArray:
    """Central differences: for models whose analytic gradient is not worth its complexity."""
    grad = np.empty_like(phi)
    for i in range(len(phi)):
        step = np.zeros_like(phi)
        step[i] = h
        grad[i] = (fn(phi + step) - fn(phi - step)) / (2 * h)
    return grad
