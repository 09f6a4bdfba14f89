r"""Time series: a seeded synthetic series and supervised windows cut from it.

- :func:`seasonal_series` -- level, linear trend, one or two sine
  seasonalities and Gaussian noise, with the formula in its docstring.
- :func:`make_windows` -- turn a series into ``(x, y)`` pairs for
  supervised learning: ``window`` past values in, the next ``horizon``
  values out (a :class:`~lstm_helpers.tasks.batch.Sequences`).
- :func:`fit_linear_ar` and :func:`linear_ar_forecast` -- the linear
  autoregressive baseline on the same windows: a least-squares fit of the
  next values on the window's values and a constant.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_array, check_int, check_rng
from .batch import Sequences

__all__ = ["seasonal_series", "make_windows", "fit_linear_ar", "linear_ar_forecast"]


def _check_real(name, value, minimum=None, strict=False):
    """Return ``value`` as a float; raise ``ValueError`` unless it is a finite real number in range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a real number {relation} {minimum}, got {value!r}")
    return value


def seasonal_series(n_steps, rng, *, period=24, amplitude=1.0, period2=None, amplitude2=0.0,
                    trend=0.0, level=0.0, noise=0.1, return_components=False):
    r"""A synthetic series with a linear trend, one or two seasonalities and noise.

    For :math:`t = 0, 1, \dots, n_\text{steps} - 1` the value at step ``t`` is

    .. math::

        s_t = \text{level} + \text{trend} \cdot t
              + \text{amplitude} \cdot \sin\!\left(\frac{2 \pi t}{\text{period}}\right)
              + \text{amplitude2} \cdot \sin\!\left(\frac{2 \pi t}{\text{period2}}\right)
              + \text{noise} \cdot \varepsilon_t ,

    with :math:`\varepsilon_0, \varepsilon_1, \dots` independent standard
    normal numbers drawn from ``rng``. The second seasonality is left out when
    ``period2`` is None. Without noise the series is exactly the formula, and
    each seasonal term repeats after its period:
    ``sin(2π (t + period) / period) = sin(2π t / period)``.

    Read ``t`` as hours for a picture: ``period=24`` is a daily cycle and
    ``period2=168`` a weekly one.

    Parameters
    ----------
    n_steps : int
        Length of the series, at least 1.
    rng : numpy.random.Generator
        Source of the noise, e.g. the one returned by
        :func:`~lstm_helpers.utils.set_seed`. Exactly ``n_steps`` standard
        normal numbers are drawn from it (also when ``noise=0``), so the
        generator advances by the same amount whatever the other arguments.
    period : float
        Period of the first seasonality in steps, at least 2.
    amplitude : float
        Amplitude of the first seasonality (any finite real number).
    period2 : float, optional
        Period of the second seasonality in steps, at least 2; None (the
        default) leaves it out.
    amplitude2 : float
        Amplitude of the second seasonality; must be 0 when ``period2`` is None.
    trend : float
        Slope of the linear trend, added per step.
    level : float
        Value of the trend line at ``t = 0``.
    noise : float
        Standard deviation of the Gaussian noise, at least 0.
    return_components : bool
        Also return the parts of the sum.

    Returns
    -------
    series : ndarray of float64, shape (n_steps,)
        The values :math:`s_0, \dots, s_{n_\text{steps}-1}`.
    components : dict of str -> ndarray of float64, shape (n_steps,)
        Only with ``return_components=True``: ``"trend"`` (level + trend · t),
        ``"season"``, ``"season2"`` (zeros when ``period2`` is None) and
        ``"noise"`` (noise · ε); they add up to ``series``.

    Raises
    ------
    ValueError
        If ``n_steps`` is not an integer >= 1, ``rng`` is not a
        ``numpy.random.Generator``, a period is below 2, ``noise`` is
        negative, a number is not finite, or ``amplitude2`` is non-zero
        without ``period2``.

    Examples
    --------
    >>> import numpy as np
    >>> s = seasonal_series(48, np.random.default_rng(0), period=24, noise=0.0)
    >>> s.shape
    (48,)
    >>> bool(np.allclose(s[:24], s[24:]))  # no trend, no noise: one day repeats
    True
    >>> float(round(s[6], 6))  # a quarter period: sin(pi / 2) = 1
    1.0
    """
    n_steps = check_int("n_steps", n_steps, 1)
    check_rng(rng)
    period = _check_real("period", period, minimum=2)
    amplitude = _check_real("amplitude", amplitude)
    amplitude2 = _check_real("amplitude2", amplitude2)
    if period2 is None:
        if amplitude2 != 0.0:
            raise ValueError(f"amplitude2 = {amplitude2!r} needs period2 (a real number >= 2); got period2=None")
    else:
        period2 = _check_real("period2", period2, minimum=2)
    trend = _check_real("trend", trend)
    level = _check_real("level", level)
    noise = _check_real("noise", noise, minimum=0)

    t = np.arange(n_steps, dtype=np.float64)
    eps = rng.standard_normal(n_steps)
    components = {
        "trend": level + trend * t,
        "season": amplitude * np.sin(2 * np.pi * t / period),
        "season2": (amplitude2 * np.sin(2 * np.pi * t / period2)) if period2 is not None else np.zeros(n_steps),
        "noise": noise * eps,
    }
    series = components["trend"] + components["season"] + components["season2"] + components["noise"]
    if return_components:
        return series, components
    return series


