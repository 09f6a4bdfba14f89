"""The shared figures draw what they are given and reject malformed input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_helpers.plots import (  # noqa: E402
    plot_gate_heatmaps,
    plot_gradient_vs_lag,
    plot_ladder,
    plot_learning_curves,
    plot_lr_sweep,
)


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


def _sweep():
    """A stored sweep: optimiser 'a' meets the criterion at lr 0.1 (2 of 3 seeds), never at lr 1; 'b' never."""
    def run(reached, n, wrong):
        return {"reached": reached, "sequences_to_criterion": n if reached else None, "wrong_test": wrong,
                "test_size": 100, "test_loss": 0.1 + wrong / 100}
    models = {
        "a@0.1": {"runs": [run(True, 160, 0), run(False, 0, 5), run(True, 320, 1)]},
        "a@1": {"runs": [run(False, 0, 90)] * 3},
        "b@0.1": {"runs": [run(False, 0, 80)] * 3},
        "b@1": {"runs": [run(True, 640, 0), run(False, 0, 50), run(False, 0, 60)]},
    }
    return {"config": {"optimizers": ["a", "b"], "lrs": [0.1, 1.0], "budget": 1000, "batch_size": 16},
            "models": models}


def test_lr_sweep_draws_the_median_over_seeds_with_unmet_runs_as_infinite():
    ax = plot_lr_sweep(_sweep(), labels={"a": "method a"})
    lines = [line for line in ax.lines if line.get_label() in ("method a", "b")]
    assert [line.get_label() for line in lines] == ["method a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [0.1, 1.0])
    np.testing.assert_array_equal(lines[0].get_ydata(), [320, np.nan])  # median of 160, 320, inf; then all inf
    assert np.isnan(lines[1].get_ydata()).all()  # b met the criterion with 1 seed of 3 at best
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    dots = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert (dots == 1600).sum() == 9  # the unmet runs, drawn at 1.6 x the budget
    updates = plot_lr_sweep(_sweep(), "updates")
    np.testing.assert_array_equal(updates.lines[0].get_ydata(), [20, np.nan])  # 320 sequences / 16
    wrong = plot_lr_sweep(_sweep(), "wrong_test")
    np.testing.assert_allclose(wrong.lines[0].get_ydata(), [0.01, 0.9])
    loss = plot_lr_sweep(_sweep(), "test_loss", optimizers=["b"])
    np.testing.assert_allclose(loss.lines[0].get_ydata(), [0.9, 0.6])
    ax.figure.canvas.draw()


def test_lr_sweep_rejects_bad_input():
    with pytest.raises(ValueError, match="measure must be one of sequences, updates, wrong_test, test_loss"):
        plot_lr_sweep(_sweep(), "seconds")
    with pytest.raises(ValueError, match="optimizer 'c' has no runs in data; it has a, b"):
        plot_lr_sweep(_sweep(), optimizers=["c"])


def _ladder(ratios):
    return {"models": {rung: {"summary": {"ratio_to_nn_lstm_median": r}} for rung, r in ratios.items()}}


def test_ladder_draws_one_bar_per_rung_and_device():
    ax = plot_ladder({"cpu": _ladder({"naive": 3.0, "nn_lstm": 1.0}),
                      "gpu": _ladder({"naive": 9.0, "fused": 2.0, "nn_lstm": 1.0})})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["naive", "nn_lstm", "fused"]
    widths = [p.get_width() for p in ax.patches]
    assert widths[:3] == [3.0, 1.0] + [widths[2]] and np.isnan(widths[2])  # the cpu has no "fused" rung
    assert widths[3:] == [9.0, 1.0, 2.0]
    assert [t.get_text() for t in ax.texts] == ["3.00x", "1.00x", "9.00x", "1.00x", "2.00x"]
    ax.figure.canvas.draw()


def test_ladder_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        plot_ladder({})
    with pytest.raises(ValueError, match="ladder 'x' has no rungs"):
        plot_ladder({"x": {"models": {}}})
