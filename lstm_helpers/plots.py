"""Figures used by several chapters: gradient-vs-lag curves, gate heatmaps, learning curves, learning-rate sweeps,
speed ladders.

Each function draws on a given matplotlib ``Axes`` (or creates one), labels its
axes, and returns the axes, so that a chapter can combine panels freely.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["plot_gradient_vs_lag", "plot_gate_heatmaps", "plot_learning_curves", "plot_lr_sweep", "plot_ladder",
           "plot_text_heatmap", "plot_accuracy_by_depth"]


def _axes(ax, figsize=(6.4, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_gradient_vs_lag(curves, lags=None, bounds=None, ax=None, ylabel=None, title=None, floor=1e-300):
    r"""Plot gradient norms against the lag on a logarithmic y axis.

    Parameters
    ----------
    curves : dict of str -> array-like, each shape (L,)
        One curve per label (for example ``{"ρ = 0.9": norms}``); all the
        same length ``L``.
    lags : array-like, shape (L,), optional
        The x values; ``0 ... L-1`` when omitted.
    bounds : dict of str -> array-like, shape (L,), optional
        Upper bounds drawn dashed, in the colour of the curve with the same
        label (labels that have no curve get their own colour).
    ax : matplotlib.axes.Axes, optional
    ylabel : str, optional
        Defaults to the gradient norm :math:`\lVert \partial h_T / \partial h_{T-\ell} \rVert`.
    title : str, optional
    floor : float
        Values below ``floor`` (underflow to 0) are clipped so they stay on a log axis.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``curves`` is empty or the lengths disagree.
    """
    if not curves:
        raise ValueError("curves must hold at least one {label: values} entry")
    lengths = {len(np.asarray(v)) for v in curves.values()}
    if len(lengths) != 1:
        raise ValueError(f"every curve must have the same length (L,), got lengths {sorted(lengths)}")
    (L,) = lengths
    lags = np.arange(L) if lags is None else np.asarray(lags)
    if lags.shape != (L,):
        raise ValueError(f"lags must have shape (L,) = ({L},), got {lags.shape}")
    ax = _axes(ax)
    colors = {}
    for label, values in curves.items():
        (line,) = ax.plot(lags, np.maximum(np.asarray(values, dtype=float), floor), lw=2, label=label)
        colors[label] = line.get_color()
    for label, values in (bounds or {}).items():
        values = np.asarray(values, dtype=float)
        if values.shape != (L,):
            raise ValueError(f"bound {label!r} must have shape (L,) = ({L},), got {values.shape}")
        ax.plot(lags, np.maximum(values, floor), ls="--", lw=1.3, color=colors.get(label),
                label=f"bound, {label}" if label in colors else label)
    ax.set_yscale("log")
    ax.set_xlabel(r"lag $T - k$ (steps back in time)", fontsize=12)
    ax.set_ylabel(ylabel or r"$\| \partial h_T / \partial h_k \|$", fontsize=12)
    if title:
        ax.set_title(title, fontsize=12)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=10)
    return ax


def plot_gate_heatmaps(gates, tokens=None, axes=None, units=None, cmap="viridis"):
    """Heatmaps of gate activations over time: one panel per gate.

    Parameters
    ----------
    gates : dict of str -> array-like, each shape (T, H)
        Activations of one sequence, for example ``{"forget f": f, "input i": i}``;
        values are drawn on a fixed 0..1 scale (sigmoid gates). Arrays of shape
        (T,) are treated as H = 1.
    tokens : sequence of str, length T, optional
        Labels of the time axis (characters or words).
    axes : sequence of matplotlib.axes.Axes, optional
        One per gate; a column of panels is created when omitted.
    units : sequence of int, optional
        Which hidden units (rows) to show; all when omitted.
    cmap : str

    Returns
    -------
    list of matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``gates`` is empty, an entry is not (T, H), the T's differ, or
        ``tokens`` does not have length T.
    """
    import matplotlib.pyplot as plt

    if not gates:
        raise ValueError("gates must hold at least one {name: (T, H) array} entry")
    arrays = {}
    for name, value in gates.items():
        value = np.asarray(value, dtype=float)
        if value.ndim == 1:
            value = value[:, None]
        if value.ndim != 2:
            raise ValueError(f"gate {name!r} must have shape (T, H), got {value.shape}")
        arrays[name] = value if units is None else value[:, list(units)]
    Ts = {v.shape[0] for v in arrays.values()}
    if len(Ts) != 1:
        raise ValueError(f"every gate must cover the same T steps, got {sorted(Ts)}")
    (T,) = Ts
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"tokens must have length T = {T}, got {len(tokens)}")
    if axes is None:
        H = next(iter(arrays.values())).shape[1]
        fig, axes = plt.subplots(len(arrays), 1, figsize=(max(6.0, 0.28 * T + 2), 0.9 + len(arrays) * (0.35 + 0.22 * H)),
                                 squeeze=False, sharex=True)
        axes = list(axes[:, 0])
    image = None
    for ax, (name, value) in zip(axes, arrays.items()):
        image = ax.imshow(value.T, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_ylabel(name, fontsize=11, rotation=0, ha="right", va="center")
        ax.set_yticks(range(value.shape[1]))
        ax.tick_params(labelsize=8)
    if tokens is not None:
        axes[-1].set_xticks(range(T))
        axes[-1].set_xticklabels([repr(t)[1:-1] if isinstance(t, str) else str(t) for t in tokens], fontsize=9)
    axes[-1].set_xlabel("time step", fontsize=11)
    if image is not None:
        axes[0].figure.colorbar(image, ax=list(axes), fraction=0.025, pad=0.02, label="activation")
    return list(axes)


def plot_learning_curves(histories, ax=None, xlabel="training step", ylabel="loss", logy=False, baselines=None,
                         title=None):
    """Plot one learning curve per label, with optional horizontal baselines.

    Parameters
    ----------
    histories : dict of str -> array-like (L,) or (x, y) pair of arrays
        The y values per step, or explicit ``(x, y)``.
    ax : matplotlib.axes.Axes, optional
    xlabel, ylabel, title : str
    logy : bool
        Logarithmic y axis.
    baselines : dict of str -> float, optional
        Drawn as dotted horizontal lines (for example the loss of always
        predicting the mean).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``histories`` is empty or an ``(x, y)`` pair has mismatched lengths.
    """
    if not histories:
        raise ValueError("histories must hold at least one {label: values} entry")
    ax = _axes(ax)
    for label, values in histories.items():
        if isinstance(values, tuple) and len(values) == 2:
            x, y = (np.asarray(v, dtype=float) for v in values)
            if x.shape != y.shape:
                raise ValueError(f"history {label!r}: x and y must have the same shape, got {x.shape} and {y.shape}")
        else:
            y = np.asarray(values, dtype=float)
            x = np.arange(1, len(y) + 1)
        ax.plot(x, y, lw=1.8, label=label)
    for label, value in (baselines or {}).items():
        ax.axhline(value, ls=":", color="gray", lw=1.5)
        ax.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                    fontsize=10, color="gray")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    if title:
        ax.set_title(title, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10)
    return ax


_SWEEP_MEASURES = ("sequences", "updates", "wrong_test", "test_loss")


def plot_lr_sweep(data, measure="sequences", optimizers=None, ax=None, labels=None, title=None):
    """Plot a stored learning-rate sweep: one line per optimiser, the median over seeds against the learning rate.

    ``data`` is a result of the optimiser comparison
    (:func:`lstm_helpers.experiments.optimizers.run_optimizers`, or as loaded
    by :func:`lstm_helpers.experiments.runner.load`): ``data["models"]`` has one
    entry ``"<optimiser>@<lr>"`` per optimiser and learning rate, with the
    ``runs`` of every seed. Every seed's value is drawn as a faint dot, the
    median over seeds as a line.

    Parameters
    ----------
    data : dict
    measure : {"sequences", "updates", "wrong_test", "test_loss"}
        ``"sequences"`` / ``"updates"``: training sequences / weight updates
        until the stopping criterion held (log scale); runs that never met it
        are drawn on a band "not met" above the budget; they count as
        infinite in the median, which is drawn only where it is finite.
        ``"wrong_test"``: fraction of the fresh test sequences processed
        wrongly at the end of the run. ``"test_loss"``: mean loss on them (log scale).
    optimizers : sequence of str, optional
        The optimisers to draw (default: every one in ``data["config"]["optimizers"]``).
    ax : matplotlib.axes.Axes, optional
    labels : dict of str -> str, optional
        Legend label of each optimiser (default: its name).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``measure`` is not one of the four, or an optimiser has no runs in ``data``.
    """
    if measure not in _SWEEP_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(_SWEEP_MEASURES)}; got {measure!r}")
    config = data["config"]
    optimizers = list(config["optimizers"] if optimizers is None else optimizers)
    lrs = [float(lr) for lr in config["lrs"]]
    ax = _axes(ax, figsize=(7.0, 4.4))
    per_update = config["batch_size"] if measure == "updates" else 1
    ceiling = config["budget"] / per_update * 1.6
    import matplotlib.pyplot as plt

    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, opt in enumerate(optimizers):
        color = palette[i % len(palette)]
        keys = [k for k in data["models"] if k.split("@")[0] == opt]
        if not keys:
            raise ValueError(f"optimizer {opt!r} has no runs in data; it has "
                             f"{', '.join(sorted({k.split('@')[0] for k in data['models']}))}")
        xs, medians = [], []
        for lr in lrs:
            key = next((k for k in keys if math.isclose(float(k.split("@")[1]), lr, rel_tol=1e-9)), None)
            if key is None:
                continue
            runs = data["models"][key]["runs"]
            if measure in ("sequences", "updates"):
                values = [r["sequences_to_criterion"] / per_update if r["reached"] else math.inf for r in runs]
                shown = [v if math.isfinite(v) else ceiling for v in values]
                med = float(np.median(values))  # unmet runs count as infinite, as in summarize
                med = med if math.isfinite(med) else math.nan
            elif measure == "wrong_test":
                shown = [r["wrong_test"] / r["test_size"] for r in runs]
                med = float(np.median(shown))
            else:
                shown = [r["test_loss"] for r in runs]
                med = float(np.median(shown))
            ax.scatter([lr] * len(shown), shown, s=14, alpha=0.35, color=color, zorder=2)
            xs.append(lr)
            medians.append(med)
        ax.plot(xs, medians, "-o", lw=1.8, ms=5, color=color, label=(labels or {}).get(opt, opt), zorder=3)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate", fontsize=12)
    if measure in ("sequences", "updates"):
        ax.set_yscale("log")
        ax.axhline(config["budget"] / per_update, ls=":", color="gray", lw=1.2)
        ax.annotate("budget", (1.0, config["budget"] / per_update), xycoords=("axes fraction", "data"),
                    ha="right", va="top", fontsize=9, color="gray")
        ax.annotate("not met", (1.0, ceiling), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                    fontsize=9, color="gray")
        ax.set_ylim(top=ceiling * 1.5)
        ax.set_ylabel(f"{'sequences' if measure == 'sequences' else 'weight updates'} to criterion", fontsize=12)
    elif measure == "wrong_test":
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel("wrong test sequences (fraction)", fontsize=12)
    else:
        ax.set_yscale("log")
        ax.set_ylabel("test loss", fontsize=12)
    if title:
        ax.set_title(title, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, ncol=2)
    return ax


def plot_ladder(ladders, ax=None, title=None):
    """Plot stored speed ladders: per rung, its time per training step as a multiple of ``nn.LSTM``'s.

    Parameters
    ----------
    ladders : dict of str -> dict
        Label -> a stored ladder (:func:`lstm_helpers.experiments.gpu_ladder.load_ladder`):
        ``data["models"][rung]["summary"]["ratio_to_nn_lstm_median"]`` for every rung.
        One group of bars per label (a device).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``ladders`` is empty or a ladder has no rungs.
    """
    if not ladders:
        raise ValueError("ladders must hold at least one {label: stored ladder} entry")
    ax = _axes(ax, figsize=(7.0, 3.8))
    rungs = []
    for label, data in ladders.items():
        if not data.get("models"):
            raise ValueError(f"ladder {label!r} has no rungs (data['models'] is empty)")
        rungs += [r for r in data["models"] if r not in rungs]
    height = 0.8 / len(ladders)
    for k, (label, data) in enumerate(ladders.items()):
        ratios = [data["models"][r]["summary"]["ratio_to_nn_lstm_median"] if r in data["models"] else np.nan
                  for r in rungs]
        y = np.arange(len(rungs)) + (k - (len(ladders) - 1) / 2) * height
        bars = ax.barh(y, ratios, height=height, label=label)
        for bar, ratio in zip(bars, ratios):
            if np.isfinite(ratio):
                ax.annotate(f"{ratio:.2f}x", (ratio, bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(np.arange(len(rungs)), rungs)
    ax.invert_yaxis()
    ax.axvline(1.0, color="gray", ls=":", lw=1.2)
    ax.set_xlabel("time per training step, as a multiple of nn.LSTM's", fontsize=11)
    if title:
        ax.set_title(title, fontsize=12)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_text_heatmap(text, values, ax=None, width=None, cmap="RdBu_r", vmax=None, title=None, fontsize=9):
    """A passage of text with each character on a background coloured by one value (a cell's state after it).

    The picture of Karpathy, Johnson and Fei-Fei (2015): a line of the figure
    is a line of the text (long lines wrap at ``width`` characters); a
    newline is drawn as a small ``↵`` in the cell of its own value.

    Parameters
    ----------
    text : str
        L characters.
    values : array-like, shape (L,)
        One value per character.
    ax : matplotlib.axes.Axes, optional
    width : int, optional
        Characters per drawn line (default: the longest line, at most 100).
    cmap : str
        A diverging colour map: values are drawn on ``[-vmax, vmax]``.
    vmax : float, optional
        Default ``max |values|``.
    title : str, optional
    fontsize : float

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``text`` is empty, ``values`` is not ``(L,)`` or holds a non-finite
        number, or ``width`` is not a positive integer.
    """
    import matplotlib.pyplot as plt

    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty str")
    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(f"values must have shape (L,) = ({len(text)},), one per character; got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite")
    if width is None:
        width = min(100, max(len(line) + 1 for line in text.split("\n")))
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    rows, row, col = [[]], 0, 0
    for i, ch in enumerate(text):  # (row, column, character index)
        if col >= width:
            rows.append([])
            row, col = row + 1, 0
        rows[row].append(i)
        col += 1
        if ch == "\n":
            rows.append([])
            row, col = row + 1, 0
    if not rows[-1]:
        rows.pop()
    grid = np.full((len(rows), width), np.nan)
    for r, idx in enumerate(rows):
        grid[r, :len(idx)] = values[idx]
    vmax = float(np.max(np.abs(values))) if vmax is None else float(vmax)
    vmax = vmax if vmax > 0 else 1.0
    if ax is None:
        _, ax = plt.subplots(figsize=(0.105 * width + 0.8, 0.2 * len(rows) + 0.8))
    colormap = plt.get_cmap(cmap).with_extremes(bad="white")
    image = ax.imshow(grid, cmap=colormap, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest")
    for r, idx in enumerate(rows):
        for c, i in enumerate(idx):
            ch = "\u21b5" if text[i] == "\n" else text[i]
            if ch != " ":
                ax.text(c, r, ch, ha="center", va="center", fontsize=fontsize, family="monospace",
                        color="0.5" if text[i] == "\n" else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.figure.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    if title:
        ax.set_title(title, fontsize=11)
    return ax


def plot_accuracy_by_depth(accuracy, depths=None, ax=None, baseline=None, title=None, ylabel="test accuracy",
                           xlabel="depth of the expression"):
    """Plot accuracy against depth for several models: the median over seeds, the range, and every seed.

    Parameters
    ----------
    accuracy : dict of str -> array-like, shape (S, L)
        Per model (the label), the accuracy of each of its ``S`` seeds at each
        of the ``L`` depths. Models may have different numbers of seeds.
    depths : array-like, shape (L,), optional
        The x values; ``1 ... L`` when omitted.
    ax : matplotlib.axes.Axes, optional
    baseline : float, optional
        Drawn as a dotted horizontal line (for example the accuracy of always
        answering the most common label).
    title, ylabel, xlabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``accuracy`` is empty, an entry is not of shape ``(S, L)`` with
        ``S >= 1``, or ``depths`` is not of shape ``(L,)``.
    """
    if not accuracy:
        raise ValueError("accuracy must hold at least one {label: array of shape (S, L)} entry")
    arrays = {label: np.asarray(values, dtype=float) for label, values in accuracy.items()}
    n_depths = next(iter(arrays.values())).shape[-1]
    for label, values in arrays.items():
        if values.ndim != 2 or values.shape[0] < 1 or values.shape[1] != n_depths:
            raise ValueError(f"accuracy[{label!r}] must have shape (S, L) = (seeds, {n_depths} depths), "
                             f"got {values.shape}")
    x = np.arange(1, n_depths + 1, dtype=float) if depths is None else np.asarray(depths, dtype=float)
    if x.shape != (n_depths,):
        raise ValueError(f"depths must have shape (L,) = ({n_depths},), got {x.shape}")
    ax = _axes(ax, figsize=(7.0, 4.4))
    markers = "os^Dvx*"
    width = 0.06 * (x[1] - x[0] if n_depths > 1 else 1.0)
    for k, (label, values) in enumerate(arrays.items()):
        shift = (k - (len(arrays) - 1) / 2) * width  # side by side, so that the ranges do not hide each other
        mid = np.median(values, axis=0)
        line = ax.errorbar(x + shift, mid, yerr=[mid - values.min(axis=0), values.max(axis=0) - mid],
                           marker=markers[k % len(markers)], lw=2, ms=7, capsize=4,
                           label=f"{label} ({values.shape[0]} seeds)")
        color = line.lines[0].get_color()
        ax.scatter(np.broadcast_to(x + shift, values.shape).ravel(), values.ravel(), s=10, color=color, alpha=0.35,
                   zorder=3)
    if baseline is not None:
        ax.axhline(baseline, ls=":", color="gray", lw=1.5, label="most common label")
    ax.set_xticks(x)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    if title:
        ax.set_title(title, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="lower left")
    return ax
