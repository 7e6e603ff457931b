"""BG/NBD, Pareto/NBD, Gamma-Gamma and CLV: stability, properties and hand-checked values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    fit_bgnbd,
    fit_gamma_gamma,
    forecast_value,
)
from regulars.analytics.clv._optimize import maximise
from regulars.analytics.clv.bgnbd import _newton_objective, _objective
from regulars.analytics.clv.gammagamma import _terms as _gg_terms
from regulars.analytics.clv.triples import unique_triples

BG = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
PN = ParetoNBDModel(r=0.553, alpha=10.578, s=0.606, beta=11.669)
MODELS = [BG, PN]


@pytest.mark.parametrize("model", MODELS, ids=["bgnbd", "pareto-nbd"])
def test_heavy_buyers_and_long_histories_stay_finite(model) -> None:  # type: ignore[no-untyped-def]
    x = np.array([500.0, 500.0, 300.0, 0.0, 1000.0])
    t_x = np.array([499.0, 100.0, 2000.0, 0.0, 5199.0])
    T = np.array([500.0, 1000.0, 5200.0, 5200.0, 5200.0])
    ll = model.log_likelihood_of(x, t_x, T)
    alive = model.p_alive(x, t_x, T)
    later = model.conditional_expected_purchases(52.0, x, t_x, T)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(alive)) and np.all(np.isfinite(later))
    # a customer buying every week up to now is expected to keep buying about weekly
    assert 30 < later[0] < 60
    # one who stopped 900 weeks ago is gone
    assert alive[1] < 1e-6 and later[1] < 1e-6


def test_fitting_on_heavy_buyers_gives_finite_parameters() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 600, 2000).astype(float)
    T = np.full(2000, 700.0)
    t_x = np.minimum(T, x + rng.integers(0, 50, 2000))
    m = fit_bgnbd(x, t_x, T)
    assert all(np.isfinite(v) and v > 0 for v in m.params.values())
    assert np.isfinite(m.log_likelihood)


def test_the_analytic_gradient_matches_finite_differences() -> None:
    tr = unique_triples(
        [0, 1, 2, 5, 40], [0, 3.0, 10.0, 20.0, 38.0], [39.0, 30.0, 38.0, 39.0, 39.0]
    )
    fn = _objective(tr)
    phi = np.log([0.5, 3.0, 1.4, 2.0])
    _, grad = fn(phi)
    h = 1e-6
    numeric = [(fn(phi + h * e)[0] - fn(phi - h * e)[0]) / (2 * h) for e in np.eye(4)]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_the_exact_hessian_matches_finite_differences_of_the_gradient() -> None:
    """Newton's method leans on it: a wrong Hessian would make the fit slow or wrong."""
    tr = unique_triples(
        [0, 1, 2, 5, 40, 300],
        [0, 3.0, 10.0, 20.0, 38.0, 39.0],
        [39.0, 30.0, 38.0, 39.0, 39.0, 39.0],
    )
    fn = _newton_objective(tr)
    phi = np.log([0.5, 3.0, 1.4, 2.0])
    ll, grad, hess = fn(phi)
    ll_plain, grad_plain = _objective(tr)(phi)
    assert ll == pytest.approx(ll_plain)
    assert grad == pytest.approx(grad_plain)
    h = 1e-5
    numeric = np.array([(fn(phi + h * e)[1] - fn(phi - h * e)[1]) / (2 * h) for e in np.eye(4)])
    assert hess == pytest.approx(numeric, rel=1e-5, abs=1e-5)