def make_windows(series, window, horizon=1):
    r"""Cut a series into overlapping (input window, next values) pairs.

    Window ``m`` holds the ``window`` values starting at step ``m`` and its
    target the ``horizon`` values right after them:

    .. math::

        x_m = (s_m, \dots, s_{m + \text{window} - 1}), \qquad
        y_m = (s_{m + \text{window}}, \dots, s_{m + \text{window} + \text{horizon} - 1}),

    for :math:`m = 0, \dots, M - 1` with
    :math:`M = n_\text{steps} - \text{window} - \text{horizon} + 1`: every
    window whose targets lie inside the series, in time order. Consecutive
    windows overlap in ``window - 1`` values.

    Parameters
    ----------
    series : array-like, shape (n_steps,)
        A univariate series (integers are converted to float64).
    window : int
        Number of past values fed to the model, at least 1.
    horizon : int
        Number of future values to predict, at least 1.

    Returns
    -------
    Sequences
        The named tuple ``(x, y)`` (:class:`~lstm_helpers.tasks.batch.Sequences`);
        unpack it as ``x, y = make_windows(...)`` or read ``.x`` and ``.y``.
    x : ndarray, shape (M, window, 1)
        Input windows, of the floating dtype of ``series`` (float64 for an
        integer series), batch first with one feature (``D = 1``), ready for
        ``torch.nn.LSTM(1, H, batch_first=True)``.
    y : ndarray, shape (M, horizon)
        Targets, of the same dtype as ``x``; ``y[m, 0]`` is the value right after ``x[m, -1, 0]``.

    Raises
    ------
    ValueError
        If ``series`` is not one-dimensional (n_steps,), ``window`` or
        ``horizon`` is not an integer >= 1, or the series is shorter than
        ``window + horizon`` (then there is no window).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = make_windows(np.arange(6.0), window=3, horizon=2)
    >>> x.shape, y.shape
    ((2, 3, 1), (2, 2))
    >>> x[1, :, 0], y[1]
    (array([1., 2., 3.]), array([4., 5.]))
    >>> make_windows(np.arange(6.0), window=3)._fields
    ('x', 'y')
    """
    series = as_array("series", series, 1, "(n_steps,)")
    window = check_int("window", window, 1)
    horizon = check_int("horizon", horizon, 1)
    n_steps = series.shape[0]
    if n_steps < window + horizon:
        raise ValueError(
            f"series of shape (n_steps,) = ({n_steps},) is too short for window={window} and "
            f"horizon={horizon}: n_steps must be >= window + horizon = {window + horizon}"
        )
    pairs = np.lib.stride_tricks.sliding_window_view(series, window + horizon)  # (M, window + horizon)
    x = pairs[:, :window, None].copy()
    y = pairs[:, window:].copy()
    return Sequences(x, y)


