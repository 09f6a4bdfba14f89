"""The 1997 paper's numbers, and the stored long-time-lag results beside them.

:data:`PAPER` holds the results of Hochreiter & Schmidhuber (1997);
:func:`results_table` and :func:`seed_table` print the stored results of
:mod:`lstm_helpers.experiments.long_lags` (read with
:func:`lstm_helpers.experiments.runner.load` from ``book/data/long_lags/``)
beside them; :func:`refresh_paper` rewrites the copy of :data:`PAPER` stored in
each file.
"""

from __future__ import annotations

import pathlib

import numpy as np

from .._checks import check_choice
from ..utils import data_dir
from .runner import _dumps, _loads, load

__all__ = ["PAPER", "results_table", "seed_table", "refresh_paper", "best_configuration", "comparison_table"]

#: The paper's results (Hochreiter & Schmidhuber, 1997): training sequences until
#: the stopping criterion (mean over successful trials) and wrong sequences of a
#: test set of 2560, with the table they come from: the embedded Reber grammar is
#: Table 1 (the range over its LSTM configurations; it trained on a fixed set of
#: 256 strings and reports no test count of 2560; ``reber_fixed`` runs that
#: protocol), very long lags without local regularities (Task 2c) Table 3 (no test
#: count), the adding problem Table 7, the multiplication problem Table 8 (its
#: first row; a longer run, 1,273,000 sequences, left 13 test sequences wrong),
#: temporal order Table 9. The paper changed its weights online, so each of its
#: training sequences brought at least one weight update.
PAPER = {
    "adding_T100": {"sequences": 74_000, "wrong_test": 1, "success": "100%", "table": "Table 7"},
    "adding_T500": {"sequences": 209_000, "wrong_test": 0, "success": "100%", "table": "Table 7"},
    "adding_T1000": {"sequences": 853_000, "wrong_test": 1, "success": "100%", "table": "Table 7"},
    "reber": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None, "success": "97-100%",
              "table": "Table 1"},
    "reber_fixed": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None, "success": "97-100%",
                    "table": "Table 1"},
    "reber_fixed_1997": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None, "success": "97-100%",
                         "table": "Table 1"},
    "reber_fixed_1997_full": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None, "success": "97-100%",
                              "table": "Table 1"},
    "reber_fixed_1997_per_string": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None,
                                    "success": "97-100%", "table": "Table 1"},
    "very_long_lag_q1000_p1000": {"sequences": 49_000, "wrong_test": None, "success": "100%", "table": "Table 3"},
    "multiplication_T100": {"sequences": 482_000, "wrong_test": 140, "success": "100%", "table": "Table 8"},
    "temporal_order_2": {"sequences": 31_390, "wrong_test": 1, "success": "100%", "table": "Table 9"},
    "temporal_order_3": {"sequences": 571_100, "wrong_test": 2, "success": "100%", "table": "Table 9"},
}


def load_results(name):
    """The stored long-lag result ``name`` (``load("long_lags", name)``); ValueError if it is not stored."""
    return load("long_lags", name)


def _fmt_int(value):
    return "-" if value is None else f"{int(round(value)):,}"


