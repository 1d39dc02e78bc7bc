"""Demand forecasting: patterns, model choice by backtest, accuracy and coverage demand."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from crossdock.planning.forecasting import ForecastResult, classify_pattern, engine, forecast_demand
from crossdock.planning.forecasting.models import INTERMITTENT


def weekly_to_daily(weekly: list[float] | np.ndarray, day: int = 3) -> np.ndarray:
    """Daily demand with each week's total on one day of that week."""
    weeks = np.asarray(weekly, dtype=np.float64)
    daily = np.zeros(weeks.size * 7)
    daily[day::7] = weeks
    return daily


def spread_daily(weekly: np.ndarray) -> np.ndarray:
    """Daily demand with each week's total spread evenly over its days."""
    return np.repeat(np.asarray(weekly, dtype=np.float64) / 7, 7)


def result(mean: list[list[float]], sd: list[float], model: list[str]) -> ForecastResult:
    n = len(mean)
    return ForecastResult(
        ids=np.arange(n),
        model=np.array(model, dtype=object),
        bucket_days=7,
        mean=np.array(mean, dtype=np.float64),
        sd=np.array(sd, dtype=np.float64),
        mase=np.full(n, np.nan),
        bias=np.full(n, np.nan),
        pattern=np.array(["smooth"] * n, dtype=object),
    )


# --- patterns -----------------------------------------------------------------------------


def test_patterns_follow_syntetos_boylan_on_known_series():
    daily = np.stack(
        [
            weekly_to_daily([7] * 10),  # every week, same size
            weekly_to_daily([1, 11] * 5),  # every week, sizes 1 and 11
            weekly_to_daily([5, 0] * 5),  # every other week, same size
            weekly_to_daily([1, 0, 11, 0] * 2 + [1, 0]),  # every other week, sizes 1 and 11
            np.zeros(70),
        ]
    )
    pattern, adi, cv2 = classify_pattern(daily)
    assert pattern.tolist() == ["smooth", "erratic", "intermittent", "lumpy", "intermittent"]
    assert adi.tolist() == [1.0, 1.0, 2.0, 2.0, np.inf]
    # sizes 1 and 11: mean 6, variance 25; sizes 1, 11, 1, 11, 1: mean 5, variance 24
    assert cv2[:4] == pytest.approx([0.0, 25 / 36, 0.0, 24 / 25])
    assert np.isnan(cv2[4])


def test_exact_adi_threshold_is_intermittent():
    # 25 weeks with demand out of 33: ADI = 1.32 exactly
    at_adi = weekly_to_daily([4] * 25 + [0] * 8)
    below = weekly_to_daily([4] * 26 + [0] * 7)  # ADI 33/26 < 1.32
    pattern, adi, _ = classify_pattern(np.stack([at_adi, below]))
    assert adi == pytest.approx([1.32, 33 / 26])
    assert pattern.tolist() == ["intermittent", "smooth"]


def test_exact_cv2_threshold_is_erratic():
    # sizes 3 and 17 in equal numbers: mean 10, sd 7, CV² = 0.49
    pattern, adi, cv2 = classify_pattern(weekly_to_daily([3, 17] * 6)[None, :])
    assert adi[0] == 1.0
    assert cv2[0] == pytest.approx(0.49)
    assert pattern[0] == "erratic"


def test_buckets_are_aligned_to_the_end_of_the_history():
    # 72 days make ten weeks; the two oldest days fall outside every bucket
    daily = np.zeros((2, 72))
    daily[0, :2] = 9
    daily[1, 2] = 9
    _, adi, _ = classify_pattern(daily)
    assert adi.tolist() == [np.inf, 10.0]


# --- forecasts ----------------------------------------------------------------------------


def test_constant_series_forecasts_the_constant():
    forecast = forecast_demand(np.full((1, 728), 2.0), np.array([41]), horizon=4)
    assert forecast.model.tolist() == ["SES"]
    assert forecast.mean[0] == pytest.approx([14.0] * 4)
    assert forecast.sd[0] == pytest.approx(0.0, abs=1e-9)
    assert forecast.bias[0] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(forecast.mase[0])  # a constant history has no naive error to scale by
    assert forecast.ids.tolist() == [41]


def test_no_demand_forecasts_zero():
    daily = np.stack([np.zeros(364), np.full(364, 1.0)])
    forecast = forecast_demand(daily, np.array(["a", "b"]), horizon=3)
    assert forecast.model.tolist() == ["zero", "SES"]
    assert forecast.mean[0].tolist() == [0.0, 0.0, 0.0]
    assert forecast.sd[0] == 0.0
    assert np.isnan(forecast.mase[0])
    assert np.isnan(forecast.bias[0])