def _windows_2d(name, x):
    """Return windows ``(M, window, 1)`` or ``(M, window)`` as a float array ``(M, window)``."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise ValueError(
            f"{name} must be a real-valued array of shape (M, window, 1) or (M, window), got dtype {x.dtype}"
        )
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    elif x.ndim != 2:
        raise ValueError(f"{name} must have shape (M, window, 1) or (M, window), got shape {x.shape}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must hold at least one window of at least one value, got shape {x.shape}")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must hold finite numbers only")
    return x


def fit_linear_ar(x, y):
    r"""Fit a linear autoregression to windows by least squares.

    The model predicts each target from the window's values and a constant,

    .. math::

        \hat y_{m, j} = \sum_{i=0}^{\text{window}-1} w_{i j}\, x_{m, i} + w_{\text{window}, j},

    and the weights minimise :math:`\sum_{m, j} (\hat y_{m, j} - y_{m, j})^2`
    (``numpy.linalg.lstsq``; the minimum-norm solution when several weights
    fit equally well). With the windows of :func:`make_windows` this is the
    AR(``window``) model with intercept, the classical baseline of a
    one-step forecast. It is fitted in float64, so its predictions are the
    same on every machine up to rounding.

    Parameters
    ----------
    x : array-like, shape (M, window, 1) or (M, window)
        Input windows, for example the ``x`` of :func:`make_windows`.
    y : array-like, shape (M, horizon) or (M,)
        Targets, one row per window.

    Returns
    -------
    weights : ndarray of float64, shape (window + 1, horizon)
        Row ``i < window`` weighs value ``x[:, i]`` (oldest first); the last
        row is the intercept. Pass it to :func:`linear_ar_forecast`.

    Raises
    ------
    ValueError
        If ``x`` or ``y`` has the wrong shape or non-finite values, their
        numbers of rows differ, or there are fewer windows than weights
        (``M < window + 1``: the fit would be underdetermined).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = make_windows(2.0 * np.arange(10.0) + 1.0, window=2)  # s_t = 2t + 1
    >>> w = fit_linear_ar(x, y)
    >>> w.shape
    (3, 1)
    >>> np.round(linear_ar_forecast(w, [[20.0, 22.0]]), 6)  # the next value of the line
    array([[24.]])
    """
    x = _windows_2d("x", x)
    y = np.asarray(y)
    if y.dtype.kind not in "fiu":
        raise ValueError(f"y must be a real-valued array of shape (M, horizon) or (M,), got dtype {y.dtype}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"y must have shape (M, horizon) or (M,), got shape {y.shape}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError("y must hold finite numbers only")
    M, window = x.shape
    if y.shape[0] != M:
        raise ValueError(f"x and y must have the same number of windows M, got {M} and {y.shape[0]}")
    if M < window + 1:
        raise ValueError(
            f"need at least window + 1 = {window + 1} windows to fit {window + 1} weights, got M = {M}"
        )
    design = np.hstack([x, np.ones((M, 1))])  # (M, window + 1)
    weights, *_ = np.linalg.lstsq(design, y, rcond=None)
    return weights


def linear_ar_forecast(weights, x):
    """Predict with the weights of :func:`fit_linear_ar`.

    Parameters
    ----------
    weights : array-like, shape (window + 1, horizon)
        As returned by :func:`fit_linear_ar`.
    x : array-like, shape (N, window, 1) or (N, window)
        Input windows (of the same length ``window`` as in the fit).

    Returns
    -------
    ndarray of float64, shape (N, horizon)
        ``x @ weights[:-1] + weights[-1]``.

    Raises
    ------
    ValueError
        If ``weights`` is not two-dimensional with at least two rows, if
        ``x`` has the wrong shape or non-finite values, or if the window
        lengths do not match (``x.shape[1] != weights.shape[0] - 1``).
    """
    weights = as_array("weights", weights, 2, "(window + 1, horizon)")
    if weights.shape[0] < 2 or weights.shape[1] < 1:
        raise ValueError(
            f"weights must have shape (window + 1, horizon) with window >= 1, got shape {weights.shape}"
        )
    x = _windows_2d("x", x)
    if x.shape[1] != weights.shape[0] - 1:
        raise ValueError(
            f"x holds windows of {x.shape[1]} values but weights of shape {weights.shape} "
            f"were fitted on windows of {weights.shape[0] - 1}"
        )
    return x @ weights[:-1] + weights[-1]
