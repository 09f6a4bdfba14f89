r"""Time series: a seeded synthetic series and supervised windows cut from it.

- :func:`seasonal_series` -- level, linear trend, one or two sine
  seasonalities and Gaussian noise, with the formula in its docstring.
- :func:`make_windows` -- turn a series into ``(x, y)`` pairs for
  supervised learning: ``window`` past values in, the next ``horizon``
  values out.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_array, check_int, check_rng

__all__ = ["seasonal_series", "make_windows"]


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
    x : ndarray, shape (M, window, 1)
        Input windows, batch first with one feature (``D = 1``), ready for
        ``torch.nn.LSTM(1, H, batch_first=True)``.
    y : ndarray, shape (M, horizon)
        Targets; ``y[m, 0]`` is the value right after ``x[m, -1, 0]``.

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
    return x, y
