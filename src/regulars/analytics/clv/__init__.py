"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma on numpy/scipy, our own code."""

from regulars.analytics.clv.bgnbd import BetaGeoModel, fit_bgnbd
from regulars.analytics.clv.data import CustomerSummary, summarise
from regulars.analytics.clv.errors import ClvFitError, ClvInputError
from regulars.analytics.clv.evaluate import HoldoutEvaluation, evaluate_holdout
from regulars.analytics.clv.gammagamma import GammaGammaModel, fit_gamma_gamma
from regulars.analytics.clv.paretonbd import ParetoNBDModel, fit_pareto_nbd
from regulars.analytics.clv.pipeline import ClvFit, fit_clv, predict_table, write_table
from regulars.analytics.clv.readers import read_transactions, transactions_table
from regulars.analytics.clv.value import ValueForecast, forecast_value

__all__ = [
    "BetaGeoModel",
    "ClvFit",
    "ClvFitError",
    "ClvInputError",
    "CustomerSummary",
    "GammaGammaModel",
    "HoldoutEvaluation",
    "ParetoNBDModel",
    "ValueForecast",
    "evaluate_holdout",
    "fit_bgnbd",
    "fit_clv",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "forecast_value",
    "predict_table",
    "read_transactions",
    "summarise",
    "transactions_table",
    "write_table",
]
