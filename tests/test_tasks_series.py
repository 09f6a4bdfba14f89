"""Tests of the time-series generator, the windowing and the linear AR baseline in lstm_helpers.tasks.series."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_helpers.tasks.series
from lstm_helpers import set_seed
from lstm_helpers.tasks import make_windows, seasonal_series
from lstm_helpers.tasks.series import fit_linear_ar, linear_ar_forecast


def test_docstring_examples_run():
    result = doctest.testmod(lstm_helpers.tasks.series, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_exported_from_the_tasks_package():
    assert "seasonal_series" in lstm_helpers.tasks.__all__
    assert "make_windows" in lstm_helpers.tasks.__all__
    assert {"fit_linear_ar", "linear_ar_forecast"} <= set(lstm_helpers.tasks.series.__all__)


# --- seasonal_series -----------------------------------------------------------------------------

def test_shape_and_dtype():
    s = seasonal_series(100, np.random.default_rng(0))
    assert s.shape == (100,) and s.dtype == np.float64


def test_zero_noise_gives_the_exact_formula():
    n = 500
    s = seasonal_series(n, np.random.default_rng(0), period=24, amplitude=1.5, period2=168,
                        amplitude2=0.7, trend=0.01, level=3.0, noise=0.0)
    t = np.arange(n)
    expected = 3.0 + 0.01 * t + 1.5 * np.sin(2 * np.pi * t / 24) + 0.7 * np.sin(2 * np.pi * t / 168)
    np.testing.assert_allclose(s, expected, rtol=0, atol=1e-12)


def test_noise_is_the_stated_gaussian_draw():
    n, sigma = 300, 0.4
    s = seasonal_series(n, np.random.default_rng(7), period=10, amplitude=0.0, noise=sigma)
    eps = np.random.default_rng(7).standard_normal(n)
    np.testing.assert_allclose(s, sigma * eps, rtol=0, atol=1e-12)


def test_noise_has_the_stated_standard_deviation():
    s = seasonal_series(200_000, np.random.default_rng(3), amplitude=0.0, noise=0.3)
    assert abs(s.std() - 0.3) < 0.003
    assert abs(s.mean()) < 0.003


@settings(max_examples=25, deadline=None)
@given(period=st.integers(2, 50), amplitude=st.floats(-3, 3), n_periods=st.integers(2, 5))
def test_seasonality_has_the_stated_period(period, amplitude, n_periods):
    s = seasonal_series(period * n_periods, np.random.default_rng(0), period=period,
                        amplitude=amplitude, noise=0.0)
    np.testing.assert_allclose(s[period:], s[:-period], rtol=0, atol=1e-9)


def test_one_sine_has_no_shorter_period():
    s = seasonal_series(96, np.random.default_rng(0), period=24, noise=0.0)
    for shift in range(1, 24):
        assert not np.allclose(s[shift:], s[:-shift], atol=1e-6), shift
    assert abs(s.max() - 1.0) < 1e-12 and abs(s.min() + 1.0) < 1e-12


def test_two_seasonalities_repeat_after_the_common_period():
    s = seasonal_series(3 * 168, np.random.default_rng(0), period=24, period2=168, amplitude2=0.5, noise=0.0)
    np.testing.assert_allclose(s[168:], s[:-168], rtol=0, atol=1e-9)
    assert not np.allclose(s[24:], s[:-24], atol=1e-6)  # the weekly term breaks the daily repeat


def test_trend_is_the_slope_per_step():
    s = seasonal_series(1000, np.random.default_rng(0), period=20, trend=0.05, level=-2.0, noise=0.0)
    # over whole periods the sine averages out; what is left is the trend line
    np.testing.assert_allclose(s[20:] - s[:-20], 0.05 * 20, atol=1e-9)
    assert abs(s[0] + 2.0) < 1e-12


def test_components_add_up():
    s, parts = seasonal_series(240, np.random.default_rng(1), period=24, period2=120, amplitude2=0.3,
                               trend=0.02, level=1.0, noise=0.2, return_components=True)
    assert set(parts) == {"trend", "season", "season2", "noise"}
    for value in parts.values():
        assert value.shape == (240,)
    np.testing.assert_allclose(sum(parts.values()), s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(parts["trend"], 1.0 + 0.02 * np.arange(240))
    _, without = seasonal_series(24, np.random.default_rng(1), return_components=True)
    np.testing.assert_array_equal(without["season2"], 0.0)


def test_deterministic_under_a_seed():
    kwargs = dict(period=12, period2=60, amplitude2=0.4, trend=0.01, noise=0.5)
    a = seasonal_series(200, np.random.default_rng(5), **kwargs)
    b = seasonal_series(200, np.random.default_rng(5), **kwargs)
    c = seasonal_series(200, np.random.default_rng(6), **kwargs)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(seasonal_series(50, set_seed(0)), seasonal_series(50, set_seed(0)))


def test_generator_advances_by_n_steps_whatever_the_noise():
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    seasonal_series(30, rng_a, noise=0.0)
    seasonal_series(30, rng_b, noise=1.0, trend=2.0)
    assert rng_a.standard_normal() == rng_b.standard_normal()
    rng = np.random.default_rng(0)
    first = seasonal_series(30, rng, amplitude=0.0, noise=1.0)
    second = seasonal_series(30, rng, amplitude=0.0, noise=1.0)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"n_steps": 0}, "n_steps must be an integer >= 1"),
        ({"n_steps": 10.0}, "n_steps must be an integer >= 1"),
        ({"rng": 0}, "numpy.random.Generator"),
        ({"period": 1}, "period must be a real number >= 2"),
        ({"period": "24"}, "period must be a finite real number"),
        ({"period2": 1.5}, "period2 must be a real number >= 2"),
        ({"amplitude2": 0.5}, "needs period2"),
        ({"noise": -0.1}, "noise must be a real number >= 0"),
        ({"trend": float("nan")}, "trend must be a finite real number"),
        ({"amplitude": np.inf}, "amplitude must be a finite real number"),
        ({"level": True}, "level must be a finite real number"),
    ],
)
def test_seasonal_series_bad_arguments(kwargs, expected):
    args = {"n_steps": 20, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=expected):
        seasonal_series(**args)


# --- make_windows --------------------------------------------------------------------------------

def test_window_shapes():
    x, y = make_windows(np.arange(100.0), window=10, horizon=3)
    assert x.shape == (100 - 10 - 3 + 1, 10, 1)
    assert y.shape == (88, 3)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 60), window=st.integers(1, 20), horizon=st.integers(1, 8))
def test_windows_align_with_the_series(n, window, horizon):
    if n < window + horizon:
        return
    series = np.random.default_rng(n).normal(size=n)
    x, y = make_windows(series, window, horizon)
    M = n - window - horizon + 1
    assert x.shape == (M, window, 1) and y.shape == (M, horizon)
    for m in range(M):
        np.testing.assert_array_equal(x[m, :, 0], series[m:m + window])
        np.testing.assert_array_equal(y[m], series[m + window:m + window + horizon])
    # the first target is the value right after the first window; the last target is the last value
    assert y[0, 0] == series[window]
    assert y[-1, -1] == series[-1]


def test_consecutive_windows_overlap_by_window_minus_one():
    x, y = make_windows(np.arange(20.0), window=5)
    np.testing.assert_array_equal(x[1:, :-1, 0], x[:-1, 1:, 0])
    np.testing.assert_array_equal(x[1:, -1, 0], y[:-1, 0])  # y_m is the last input of window m + 1


def test_windows_are_copies_not_views():
    series = np.arange(10.0)
    x, y = make_windows(series, window=3)
    x[0, 0, 0] = -1.0
    y[0, 0] = -1.0
    assert series[0] == 0.0 and series[3] == 3.0
    assert x.flags.c_contiguous and y.flags.c_contiguous


def test_integer_series_becomes_float_and_float32_is_kept():
    x, y = make_windows(np.arange(8), window=2)
    assert x.dtype == np.float64 and y.dtype == np.float64
    x32, y32 = make_windows(np.arange(8, dtype=np.float32), window=2)
    assert x32.dtype == np.float32 and y32.dtype == np.float32


def test_shortest_series_gives_one_window():
    x, y = make_windows([1.0, 2.0, 3.0], window=2, horizon=1)
    assert x.shape == (1, 2, 1)
    np.testing.assert_array_equal(y, [[3.0]])


@pytest.mark.parametrize(
    "series, kwargs, expected",
    [
        (np.zeros((10, 1)), {"window": 3}, r"series must have shape \(n_steps,\)"),
        (np.zeros((2, 10)), {"window": 3}, r"series must have shape \(n_steps,\)"),
        (np.array(["a", "b", "c"]), {"window": 1}, r"real-valued array of shape \(n_steps,\)"),
        (np.zeros(10), {"window": 0}, "window must be an integer >= 1"),
        (np.zeros(10), {"window": 2.0}, "window must be an integer >= 1"),
        (np.zeros(10), {"window": 3, "horizon": 0}, "horizon must be an integer >= 1"),
        (np.zeros(10), {"window": 8, "horizon": 3}, r"n_steps must be >= window \+ horizon = 11"),
    ],
)
def test_make_windows_bad_arguments(series, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        make_windows(series, **kwargs)


# --- fit_linear_ar, linear_ar_forecast --------------------------------------------------------------

def test_linear_ar_shapes_and_layouts():
    series = np.random.default_rng(0).normal(size=60)
    x, y = make_windows(series, window=5, horizon=2)
    w = fit_linear_ar(x, y)
    assert w.shape == (6, 2) and w.dtype == np.float64
    np.testing.assert_allclose(fit_linear_ar(x[:, :, 0], y), w, rtol=0, atol=1e-12)  # (M, window) too
    assert linear_ar_forecast(w, x).shape == (len(x), 2)
    expected = x[:, :, 0] @ w[:-1] + w[-1]
    np.testing.assert_allclose(linear_ar_forecast(w, x[:, :, 0]), expected, rtol=0, atol=1e-12)
    w1 = fit_linear_ar(x, y[:, 0])  # y of shape (M,) is one target
    assert w1.shape == (6, 1)
    np.testing.assert_allclose(w1[:, 0], w[:, 0], rtol=0, atol=1e-12)  # each horizon is its own fit


def test_linear_ar_recovers_the_recurrence_of_a_sine():
    # c + sin(w t) obeys s_t = 2 cos(w) s_(t-1) - s_(t-2) + c (2 - 2 cos(w)) exactly
    omega, c = 2 * np.pi / 24, 0.7
    series = c + np.sin(omega * np.arange(200))
    x, y = make_windows(series, window=2)
    w = fit_linear_ar(x, y)
    expected = [-1.0, 2 * np.cos(omega), c * (2 - 2 * np.cos(omega))]
    np.testing.assert_allclose(w[:, 0], expected, rtol=0, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(window=st.integers(1, 8), seed=st.integers(0, 10_000))
def test_linear_ar_recovers_exact_linear_targets(window, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3 * window + 5, window, 1))
    true_w, true_b = rng.normal(size=window), rng.normal()
    y = x[:, :, 0] @ true_w + true_b
    w = fit_linear_ar(x, y)
    np.testing.assert_allclose(w[:-1, 0], true_w, rtol=0, atol=1e-9)
    assert abs(w[-1, 0] - true_b) < 1e-9


def test_linear_ar_is_the_least_squares_solution():
    rng = np.random.default_rng(1)
    x, y = make_windows(rng.normal(size=120), window=6, horizon=3)
    w = fit_linear_ar(x, y)
    design = np.hstack([x[:, :, 0], np.ones((len(x), 1))])
    np.testing.assert_allclose(w, np.linalg.solve(design.T @ design, design.T @ y), rtol=0, atol=1e-10)
    residual = y - linear_ar_forecast(w, x)
    np.testing.assert_allclose(design.T @ residual, 0.0, rtol=0, atol=1e-9)  # normal equations
    worse = w.copy()
    worse[0] += 0.01
    assert ((y - linear_ar_forecast(worse, x)) ** 2).sum() > (residual ** 2).sum()


def test_linear_ar_beats_copying_on_a_noisy_sine():
    series = seasonal_series(24 * 40, np.random.default_rng(0), period=24, noise=0.2)
    x, y = make_windows(series, window=24)
    w = fit_linear_ar(x[:600], y[:600])
    rmse_ar = np.sqrt(((linear_ar_forecast(w, x[600:]) - y[600:]) ** 2).mean())
    rmse_seasonal = np.sqrt(((x[600:, 0, 0] - y[600:, 0]) ** 2).mean())  # the value 24 steps back
    assert rmse_ar < 0.25 < rmse_seasonal  # noise 0.2: AR near the floor, copying about 0.2 * sqrt(2)


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (np.zeros(10), np.zeros(10), r"x must have shape \(M, window, 1\) or \(M, window\)"),
        (np.zeros((10, 3, 2)), np.zeros(10), r"x must have shape \(M, window, 1\)"),
        (np.zeros((0, 3)), np.zeros(0), "at least one window"),
        (np.array([["a", "b"]] * 5), np.zeros(5), "x must be a real-valued array"),
        (np.full((10, 2), np.nan), np.zeros(10), "x must hold finite numbers"),
        (np.zeros((10, 2)), np.zeros((10, 1, 1)), r"y must have shape \(M, horizon\) or \(M,\)"),
        (np.zeros((10, 2)), np.array(["a"] * 10), "y must be a real-valued array"),
        (np.zeros((10, 2)), np.full(10, np.inf), "y must hold finite numbers"),
        (np.zeros((10, 2)), np.zeros(9), "same number of windows M, got 10 and 9"),
        (np.zeros((3, 3)), np.zeros(3), r"need at least window \+ 1 = 4 windows"),
    ],
)
def test_fit_linear_ar_bad_arguments(x, y, expected):
    with pytest.raises(ValueError, match=expected):
        fit_linear_ar(x, y)


@pytest.mark.parametrize(
    "weights, x, expected",
    [
        (np.zeros(4), np.zeros((2, 3)), r"weights must have shape \(window \+ 1, horizon\)"),
        (np.zeros((1, 1)), np.zeros((2, 0)), "window >= 1"),
        (np.zeros((4, 1)), np.zeros((2, 5)), "windows of 5 values but weights of shape \\(4, 1\\)"),
        (np.zeros((4, 1)), np.zeros((2, 3, 2)), r"x must have shape \(M, window, 1\)"),
        (np.zeros((4, 1)), np.full((2, 3), np.nan), "x must hold finite numbers"),
    ],
)
def test_linear_ar_forecast_bad_arguments(weights, x, expected):
    with pytest.raises(ValueError, match=expected):
        linear_ar_forecast(weights, x)