def test_intermittent_series_gets_an_intermittent_model_and_trend_gets_holt():
    rng = np.random.default_rng(3)
    sparse = np.where(rng.random(104) < 0.25, rng.integers(1, 9, 104), 0)
    trending = 100 + 3 * np.arange(104) + rng.normal(0, 2, 104)
    daily = np.stack([weekly_to_daily(sparse), spread_daily(trending)])
    forecast = forecast_demand(daily, np.arange(2))
    assert forecast.pattern.tolist() == ["intermittent", "smooth"]
    assert forecast.model[0] in INTERMITTENT
    assert forecast.model[1] == "Holt"
    # the trend carries on: next week is near 100 + 3 · 104, later weeks higher
    assert forecast.mean[1, 0] == pytest.approx(412, rel=0.03)
    assert forecast.mean[1, 5] > forecast.mean[1, 0]
    assert forecast.mase[1] < 1.0


def test_seasonal_model_only_with_two_seasons_of_training_history():
    weeks = np.arange(164)
    seasonal = 50 + 40 * np.sin(2 * np.pi * weeks / 52)
    long = forecast_demand(spread_daily(seasonal)[None, :], np.arange(1), horizon=4)
    assert long.model.tolist() == ["SeasonalES"]
    expected = 50 + 40 * np.sin(2 * np.pi * np.arange(164, 168) / 52)
    assert long.mean[0] == pytest.approx(expected, rel=0.02)
    # 104 weeks leave 96 for training: no seasonal candidate, and an earlier
    # seasonal choice is not reused
    short = forecast_demand(
        spread_daily(seasonal[:104])[None, :], np.arange(1), models=np.array(["SeasonalES"])
    )
    assert short.model[0] in ("SES", "Holt")


def test_bias_sign_follows_the_holdout():
    falling = spread_daily([10.0] * 96 + [5.0] * 8)
    rising = spread_daily([10.0] * 96 + [20.0] * 8)
    forecast = forecast_demand(np.stack([falling, rising]), np.arange(2))
    # both forecast 10 a week over the eight holdout weeks
    assert forecast.bias == pytest.approx([(80 - 40) / 40, (80 - 160) / 160])
    assert forecast.sd == pytest.approx([5.0, 10.0])


def test_reusing_models_gives_the_same_forecasts_and_skips_the_choice():
    rng = np.random.default_rng(5)
    daily = np.stack(
        [
            weekly_to_daily(np.where(rng.random(104) < 0.3, rng.integers(1, 20, 104), 0)),
            spread_daily(50 + rng.normal(0, 5, 104)),
            spread_daily(20 + 0.5 * np.arange(104) + rng.normal(0, 1, 104)),
            np.zeros(728),
        ]
    )
    chosen = forecast_demand(daily, np.arange(4))
    again = forecast_demand(daily, np.arange(4), models=chosen.model)
    assert again.model.tolist() == chosen.model.tolist()
    assert np.array_equal(again.mean, chosen.mean)
    assert np.array_equal(again.sd, chosen.sd)
    forced = forecast_demand(daily, np.arange(4), models=np.array(["TSB", None, "", "zero"]))
    assert forced.model[0] == "TSB"
    assert forced.model[1:].tolist() == chosen.model[1:].tolist()


def test_worker_processes_give_the_same_forecasts(monkeypatch):
    rng = np.random.default_rng(8)
    daily = np.stack(
        [weekly_to_daily(np.where(rng.random(60) < 0.4, rng.integers(1, 9, 60), 0))] * 2
        + [weekly_to_daily(np.where(rng.random(60) < 0.2, rng.integers(1, 30, 60), 0))] * 2
        + [spread_daily(30 + rng.normal(0, 3, 60)) for _ in range(4)]
    )
    alone = forecast_demand(daily, np.arange(8), n_jobs=1)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    pooled = forecast_demand(daily, np.arange(8), n_jobs=2)
    assert pooled.model.tolist() == alone.model.tolist()
    assert np.array_equal(pooled.mean, alone.mean)


# --- demand over a coverage period --------------------------------------------------------


def test_demand_over_prorates_buckets():
    forecast = result([[7.0, 14.0, 21.0], [7.0, 7.0, 7.0]], [2.0, 0.0], ["SES", "SES"])
    mean, sd = forecast.demand_over(np.array([10, 10]))
    assert mean == pytest.approx([7 + 3 / 7 * 14, 10.0])
    assert sd == pytest.approx([2 * np.sqrt(10 / 7), 0.0])
    mean, _ = forecast.demand_over(np.array([21, 0]))
    assert mean == pytest.approx([42.0, 0.0])
    with pytest.raises(ValueError, match="days: at most 21 days"):
        forecast.demand_over(np.array([22, 7]))
    with pytest.raises(ValueError, match="days: expected zero or more"):
        forecast.demand_over(np.array([-1, 7]))


