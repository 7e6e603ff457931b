"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase
they drop out with probability p ~ Beta(a, b). Everything is computed in log space so frequencies
in the hundreds and long histories give finite numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, expit, gammaln

from regulars.analytics.clv._optimize import Objective, maximise, newton
from regulars.analytics.clv.bgnbd_likelihood import BgnbdLikelihood
from regulars.analytics.clv.errors import ClvFitError
from regulars.analytics.clv.hypergeometric import hyp2f1
from regulars.analytics.clv.triples import Triples, unique_triples

F = NDArray[np.float64]


def _arr(v: ArrayLike) -> F:
    return np.asarray(v, dtype=np.float64)


def _log_likelihood_terms(
    r: float, alpha: float, a: float, b: float, x: F, t_x: F, T: F
) -> tuple[F, F, F]:
    """Per-row log-likelihood, plus the two log mixture terms (l1 alive, l2 dropped after t_x)."""
    rx = r + x
    l1 = betaln(a, b + x) - betaln(a, b) - rx * np.log(alpha + T)
    rep = x > 0
    l2 = np.full_like(x, -np.inf)
    l2[rep] = betaln(a + 1, b + x[rep] - 1) - betaln(a, b) - rx[rep] * np.log(alpha + t_x[rep])
    ll = gammaln(rx) - gammaln(r) + r * np.log(alpha) + np.logaddexp(l1, l2)
    return ll, l1, l2


def _objective(tr: Triples) -> Objective:
    """Total log-likelihood and its analytic gradient in the log-parameters (for L-BFGS-B)."""
    lik = BgnbdLikelihood(tr)

    def fn(phi: F) -> tuple[float, F]:
        e = lik.evaluate(phi)
        return e.ll, e.grad

    return fn


def _newton_objective(tr: Triples) -> Callable[[F], tuple[float, F, F]]:
    """Log-likelihood, gradient and exact Hessian in the log-parameters (for Newton)."""
    lik = BgnbdLikelihood(tr)

    def fn(phi: F) -> tuple[float, F, F]:
        e = lik.evaluate(phi, hessian=True)
        assert e.hess is not None
        return e.ll, e.grad, e.hess

    return fn


@dataclass(frozen=True, slots=True)
class BetaGeoModel:
    """Fitted BG/NBD parameters; time is in the period the data were summarised in."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0

    name = "bgnbd"

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def log_likelihood_of(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> F:
        return _log_likelihood_terms(
            self.r, self.alpha, self.a, self.b, _arr(x), _arr(t_x), _arr(T)
        )[0]

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> F:
        """P(still a customer at T | history): 1 for customers who never bought again."""
        x, t_x, T = np.broadcast_arrays(_arr(x), _arr(t_x), _arr(T))
        return expit(-self._log_odds_dead(x, t_x, T))

    def _log_odds_dead(self, x: F, t_x: F, T: F) -> F:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        out = np.full(x.shape, -np.inf)
        rep = x > 0
        xr = x[rep]
        out[rep] = (
            np.log(a)
            - np.log(b + xr - 1)
            + (r + xr) * (np.log(alpha + T[rep]) - np.log(alpha + t_x[rep]))
        )
        return out

    def expected_purchases(self, t: ArrayLike) -> F:
        """E[X(t)]: purchases a new customer makes in (0, t]."""
        t = _arr(t)
        return self.conditional_expected_purchases(
            t, np.zeros_like(t), np.zeros_like(t), np.zeros_like(t)
        )

    def conditional_expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> F:
        """E[Y(t) | x, t_x, T]: purchases in (T, T + t] for a customer with this history.

        Uses Euler's transformation of the published 2F1 so that the hypergeometric function has
        bounded arguments: (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z),
        with c = a+b+x-1 and z = t / (α+T+t); this stays finite for x in the hundreds.
        """
        t, x, t_x, T = np.broadcast_arrays(_arr(t), _arr(x), _arr(t_x), _arr(T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if abs(a - 1) < 1e-9:  # removable singularity at a = 1: step just beside it
            a = 1 + 1e-7
        if abs(a + b - 1) < 1e-9:  # c = 0 for x = 0 (c·2F1 is finite there): same remedy
            b = b + 2e-9
        c = a + b + x - 1
        z = t / (alpha + T + t)
        log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
        f = hyp2f1(a + b - 1 - r, a - 1, c, z)
        with np.errstate(invalid="ignore", divide="ignore"):  # f ≤ 0 only when c < 0 (a + b < 1)
            precise = -np.expm1((a - 1) * log_one_minus_z + np.log(f))
        bracket = np.where(f > 0, precise, 1.0 - np.exp((a - 1) * log_one_minus_z) * f)
        lead = c / (a - 1)
        value = lead * bracket * expit(-self._log_odds_dead(x, t_x, T))
        return np.maximum(value, 0.0)


def fit_bgnbd(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> BetaGeoModel:
    """Maximum likelihood over unique (x, t_x, T) triples by Newton's method (exact Hessian)."""
    tr = unique_triples(x, t_x, T, weights)
    if tr.x.size == 0:
        raise ClvFitError("no customers to fit the model on")
    if not np.any(tr.x > 0):
        raise ClvFitError("no customer bought twice before the calibration end: nothing to fit")
    # start at r = 1 with the observed purchase rate: λ ~ Gamma(1, α) has mean 1/α
    rate = float(
        np.average(tr.x, weights=tr.weight) / max(np.average(tr.T, weights=tr.weight), 1e-9)
    )
    start = np.log(np.array([1.0, 1.0 / max(rate, 1e-9), 1.0, 1.0]))
    result = _fit_from_sample(tr, start) if tr.x.size > LARGE else None
    if result is None:
        result = newton(_newton_objective(tr), start, tr.total_weight)
    if result is None:  # Newton found no way up: L-BFGS-B, slower but hard to derail
        result = maximise(_objective(tr), start, tr.total_weight)
    phi, ll = result
    r, alpha, a, b = (float(v) for v in np.exp(phi))
    return BetaGeoModel(r, alpha, a, b, ll, round(tr.total_weight))


LARGE = 4_000  # distinct histories above which a sample fit leads the way
SAMPLE = 5_000  # at most; an eighth of the histories on smaller data


def _fit_from_sample(tr: Triples, start: F) -> tuple[F, float] | None:
    """Fit a seeded sample of customers, then finish on everyone with exact Newton steps: two or
    three passes over the full data instead of the twenty-odd L-BFGS-B needs."""
    rng = np.random.default_rng(0)
    size = max(min(SAMPLE, tr.x.size // 8), 500)
    pick = rng.choice(tr.x.size, size=size, p=tr.weight / tr.weight.sum())
    sample = tr.subset(pick)
    if not np.any(sample.x > 0):
        return None
    # the sample's own maximum is only known to its sampling error: a rough fit is enough
    rough = newton(_newton_objective(sample), start, sample.total_weight, xtol=0.02)
    if rough is None:
        return None
    return newton(_newton_objective(tr), rough[0], tr.total_weight)
