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
NEWTON_STEPS = 100
MAX_STEP = 3.0  # largest change of a log-parameter in one Newton step
NEWTON_XTOL = 1e-4  # last step in the log-parameters: what remains after it is about its square
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


def newton(
    evaluate: Callable[[FloatArray], tuple[float, FloatArray, FloatArray]],
    start: FloatArray,
    total_weight: float,
    xtol: float = NEWTON_XTOL,
) -> tuple[FloatArray, float] | None:
    """Newton's method with the exact Hessian, damped (Levenberg-Marquardt) when a full step does
    not improve or the Hessian is not negative definite. From a close start (a fit on a sample)
    two or three evaluations reach full precision; from a rough one a dozen or so. Unlike
    scipy's L-BFGS-B it calls no multi-threaded BLAS, which spins on a busy machine.

    Returns None when no step improves, so the caller can fall back to L-BFGS-B.
    """
    phi = start.copy()
    ll, grad, hess = evaluate(phi)
    mu = 0.0  # damping, relative to the mean log-likelihood's curvature
    eye = np.eye(len(phi))
    for _ in range(NEWTON_STEPS):
        if not (np.isfinite(ll) and np.all(np.isfinite(hess))):
            return None
        g, neg_h = grad / total_weight, -hess / total_weight
        if np.max(np.abs(g)) < POLISH_GTOL:
            return phi, float(ll)
        for _ in range(40):
            step = _damped_step(neg_h + mu * eye, g)
            if step is None:
                mu = max(4 * mu, 1e-4)
                continue
            if mu < 1e-3 and np.max(np.abs(step)) < xtol:  # what is left is about its square
                return np.clip(phi + step, -LOG_BOUND, LOG_BOUND), float(ll)
            nxt = np.clip(phi + step, -LOG_BOUND, LOG_BOUND)
            ll_next, grad_next, hess_next = evaluate(nxt)
            if np.isfinite(ll_next) and ll_next >= ll - 1e-12 * abs(ll):
                break
            mu = max(4 * mu, 1e-4)
        else:
            return None
        mu = mu / 8 if mu > 1e-6 else 0.0
        phi, ll, grad, hess = nxt, ll_next, grad_next, hess_next
    return None


def _damped_step(matrix: FloatArray, g: FloatArray) -> FloatArray | None:
    """Solve matrix · step = g by Cholesky (None unless positive definite), capped in length."""
    try:
        chol = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return None
    step = np.linalg.solve(chol.T, np.linalg.solve(chol, g))
    biggest = float(np.max(np.abs(step)))
    return step * (MAX_STEP / biggest) if biggest > MAX_STEP else step


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