def results_table(names, models=None):
    """A plain-text table of stored results beside the paper's numbers.

    For each experiment, one row with the paper's LSTM result (its success
    rate and mean training sequences; for the embedded Reber grammar the
    range of its configurations' means, under min and max) and one row per
    stored model: seeds that met the criterion, training sequences to
    criterion (median, min, max over those seeds), the budget, the median
    number of wrong test sequences (out of 2560, whether or not the criterion
    was met), the total wall time of the runs and the hardware.

    Parameters
    ----------
    names : sequence of str
        Stored results (see :func:`lstm_helpers.experiments.runner.load`); a name that is not stored
        gives a row "not run here".
    models : sequence of str, optional
        Models to show (default: all stored).

    Returns
    -------
    str
    """
    w = max([17, *(len(n) + 1 for n in names)])
    header = (f"{'experiment':<{w}}{'model':<13}{'met':>8}{'median':>9}{'min':>9}{'max':>9}{'budget':>9}"
              f"{'wrong':>7}{'time s':>8}  hardware")
    lines = [header, "-" * (len(header) + 8)]
    for name in names:
        paper = PAPER.get(name)
        if paper is not None:
            if "sequences_max" in paper:
                seq = ("-", _fmt_int(paper["sequences"]), _fmt_int(paper["sequences_max"]))
            else:
                seq = (_fmt_int(paper["sequences"]), "-", "-")
            wrong = "-" if paper["wrong_test"] is None else str(paper["wrong_test"])
            lines.append(f"{name:<{w}}{'paper (mean)':<13}{paper['success']:>8}{seq[0]:>9}{seq[1]:>9}{seq[2]:>9}"
                         f"{'-':>9}{wrong:>7}{'-':>8}  1997 ({paper['table']}), online")
        try:
            data = load_results(name)
        except ValueError:
            lines.append(f"{'' if paper else name:<{w}}{'ours':<13}  not run here")
            continue
        if data["device"] == "cpu":
            hardware = f"CPU, {data['threads']} thread" + ("s" if (data["threads"] or 0) > 1 else "")
        else:
            hardware = data["device_name"]
        config = data["config"]
        label = "" if paper is not None else name  # the experiment's name once, where no paper row shows it
        for model, entry in data["models"].items():
            if models is not None and model not in models:
                continue
            s = entry["summary"]
            budget = config["rnn_budget"] if model == "rnn" else config["budget"]
            met = f"{s['n_reached']}/{s['n_runs']}"
            lines.append(
                f"{label:<{w}}{model:<13}{met:>8}{_fmt_int(s['sequences_median']):>9}"
                f"{_fmt_int(s['sequences_min']):>9}{_fmt_int(s['sequences_max']):>9}{_fmt_int(budget):>9}"
                f"{_fmt_int(s['wrong_test_median']):>7}{s['seconds_total']:>8.0f}  {hardware}"
            )
            label = ""
    return "\n".join(lines)


def seed_table(name, quantity="updates", models=None):
    """A plain-text table of one stored result with one row per model and one column per seed.

    Parameters
    ----------
    name : str
        A stored result (see :func:`lstm_helpers.experiments.runner.load`).
    quantity : {"updates", "sequences", "wrong"}
        ``"updates"``: weight updates until the stopping criterion held, the
        training sequences divided by the batch size (one update per batch);
        ``"sequences"``: the training sequences themselves; ``"wrong"``: the
        wrong sequences of the test set (counted whether or not the criterion
        was met). A seed that did not meet the criterion shows ``-`` under
        ``"updates"`` and ``"sequences"``.
    models : sequence of str, optional
        Models to show (default: all stored).

    Returns
    -------
    str
        A title line, a header and one row per model; the last column is the
        median over the seeds shown in the row (for ``"updates"`` and
        ``"sequences"``: over the seeds that met the criterion).

    Raises
    ------
    ValueError
        If ``quantity`` is unknown or ``name`` is not stored.
    """
    check_choice("quantity", quantity, ("updates", "sequences", "wrong"))
    data = load_results(name)
    batch = data["config"]["batch_size"]
    per = f"batches of {batch}" if batch > 1 else "one sequence per update"
    titles = {"updates": f"weight updates to criterion ({per})",
              "sequences": "training sequences to criterion",
              "wrong": f"wrong test sequences (of {data['config']['test_size']})"}
    lines = [f"{name}: {titles[quantity]}, per seed" + ("; -: not met" if quantity != "wrong" else ""),
             f"{'model':<13}" + "".join(f"{'seed ' + str(s):>9}" for s in data["seeds"]) + f"{'median':>9}"]
    for model, entry in data["models"].items():
        if models is not None and model not in models:
            continue
        values = []
        for run in entry["runs"]:
            if quantity == "wrong":
                values.append(run["wrong_test"])
            elif not run["reached"]:
                values.append(None)
            else:
                seq = run["sequences_to_criterion"]
                values.append(seq if quantity == "sequences" else run.get("updates_to_criterion", seq / batch))
        known = [v for v in values if v is not None]
        median = float(np.median(known)) if known else None
        lines.append(f"{model:<13}" + "".join(f"{_fmt_int(v):>9}" for v in values) + f"{_fmt_int(median):>9}")
    return "\n".join(lines)


