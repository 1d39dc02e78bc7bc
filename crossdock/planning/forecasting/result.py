"""The forecast of a set of series and the demand over a coverage period.

Uncertainty. ``sd`` is the root mean squared error of one bucket's forecast in
the backtest (bias included, so a biased model is not credited with a narrow
spread). Over a period of ``days`` the bucket errors are taken as independent
and evenly spread over the bucket's days, so the variance grows with the
number of days covered: ``sd_total = sd × √(days / bucket_days)``.

Distribution for quantiles. Series forecast by a smoothing model (SES, Holt,
seasonal) use a normal law censored at zero: quantile = max(0, μ + zσ).
Series forecast by an intermittent model (Croston SBA, TSB, ADIDA) use a gamma
law with the same mean and variance: it is non-negative and right-skewed, as
the total of a few irregular orders is, and is the usual choice for the
lead-time demand of intermittent items (Snyder, Koehler and Ord; Syntetos and
Boylan). A zero spread gives the mean itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

INTERMITTENT_MODELS = ("CrostonSBA", "TSB", "ADIDA")


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts per series: means per bucket, the backtest error and accuracy."""

    ids: np.ndarray  # series ids as given
    model: np.ndarray  # object array: model chosen per series ("zero" for no demand)
    bucket_days: int  # 7 = weekly buckets
    mean: np.ndarray  # (n, horizon) forecast per bucket, >= 0
    sd: np.ndarray  # (n,) sd of one bucket's forecast error (backtest RMSE)
    mase: np.ndarray  # (n,) backtest MASE, nan where undefined
    bias: np.ndarray  # (n,) (sum forecast - sum actual) / sum actual; nan when < 4 buckets sold
    pattern: np.ndarray  # (n,) object array of the demand pattern used to pick candidates

    @property
    def horizon_days(self) -> int:
        return int(self.mean.shape[1]) * self.bucket_days

    def _days(self, days: object) -> np.ndarray:
        array = np.broadcast_to(np.asarray(days, dtype=np.float64), self.sd.shape)
        if not np.isfinite(array).all() or (array < 0).any():
            raise ValueError("days: expected zero or more days for every series")
        if (array > self.horizon_days).any():
            raise ValueError(
                f"days: at most {self.horizon_days} days are forecast "
                f"({self.mean.shape[1]} buckets of {self.bucket_days} days); "
                f"got up to {float(array.max()):g} — forecast a longer horizon"
            )
        return array

    def demand_over(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd of total demand over the next `days` days per series (lead time +
        review period), prorating buckets: a partial bucket counts for its share of days."""
        span = self._days(days) / self.bucket_days
        whole = np.floor(span).astype(np.int64)
        part = span - whole
        n_series, horizon = self.mean.shape
        cumulative = np.zeros((n_series, horizon + 1))
        np.cumsum(self.mean, axis=1, out=cumulative[:, 1:])
        rows = np.arange(n_series)
        following = self.mean[rows, np.minimum(whole, horizon - 1)]
        total = cumulative[rows, whole] + np.where(part > 0, part * following, 0.0)
        return total, self.sd * np.sqrt(span)

    def quantiles(
        self, days: np.ndarray, levels: tuple[float, ...] = (0.5, 0.9, 0.95)
    ) -> np.ndarray:
        """Demand quantiles over the next `days` days: shape (n, len(levels))."""
        probabilities = np.asarray(levels, dtype=np.float64)
        if probabilities.ndim != 1 or ((probabilities <= 0) | (probabilities >= 1)).any():
            raise ValueError("levels: expected probabilities strictly between 0 and 1")
        mean, sd = self.demand_over(days)
        mean, sd = mean[:, None], sd[:, None]
        out = np.maximum(mean + stats.norm.ppf(probabilities)[None, :] * sd, 0.0)
        gamma = np.isin(self.model, INTERMITTENT_MODELS) & (mean[:, 0] > 0) & (sd[:, 0] > 0)
        if gamma.any():
            shape = (mean[gamma] / sd[gamma]) ** 2
            scale = sd[gamma] ** 2 / mean[gamma]
            out[gamma] = stats.gamma.ppf(probabilities[None, :], shape, scale=scale)
        certain = sd[:, 0] == 0
        out[certain] = mean[certain]
        return out
