"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase
they drop out with probability p ~ Beta(a, b). Everything is computed in log space so frequencies
in the hundreds and long histories give finite numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, expit, gammaln, log_expit, psi

from regulars.analytics.clv._optimize import (
    Objective,
    hessian_of_mean,
    maximise,
    polish_with_hessian,
    wdot,
)
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
    """Total log-likelihood and its analytic gradient in the log-parameters.

    Per customer, L = Γ(r+x)α^r/Γ(r) · (alive + dropped) with alive = B(a, b+x)/B(a, b) ·
    (α+T)^-(r+x). Everything that depends on x, T or t_x alone is evaluated once per distinct
    value and summed with grouped weights; per distinct history only d = log(dropped / alive)
    and its logistic weight remain, which keeps a million customers to a few array passes.
    """
    (ux, ut, uT), (ix, it, iT) = tr.levels, tr.codes
    w = tr.weight
    total = tr.total_weight
    wx = np.bincount(ix, weights=w, minlength=len(ux))  # weight per distinct x
    w_T = np.bincount(iT, weights=w, minlength=len(uT))  # weight per distinct T
    wxx_T = np.bincount(iT, weights=w * tr.x, minlength=len(uT))  # Σ w·x per distinct T
    rep_u = ux > 0
    bx1_arg = np.where(rep_u, ux - 1, 0.0)
    rep = tr.x > 0
    x, wr, ixr, iTr, itr = tr.x[rep], w[rep], ix[rep], iT[rep], it[rep]

    def fn(phi: F) -> tuple[float, F]:
        r, alpha, a, b = np.exp(phi)
        bab = betaln(a, b)
        b1 = betaln(a, b + ux) - bab
        b2 = np.where(rep_u, betaln(a + 1, b + bx1_arg) - bab, -np.inf)
        u_log_T, u_log_t = np.log(alpha + uT), np.log(alpha + ut)
        u_inv_T, u_inv_t = 1.0 / (alpha + uT), 1.0 / (alpha + ut)
        # the alive branch, summed by groups: Σ w·(b1(x) - (r+x)·log(α+T))
        alive = wdot(wx, b1) - wdot(r * w_T + wxx_T, u_log_T)
        # the mix, per repeat history: log(alive + dropped) = log alive + softplus(d)
        rx = r + x
        gap = u_log_t[itr] - u_log_T[iTr]  # log(α+t_x) - log(α+T) ≤ 0
        neg_d = rx * gap - np.where(rep_u, b2 - b1, 0.0)[ixr]
        w2 = 1.0 - expit(neg_d)  # weight of the "dropped out after t_x" branch
        mix = -wdot(wr, log_expit(neg_d))
        ll = wdot(wx, gammaln(r + ux)) + total * (r * np.log(alpha) - gammaln(r)) + alive + mix
        ww2 = wr * w2
        abx = psi(a + b + ux)
        ab = psi(a + b)
        d_r = (
            wdot(wx, psi(r + ux))
            + total * (np.log(alpha) - psi(r))
            - wdot(w_T, u_log_T)
            - wdot(ww2, gap)
        )
        inv_gap = u_inv_t[itr] - u_inv_T[iTr]
        d_alpha = total * r / alpha - wdot(r * w_T + wxx_T, u_inv_T) - wdot(ww2 * rx, inv_gap)
        d_a = wdot(wx, ab - abx) + ww2.sum() * (psi(a + 1) - psi(a))
        shift = np.where(rep_u, psi(b + bx1_arg) - psi(b + ux), 0.0)
        d_b = wdot(wx, psi(b + ux) - abx - psi(b) + ab) + wdot(ww2, shift[ixr])
        grad = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
        return float(ll), grad

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
    """Maximum likelihood over unique (x, t_x, T) triples, with the analytic gradient."""
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
        result = maximise(_objective(tr), start, tr.total_weight)
    phi, ll = result
    r, alpha, a, b = (float(v) for v in np.exp(phi))
    return BetaGeoModel(r, alpha, a, b, ll, round(tr.total_weight))


LARGE = 40_000  # distinct histories above which a sample fit leads the way
SAMPLE = 5_000


def _fit_from_sample(tr: Triples, start: F) -> tuple[F, float] | None:
    """Fit a seeded sample of customers, take its Hessian, then polish on everyone with Newton
    steps: about a third of the full-data gradient evaluations L-BFGS-B needs, same optimum."""
    rng = np.random.default_rng(0)
    pick = rng.choice(tr.x.size, size=SAMPLE, p=tr.weight / tr.weight.sum())
    sample = unique_triples(tr.x[pick], tr.t_x[pick], tr.T[pick])
    if not np.any(sample.x > 0):
        return None
    sample_fn = _objective(sample)
    phi, _ = maximise(sample_fn, start, sample.total_weight)
    hess = hessian_of_mean(sample_fn, phi, sample.total_weight)
    return polish_with_hessian(_objective(tr), phi, hess, tr.total_weight)