def test_quantiles_normal_for_smoothing_models_gamma_for_intermittent():
    forecast = result(
        [[70.0], [10.0], [5.0], [0.0]], [10.0, 10.0, 0.0, 3.0], ["SES", "CrostonSBA", "TSB", "SES"]
    )
    q = forecast.quantiles(np.array([7, 7, 7, 7]), levels=(0.5, 0.9))
    assert q[0] == pytest.approx([70.0, 70 + 1.2815515655446004 * 10])
    # mean = sd = 10: a gamma of shape 1, the exponential law: q = -10 ln(1 - p)
    assert q[1] == pytest.approx([10 * np.log(2), 10 * np.log(10)])
    assert q[2].tolist() == [5.0, 5.0]  # no spread: the mean
    assert q[3] == pytest.approx([0.0, 1.2815515655446004 * 3])  # censored at zero
    with pytest.raises(ValueError, match="levels"):
        forecast.quantiles(np.array([7, 7, 7, 7]), levels=(0.5, 1.0))


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("daily", "ids", "options", "message"),
    [
        (np.ones(364), np.arange(1), {}, "daily: expected a 2-D array"),
        (np.ones((2, 0)), np.arange(2), {}, "daily: expected at least one series"),
        (np.array([[1.0] * 100 + [-2.0] + [1.0] * 263]), np.arange(1), {}, "negative days"),
        (np.array([[np.nan] * 364]), np.arange(1), {}, "NaN or infinite"),
        (np.array([["a"] * 364]), np.arange(1), {}, "daily: expected numbers"),
        (np.ones((2, 364)), np.arange(3), {}, "ids: expected one id per series"),
        (np.ones((2, 364)), np.array([4, 4]), {}, "ids: series ids must be unique"),
        (
            np.ones((1, 364)),
            np.arange(1),
            {"holdout": 51},
            r"52 buckets of 7 days; the backtest needs at least holdout \+ 2 = 53",
        ),
        (np.ones((1, 364)), np.arange(1), {"bucket_days": 0}, "bucket_days: must be at least"),
        (np.ones((1, 364)), np.arange(1), {"horizon": 0}, "horizon: expected a whole number"),
        (np.ones((1, 364)), np.arange(1), {"patterns": ["steady"]}, "patterns: 'steady'"),
        (np.ones((1, 364)), np.arange(1), {"models": ["ARIMA"]}, "models: 'ARIMA'"),
        (np.ones((1, 364)), np.arange(1), {"models": ["SES", "SES"]}, "models: expected one"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(daily, ids, options, message):
    with pytest.raises(ValueError, match=message):
        forecast_demand(daily, ids, **options)


def test_classify_refuses_negative_demand():
    with pytest.raises(ValueError, match="daily: demand must be zero or more; 1 series"):
        classify_pattern(np.array([[1.0, -1.0] * 7, [0.0] * 14]))


def test_forecasting_does_not_import_django():
    code = (
        "import sys, crossdock.planning.forecasting\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_models_give_what_statsforecast_gives_through_its_data_frame_interface():
    import pandas as pd
    from statsforecast import StatsForecast

    from crossdock.planning.forecasting.models import _statsforecast_model, run_model

    rng = np.random.default_rng(11)
    values = np.where(rng.random((4, 40)) < 0.5, rng.integers(1, 12, (4, 40)), 0).astype(float)
    names = ["CrostonSBA", "TSB", "ADIDA", "SES"]
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(4), 40),
            "ds": np.tile(np.arange(40), 4),
            "y": values.ravel(),
        }
    )
    engine_ = StatsForecast(models=[_statsforecast_model(n, 52) for n in names], freq=1)
    out = engine_.forecast(df=frame, h=3).sort_values(["unique_id", "ds"])
    for name in names:
        expected = np.clip(out[name].to_numpy().reshape(4, 3), 0, None)
        assert run_model(name, values, 3, 52) == pytest.approx(expected, rel=1e-12)


def test_bias_is_judged_only_with_enough_demand_buckets_in_the_holdout():
    # the same training history (an order of 4 every other week); holdouts of 3 and 4 orders
    train = [4.0, 0.0] * 48
    three = weekly_to_daily([*train, 4.0, 0, 4.0, 0, 4.0, 0, 0, 0])
    four = weekly_to_daily(train + [4.0, 0] * 4)
    forecast = forecast_demand(np.stack([three, four]), np.arange(2))
    assert engine.MIN_BIAS_BUCKETS == 4
    assert np.isnan(forecast.bias[0])  # three orders: not judged
    # four orders are judged: about 0.95 × 4 / 2 = 1.9 a week (Croston SBA on an order of
    # 4 every other week) over 8 weeks against the 16 sold
    assert forecast.bias[1] == pytest.approx(8 * 1.9 / 16 - 1, abs=0.01)