def _bgnbd_world(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) of customers simulated from the BG/NBD story, in days."""
    rng = np.random.default_rng(3)
    lam, p = rng.gamma(2.0, 0.02, n), rng.beta(1.0, 9.0, n)
    T = rng.integers(365, 730, n).astype(float)
    repeats = np.minimum(rng.geometric(p) - 1, 50)  # purchases made before dropping out
    times = np.cumsum(rng.exponential(1.0, (n, 50)) / lam[:, None], axis=1)
    made = (times < T[:, None]) & (np.arange(50)[None, :] < repeats[:, None])
    x = made.sum(axis=1).astype(float)
    t_x = np.floor(np.where(made, times, 0.0).max(axis=1))
    return x, t_x, T


def test_newton_and_the_sample_led_fit_agree_with_lbfgs_on_generated_data() -> None:
    """The fast path (sample, then exact Newton) lands on the same maximum as plain L-BFGS-B."""
    x, t_x, T = _bgnbd_world(20_000)
    fast = fit_bgnbd(x, t_x, T)
    tr = unique_triples(x, t_x, T)
    assert tr.x.size > 4_000  # big enough for the sample-led path
    phi, ll = maximise(_objective(tr), np.log([1.0, 30.0, 1.0, 1.0]), tr.total_weight)
    for got, want in zip(fast.params.values(), np.exp(phi), strict=True):
        assert got == pytest.approx(want, rel=1e-4)
    assert fast.log_likelihood == pytest.approx(ll, rel=1e-9)


def test_a_small_hand_made_data_set_fits_to_its_own_likelihood_maximum() -> None:
    x = [0, 0, 1, 2, 3, 0, 1, 4]
    t_x = [0, 0, 5, 8, 20, 0, 2, 25]
    T = [30, 25, 30, 30, 30, 10, 20, 30]
    m = fit_bgnbd(x, t_x, T)
    for step in np.eye(4) * 0.01:  # nudging any parameter lowers the likelihood
        r, alpha, a, b = np.exp(np.log([m.r, m.alpha, m.a, m.b]) + step)
        nudged = BetaGeoModel(r, alpha, a, b).log_likelihood_of(x, t_x, T).sum()
        assert nudged < m.log_likelihood
    assert m.n_customers == 8


def test_a_customer_who_never_came_back_is_alive_for_bgnbd() -> None:
    assert BG.p_alive(0, 0, 38.0).item() == 1.0
    assert BG.conditional_expected_purchases(10, 0, 0, 0).item() == pytest.approx(
        BG.expected_purchases(10).item()
    )


def test_a_equal_to_one_is_handled() -> None:
    m = BetaGeoModel(r=0.5, alpha=5.0, a=1.0, b=2.0)
    near = BetaGeoModel(r=0.5, alpha=5.0, a=1.0 + 1e-4, b=2.0)
    assert m.expected_purchases(10).item() == pytest.approx(
        near.expected_purchases(10).item(), rel=1e-3
    )


histories = st.tuples(st.integers(0, 400), st.floats(0, 1.0), st.floats(1.0, 2000.0)).map(
    lambda h: (float(h[0]), h[1] * h[2] if h[0] > 0 else 0.0, h[2])
)
params = st.tuples(*[st.floats(0.05, 20.0)] * 4)


@settings(max_examples=150, deadline=None)
@given(h=histories, p=params, kind=st.sampled_from(["bgnbd", "pareto-nbd"]))
def test_probabilities_and_expectations_behave(h, p, kind) -> None:  # type: ignore[no-untyped-def]
    model = BetaGeoModel(*p) if kind == "bgnbd" else ParetoNBDModel(*p)
    x, t_x, T = h
    alive = model.p_alive(x, t_x, T).item()
    assert 0.0 <= alive <= 1.0
    horizons = np.array([1.0, 10.0, 52.0, 260.0])
    later = model.conditional_expected_purchases(horizons, x, t_x, T)
    assert np.all(np.isfinite(later)) and np.all(later >= 0)
    assert np.all(np.diff(later) >= -1e-9 * np.maximum(1.0, later[1:]))
    fresh = model.expected_purchases(horizons)
    assert np.all(fresh >= 0) and np.all(np.diff(fresh) >= -1e-12)


def test_gamma_gamma_shrinks_towards_the_population_mean() -> None:
    g = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    assert g.population_mean_spend == pytest.approx(6.25 * 15.44 / 2.74)
    assert g.expected_spend(0, 0).item() == pytest.approx(g.population_mean_spend)
    one, many = g.expected_spend([1, 50], [100.0, 100.0])
    assert g.population_mean_spend < one < many < 100.0


def test_clv_is_discounted_expected_purchases_times_spend() -> None:
    """One month: CLV = E[Y(1 month)] x spend / (1 + d)."""
    month = (365.25 / 12) / 7
    expected = BG.conditional_expected_purchases(month, 2, 30.43, 38.86).item()
    fc = forecast_value(
        BG, [2], [30.43], [38.86], [50.0], horizon_months=1, discount_rate=0.1, period_days=7
    )
    assert fc.clv[0] == pytest.approx(expected * 50.0 / 1.1)
    no_discount = forecast_value(
        BG, [2], [30.43], [38.86], [50.0], horizon_months=12, discount_rate=0.0, period_days=7
    )
    assert no_discount.clv[0] == pytest.approx(no_discount.expected_purchases[0] * 50.0)
    discounted = forecast_value(
        BG, [2], [30.43], [38.86], [50.0], horizon_months=12, discount_rate=0.01, period_days=7
    )
    assert discounted.clv[0] < no_discount.clv[0]


def test_gamma_gamma_fit_is_at_its_likelihood_maximum() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 30, 500).astype(float)
    spend = rng.gamma(6.0, 1 / rng.gamma(3.5, 1 / 15.0, 500))  # per-customer mean values
    m = rng.gamma(6.0 * x, spend / (6.0 * x))
    g = fit_gamma_gamma(x, m)

    def total(p: float, q: float, gamma: float) -> float:
        return float(_gg_terms(p, q, gamma, x, m).sum())

    assert total(g.p, g.q, g.gamma) == pytest.approx(g.log_likelihood)
    for factor in np.eye(3) * 0.01:
        nudged = np.array([g.p, g.q, g.gamma]) * np.exp(factor)
        assert total(*nudged) < g.log_likelihood