def refresh_paper(folder=None):
    """Rewrite the ``paper`` entry of every stored long-lag result from :data:`PAPER`.

    The runs and everything else in the files stay as they are; only the
    paper's numbers and table references, copied into each file when it was
    written, are brought up to date (``migrate`` does this too).

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        Folder of the stored results (default: ``book/data/long_lags``).

    Returns
    -------
    list of str
        The names of the files whose ``paper`` entry changed.
    """
    folder = data_dir("long_lags") if folder is None else pathlib.Path(folder)
    changed = []
    for path in sorted(folder.glob("*.json")):
        data = _loads(path.read_text())
        if data.get("experiment") != "long_lags":
            continue
        paper = PAPER.get(data["name"])
        if data.get("paper") != paper:
            data["paper"] = paper
            path.write_text(_dumps(data))
            changed.append(path.stem)
    return changed


def best_configuration(name):
    """The stored model of ``name`` that met the criterion in every seed with the fewest median sequences.

    Parameters
    ----------
    name : str
        A stored long-lag result (see :func:`lstm_helpers.experiments.runner.load`).

    Returns
    -------
    dict or None
        ``model``, ``n_runs``, ``sequences_median``, ``sequences_max``,
        ``updates_median`` (weight updates, median over the seeds),
        ``paper`` (the paper's mean sequences, for the embedded Reber
        grammar its fastest configuration; None where the paper has no
        number), ``fraction`` (``sequences_median / paper``) and
        ``goal_met`` (``fraction <= 1/4``); None when no model met the
        criterion in every seed.

    Raises
    ------
    ValueError
        If ``name`` is not stored.
    """
    data = load_results(name)
    best = None
    for model, entry in data["models"].items():
        runs = entry["runs"]
        if not all(r["reached"] for r in runs):
            continue
        sequences = [r["sequences_to_criterion"] for r in runs]
        median = float(np.median(sequences))
        if best is None or median < best["sequences_median"]:
            batch = data["config"]["batch_size"]
            updates = [r.get("updates_to_criterion", r["sequences_to_criterion"] / batch) for r in runs]
            best = {"model": model, "n_runs": len(runs), "sequences_median": median,
                    "sequences_max": max(sequences), "updates_median": float(np.median(updates))}
    if best is None:
        return None
    paper = PAPER.get(name, {}).get("sequences")
    best["paper"] = paper
    best["fraction"] = None if paper is None else best["sequences_median"] / paper
    best["goal_met"] = None if paper is None else best["fraction"] <= 0.25
    return best


def comparison_table(names):
    """A plain-text table, one row per experiment: the paper's count, a quarter of it, and our best configuration.

    For each stored result, the model that met the criterion in every seed
    with the fewest median training sequences (:func:`best_configuration`):
    its seeds, median sequences and weight updates to criterion, the median
    as a fraction of the paper's count, and whether it is at most a quarter.

    Parameters
    ----------
    names : sequence of str
        Stored results; a name that is not stored gives a row "not run here".

    Returns
    -------
    str
    """
    header = (f"{'experiment':<27}{'paper':>10}{'1/4 paper':>10}  {'best here':<12}{'seeds':>6}{'sequences':>10}"
              f"{'updates':>9}{'/paper':>8}  goal")
    lines = [header, "-" * len(header)]
    for name in names:
        paper = PAPER.get(name, {}).get("sequences")
        paper_cells = (f"{_fmt_int(paper):>10}{_fmt_int(paper // 4 if paper else None):>10}")
        try:
            best = best_configuration(name)
        except ValueError:
            lines.append(f"{name:<27}{paper_cells}  not run here")
            continue
        if best is None:
            lines.append(f"{name:<27}{paper_cells}  no model met the criterion in every seed")
            continue
        fraction = "-" if best["fraction"] is None else f"{best['fraction']:.3f}"
        goal = "-" if best["goal_met"] is None else ("met" if best["goal_met"] else "not met")
        lines.append(f"{name:<27}{paper_cells}  {best['model']:<12}{best['n_runs']:>6}"
                     f"{_fmt_int(best['sequences_median']):>10}{_fmt_int(best['updates_median']):>9}{fraction:>8}  {goal}")
    return "\n".join(lines)
