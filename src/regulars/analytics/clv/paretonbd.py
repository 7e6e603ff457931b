"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's 2005 derivation note).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); their lifetime is
exponential with rate μ ~ Gamma(s, β). The likelihood is evaluated in log space, with the 2F1
terms scaled so that large frequencies and long histories stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, gammaln

from regulars.analytics.clv._optimize import maximise, numeric_gradient, wdot
from regulars.analytics.clv.errors import ClvFitError
from regulars.analytics.clv.hypergeometric import hyp2f1
from regulars.analytics.clv.triples import unique_triples

F = NDArray[np.float64]


def _arr(v: ArrayLike) -> F:
    return np.asarray(v, dtype=np.float64)


def _log_a0(r: float, alpha: float, s: float, beta: float, x: F, t_x: F, T: F) -> F:
    """log A0, the "died between t_x and T" term of the Pareto/NBD likelihood.

    A0 = 2F1(r+s+x, b'; r+s+x+1; z(t_x)) / (m+t_x)^(r+s+x) - (same at T), with m the larger of
    α and β, b' = s+1 (α ≥ β) or r+x (α < β) and z(u) = |α-β| / (m+u). The first term is larger.
    """
    rsx = r + s + x
    if alpha >= beta:
        m, bp = alpha, s + 1 + 0 * x
    else:
        m, bp = beta, r + x
    d = abs(alpha - beta)

    def log_term(u: F) -> F:
        # Euler: 2F1(A, B; A+1; z) = (1-z)^(1-B) 2F1(1, A+1-B; A+1; z), a series of positive,
        # shrinking terms that stays finite where the original overflows for large x
        z = d / (m + u)
        f = hyp2f1(1.0, rsx + 1 - bp, rsx + 1, z)
        return (1 - bp) * np.log1p(-z) + np.log(f) - rsx * np.log(m + u)

    hi, lo = log_term(t_x), log_term(T)
    with np.errstate(divide="ignore"):
        return hi + np.log(-np.expm1(np.minimum(lo - hi, 0.0)))


def _log_likelihood(r: float, alpha: float, s: float, beta: float, x: F, t_x: F, T: F) -> F:
    rx = r + x
    alive = -rx * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, T)
    return (
        gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, died)
    )


@dataclass(frozen=True, slots=True)
class ParetoNBDModel:
    """Fitted Pareto/NBD parameters; time is in the period the data were summarised in."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")
    n_customers: int = 0

    name = "pareto-nbd"

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    def log_likelihood_of(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> F:
        return _log_likelihood(self.r, self.alpha, self.s, self.beta, _arr(x), _arr(t_x), _arr(T))

    def _log_odds_dead(self, x: F, t_x: F, T: F) -> F:
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        return (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(r, alpha, s, beta, x, t_x, T)
        )

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> F:
        x, t_x, T = np.broadcast_arrays(_arr(x), _arr(t_x), _arr(T))
        return expit(-self._log_odds_dead(x, t_x, T))

    def expected_purchases(self, t: ArrayLike) -> F:
        """E[X(t)] for a new customer: rβ/(α(s-1)) · (1 - (β/(β+t))^(s-1))."""
        t = _arr(t)
        return self.r / self.alpha * _lifetime_integral(self.s, self.beta, t)

    def conditional_expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> F:
        """E[Y(t) | x, t_x, T] = P(alive) (r+x)/(α+T) (β+T)/(s-1) (1 - ((β+T)/(β+T+t))^(s-1))."""
        t, x, t_x, T = np.broadcast_arrays(_arr(t), _arr(x), _arr(t_x), _arr(T))
        rate = (self.r + x) / (self.alpha + T)
        return rate * _lifetime_integral(self.s, self.beta + T, t) * self.p_alive(x, t_x, T)


def _lifetime_integral(s: float, beta: F | float, t: F) -> F:
    """∫0^t P(alive at u) du for μ ~ Gamma(s, β): β/(s-1) · (1 - (β/(β+t))^(s-1)), s = 1 safe."""
    log_q = np.log(beta) - np.log(beta + t)
    if abs(s - 1) < 1e-9:
        return -beta * log_q
    return -beta * np.expm1((s - 1) * log_q) / (s - 1)


def fit_pareto_nbd(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> ParetoNBDModel:
    """Maximum likelihood over unique (x, t_x, T) triples (central-difference gradient)."""
    tr = unique_triples(x, t_x, T, weights)
    if tr.x.size == 0:
        raise ClvFitError("no customers to fit the model on")
    if not np.any(tr.x > 0):
        raise ClvFitError("no customer bought twice before the calibration end: nothing to fit")

    def total(phi: F) -> float:
        r, alpha, s, beta = np.exp(phi)
        with np.errstate(all="ignore"):
            return float(wdot(tr.weight, _log_likelihood(r, alpha, s, beta, tr.x, tr.t_x, tr.T)))

    def objective(phi: F) -> tuple[float, F]:
        return total(phi), numeric_gradient(total, phi)

    mean_T = float(np.average(tr.T, weights=tr.weight)) or 1.0
    start = np.log(np.array([1.0, max(mean_T, 1e-3), 1.0, max(mean_T, 1e-3)]))
    phi, ll = maximise(objective, start, tr.total_weight)
    r, alpha, s, beta = (float(v) for v in np.exp(phi))
    return ParetoNBDModel(r, alpha, s, beta, ll, round(tr.total_weight))
