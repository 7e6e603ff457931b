"""CDNOW: our models must reproduce the published results (Fader, Hardie & Lee 2005; F&H notes)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from regulars.analytics.clv import (
    BetaGeoModel,
    CustomerSummary,
    evaluate_holdout,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    summarise,
    transactions_table,
)
from regulars.analytics.clv.triples import unique_triples
from tests.conftest import DATA


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow() -> CustomerSummary:
    raw = np.loadtxt(DATA / "cdnow_sample.txt")
    table = pa.table(
        {
            "customer": raw[:, 0].astype(np.int64),
            "date": raw[:, 2].astype(np.int64),
            "usd": raw[:, 4],
        }
    )
    tx = transactions_table(table, customer_col="customer", date_col="date", amount_col="usd")
    return summarise(
        tx, calibration_end=date(1997, 9, 30), period="week", holdout_end=date(1998, 6, 30)
    )


def test_the_summary_has_every_customer_of_the_sample(cdnow: CustomerSummary) -> None:
    assert len(cdnow) == 2357
    assert int(cdnow.frequency.sum()) == 2457  # repeat purchase days up to 1997-09-30
    assert int((cdnow.frequency > 0).sum()) == 946
    assert cdnow.T.max() == pytest.approx(272 / 7)  # first buyers on 1997-01-01


def test_bgnbd_reproduces_the_published_parameters(cdnow: CustomerSummary) -> None:
    m = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    assert [sig3(v) for v in (m.r, m.alpha, m.a, m.b)] == [0.243, 4.41, 0.793, 2.43]
    assert m.alpha == pytest.approx(4.414, abs=0.001)
    assert m.b == pytest.approx(2.426, abs=0.001)
    assert m.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert m.n_customers == 2357


def test_pareto_nbd_reproduces_the_published_parameters(cdnow: CustomerSummary) -> None:
    m = fit_pareto_nbd(cdnow.frequency, cdnow.recency, cdnow.T)
    assert [sig3(v) for v in (m.r, m.alpha, m.s, m.beta)] == [0.553, 10.6, 0.606, 11.7]
    assert m.alpha == pytest.approx(10.578, abs=0.001)
    assert m.beta == pytest.approx(11.669, abs=0.001)
    assert m.log_likelihood == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_reproduces_the_published_parameters(cdnow: CustomerSummary) -> None:
    g = fit_gamma_gamma(cdnow.frequency, cdnow.monetary)
    assert [sig3(v) for v in (g.p, g.q, g.gamma)] == [6.25, 3.74, 15.4]
    assert g.gamma == pytest.approx(15.44, abs=0.005)
    assert g.n_customers == 946


def test_the_published_conditional_expectation() -> None:
    """x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks."""
    m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert m.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)


def test_holdout_prediction_is_close_to_what_happened(cdnow: CustomerSummary) -> None:
    m = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    ev = evaluate_holdout(m, cdnow)
    assert ev.actual_holdout_transactions == 1882
    assert 1500 < ev.predicted_holdout_transactions < 2000
    assert ev.correlation > 0.5
    assert ev.per_customer_mae < 1.0


def test_the_sample_led_fit_for_large_data_finds_the_same_maximum(
    cdnow: CustomerSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large data sets fit a sample first and polish with Newton steps: same answer."""
    from regulars.analytics.clv import bgnbd

    direct = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    monkeypatch.setattr(bgnbd, "LARGE", 100)
    tr = unique_triples(cdnow.frequency, cdnow.recency, cdnow.T)
    assert bgnbd._fit_from_sample(tr, np.log([1.0, 30.0, 1.0, 1.0])) is not None  # no fallback
    led = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    for k, v in direct.params.items():
        assert led.params[k] == pytest.approx(v, rel=1e-5)
    assert led.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-6)
