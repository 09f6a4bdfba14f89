"""The shared figures draw what they are given and reject malformed input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_helpers.plots import plot_gate_heatmaps, plot_gradient_vs_lag, plot_learning_curves  # noqa: E402


def teardown_function():
    plt.close("all")


def test_gradient_vs_lag_draws_curves_and_bounds():
    lags = np.arange(10)
    ax = plot_gradient_vs_lag({"a": 0.5**lags, "b": np.zeros(10)}, lags=lags, bounds={"a": 0.9**lags})
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.5**lags)
    assert np.all(ax.lines[1].get_ydata() > 0)  # zeros clipped to the floor
    assert ax.lines[2].get_color() == ax.lines[0].get_color()
    ax.figure.canvas.draw()


def test_gradient_vs_lag_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        plot_gradient_vs_lag({})
    with pytest.raises(ValueError, match="same length"):
        plot_gradient_vs_lag({"a": np.ones(3), "b": np.ones(4)})
    with pytest.raises(ValueError, match=r"lags must have shape \(L,\) = \(3,\)"):
        plot_gradient_vs_lag({"a": np.ones(3)}, lags=np.arange(4))
    with pytest.raises(ValueError, match=r"bound 'a' must have shape"):
        plot_gradient_vs_lag({"a": np.ones(3)}, bounds={"a": np.ones(2)})


def test_gate_heatmaps():
    rng = np.random.default_rng(0)
    gates = {"f": rng.random((7, 3)), "i": rng.random((7, 3)), "o": rng.random(7)}
    axes = plot_gate_heatmaps(gates, tokens=list("abcdefg"))
    assert len(axes) == 3
    np.testing.assert_allclose(axes[0].images[0].get_array(), gates["f"].T)
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == list("abcdefg")
    axes = plot_gate_heatmaps(gates, units=[0])
    assert axes[0].images[0].get_array().shape == (1, 7)
    axes[0].figure.canvas.draw()


def test_gate_heatmaps_reject_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        plot_gate_heatmaps({})
    with pytest.raises(ValueError, match=r"must have shape \(T, H\)"):
        plot_gate_heatmaps({"f": np.zeros((2, 2, 2))})
    with pytest.raises(ValueError, match="same T"):
        plot_gate_heatmaps({"f": np.zeros((3, 2)), "i": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="tokens must have length T = 3"):
        plot_gate_heatmaps({"f": np.zeros((3, 2))}, tokens=["a"])


def test_learning_curves():
    ax = plot_learning_curves({"rnn": [3, 2, 1], "lstm": ([10, 20], [1.0, 0.5])}, baselines={"mean": 1.5}, logy=True)
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [10, 20])
    with pytest.raises(ValueError, match="at least one"):
        plot_learning_curves({})
    with pytest.raises(ValueError, match="same shape"):
        plot_learning_curves({"a": ([1, 2], [1.0])})
