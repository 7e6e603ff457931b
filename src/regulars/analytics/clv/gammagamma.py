"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note).

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers; the mean
of x repeat transactions, m̄, is then Gamma(px, νx). Fitted on repeat customers only (x > 0, m̄ > 0),
it gives each customer's expected average spend, shrunk from their own mean towards the
population mean by how many purchases we have seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, psi

from regulars.analytics.clv._optimize import maximise, wdot
from regulars.analytics.clv.errors import ClvFitError

F = NDArray[np.float64]


def _arr(v: ArrayLike) -> F:
    return np.asarray(v, dtype=np.float64)


def _terms(p: float, q: float, g: float, x: F, m: F) -> F:
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


@dataclass(frozen=True, slots=True)
class GammaGammaModel:
    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    n_customers: int = 0

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean_spend(self) -> float:
        """E[M] for someone we know nothing about: pγ/(q-1) (infinite when q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def expected_spend(self, x: ArrayLike, mean_spend: ArrayLike) -> F:
        """E[M | x, m̄] = p(γ + m̄x)/(px + q - 1); the population mean for x = 0."""
        x, m = np.broadcast_arrays(_arr(x), _arr(mean_spend))
        m = np.where(x > 0, m, 0.0)
        return self.p * (self.gamma + m * x) / (self.p * x + self.q - 1)


def fit_gamma_gamma(frequency: ArrayLike, mean_spend: ArrayLike) -> GammaGammaModel:
    """Maximum likelihood on the customers with at least one repeat purchase of positive value."""
    x_all, m_all = _arr(frequency), _arr(mean_spend)
    keep = (x_all > 0) & (m_all > 0) & np.isfinite(m_all)
    x, m = x_all[keep], m_all[keep]
    if x.size < 2:
        raise ClvFitError(
            "the spend model needs at least two customers with a paid repeat purchase"
        )

    # Gamma functions depend on x alone: evaluate them per distinct x, weighted by its count.
    ux, ix = np.unique(x, return_inverse=True)
    nx = np.bincount(ix.ravel(), minlength=len(ux)).astype(np.float64)
    n = float(x.size)
    mx = m * x
    log_m = np.log(m)
    sum_x_log_m, sum_log_m = float((x * log_m).sum()), float(log_m.sum())
    u_log_u = ux * np.log(ux)

    def objective(phi: F) -> tuple[float, F]:
        p, q, g = np.exp(phi)
        pu = p * ux
        log_gm = np.log(g + mx)
        inv_gm = 1.0 / (g + mx)
        sum_log_gm, sum_x_log_gm = float(log_gm.sum()), float((x * log_gm).sum())
        ll = (
            wdot(nx, gammaln(pu + q) - gammaln(pu) + p * u_log_u)
            + n * (q * np.log(g) - gammaln(q))
            + p * sum_x_log_m
            - sum_log_m
            - p * sum_x_log_gm
            - q * sum_log_gm
        )
        common = psi(pu + q)
        d_p = wdot(nx, ux * (common - psi(pu)) + u_log_u) + sum_x_log_m - sum_x_log_gm
        d_q = wdot(nx, common) - n * psi(q) + n * np.log(g) - sum_log_gm
        d_g = n * q / g - p * float((x * inv_gm).sum()) - q * float(inv_gm.sum())
        return float(ll), np.array([p * d_p, q * d_q, g * d_g])

    scale = float(np.mean(m))
    phi, ll = maximise(objective, np.log(np.array([1.0, 1.0, scale])), float(x.size))
    p, q, g = (float(v) for v in np.exp(phi))
    return GammaGammaModel(p, q, g, ll, int(x.size))
