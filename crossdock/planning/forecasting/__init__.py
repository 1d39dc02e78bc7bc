"""Demand forecasting for replenishment: patterns, model choice by backtest, uncertainty.

A pure numerical module (numpy, scipy, statsforecast; no Django) so the
replenishment run can call it from a worker process. See ``engine`` for the
method, ``result`` for demand over a coverage period and its distribution.
"""

from crossdock.planning.forecasting.engine import forecast_demand
from crossdock.planning.forecasting.models import MODELS
from crossdock.planning.forecasting.patterns import PATTERNS, classify_pattern
from crossdock.planning.forecasting.result import ForecastResult

__all__ = ["MODELS", "PATTERNS", "ForecastResult", "classify_pattern", "forecast_demand"]
