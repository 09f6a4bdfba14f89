"""Tree-LSTMs against parameter-matched sequential LSTMs on ListOps, a task definition on
:mod:`~lstm_helpers.experiments.runner`.

Run from the repository root; this command stores ``book/data/tree_lstm/listops.json``
(on one CPU thread)::

    python -m lstm_helpers.experiments tree_lstm --models all --seeds 0,1,2,3,4

The data are ListOps expressions (:func:`lstm_helpers.tasks.listops.listops`,
depths 1 to ``max_depth``, 2 to ``max_args`` arguments per operator), drawn
once from ``data_seed``: a training set, a validation set that shares no
expression with it, and a test set that shares none with either. Four models
(:data:`MODELS`) classify an expression into its value ``0 ... 9``:

- ``child_sum``: a :class:`~lstm_helpers.cells.tree.ChildSumTreeLSTMCell` on the gold
  tree, with first/last position flags added to every node's input
  (:class:`TreeClassifier`);
- ``binary``: a :class:`~lstm_helpers.cells.tree.NaryTreeLSTMCell` with two children on
  the binarized gold tree (:func:`lstm_helpers.trees.binarize`);
- ``lstm_match_child_sum`` and ``lstm_match_binary``: a sequential LSTM over the
  bracketed token sequence (:class:`SequenceLSTM`) whose hidden size
  :func:`match_hidden_size` chooses so that its parameter count is as close
  as possible to that of the tree model it is named after.

Both tree models have ``hidden`` units. With the defaults (``embedding=16``,
``hidden=32``) the match of the child-sum model is an LSTM with 32 units,
the sequential model of the chapter; the match of the binary model has 47.

Every run trains with Adam on mini-batches of a fixed partition of the
training set, visited in a new order every epoch (the order and the
initial weights come from the seed), and measures the validation accuracy
every ``eval_every`` steps. It stops when the validation accuracy has not
improved for ``patience`` evaluations in a row (a *plateau*) or after
``max_steps`` steps, and keeps the weights of the best evaluation (early
stopping). The test accuracy, overall, by depth and by the operator at the
root, is that of the kept weights.

Each run stores ``model``, ``seed``, ``hidden``, ``parameters``,
``matched_to`` and ``matched_parameters`` (for the LSTMs: the tree model and
its count), ``steps`` (trained), ``epochs``, ``best_step`` (where the
validation accuracy peaked), ``valid_accuracy`` (there), ``plateaued`` (True
when the run stopped by patience, False when it ran out of ``max_steps``),
``test_accuracy``, ``test_accuracy_by_depth`` (depths 1 to ``max_depth``),
``test_accuracy_by_operator``, ``curve_steps``, ``curve_valid_accuracy``,
``curve_train_loss`` and ``seconds``. The stored file adds ``data`` (the
sizes of the three sets, the test expressions of each depth and with each
root operator, and the test accuracy of always answering the most common
training label) and the provenance of :func:`~lstm_helpers.experiments.runner.provenance`.
The book reads it back with ``load("tree_lstm", "listops")``.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import nn

from .._checks import check_choice, check_int, check_positive
from ..cells.tree import ChildSumTreeLSTMCell, NaryTreeLSTMCell
from ..cells.tree_batch import batch_trees, tree_lstm_forward
from ..tasks.listops import OPERATORS, SEQ_VOCAB, TREE_VOCAB, encode_tokens, listops, to_string
from ..train import count_parameters, train
from ..trees import binarize
from ..utils import get_device
from . import runner
from .runner import store, summarize

__all__ = [
    "EXPERIMENT",
    "MODELS",
    "TREE_MODELS",
    "TreeLSTMConfig",
    "SequenceLSTM",
    "TreeClassifier",
    "match_hidden_size",
    "model_hidden_size",
    "make_model",
    "make_data",
    "run_model",
    "run_tree_lstm",
]

EXPERIMENT = "tree_lstm"
#: The tree models.
TREE_MODELS = ("child_sum", "binary")
#: Every model: the tree models and, for each, a sequential LSTM with as many parameters.
MODELS = ("child_sum", "binary", "lstm_match_child_sum", "lstm_match_binary")


@dataclass
class TreeLSTMConfig:
    """Everything that defines the comparison (data, models, training, stopping).

    Attributes
    ----------
    n_train, n_valid, n_test : int
        Expressions in the training, validation and test sets.
    max_depth : int
        Depths 1 to ``max_depth``, equally common.
    max_args : int
        Arguments per operator, 2 to ``max_args``.
    data_seed : int
        Seed of the three data sets (the same for every run).
    embedding : int
        ``D``, the size of a token or node embedding.
    hidden : int
        ``H`` of the tree models (the LSTMs get theirs from :func:`match_hidden_size`).
    batch_size : int
        Expressions per step.
    lr : float
        Adam learning rate.
    eval_every : int
        Steps between two measurements of the validation accuracy.
    patience : int
        Stop after this many evaluations in a row without a new best validation accuracy.
    max_steps : int
        Stop here at the latest (the run then has not plateaued).
    threads : int
        CPU threads of the runs.
    """

    n_train: int = 16_000
    n_valid: int = 2_000
    n_test: int = 2_000
    max_depth: int = 4
    max_args: int = 3
    data_seed: int = 0
    embedding: int = 16
    hidden: int = 32
    batch_size: int = 128
    lr: float = 0.02
    eval_every: int = 125
    patience: int = 8
    max_steps: int = 12_000
    threads: int = 1

    def __post_init__(self):
        for name in ("n_train", "n_valid", "n_test", "max_depth", "embedding", "hidden", "batch_size", "eval_every",
                     "patience", "max_steps", "threads"):
            check_int(name, getattr(self, name), 1)
        check_int("max_args", self.max_args, 2)
        check_int("data_seed", self.data_seed, 0)
        check_positive("lr", self.lr)
        if self.max_steps < self.eval_every:
            raise ValueError(f"max_steps must be at least eval_every = {self.eval_every}, got {self.max_steps}")

    @property
    def name(self) -> str:
        """File stem of the stored result: ``"listops"``."""
        return "listops"


# --------------------------------------------------------------------------- models


class SequenceLSTM(nn.Module):
    """The sequential model: token embedding, ``nn.LSTM`` over the packed sequence, 10 scores from the last state.

    Parameters
    ----------
    embedding : int
        ``D``, size of the embedding of each of the tokens of
        :data:`~lstm_helpers.tasks.listops.SEQ_VOCAB` (id 0 is padding).
    hidden : int
        ``H``.
    n_classes : int
        Number of scores (10: the digits).

    Notes
    -----
    ``forward(ids (N, T), lengths (N,)) -> (N, n_classes)``; the read-out sees the
    hidden state after each sequence's own last token (the padding is never read).
    """

    def __init__(self, embedding, hidden, n_classes=10):
        super().__init__()
        self.embed = nn.Embedding(len(SEQ_VOCAB), embedding, padding_idx=0)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, ids, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n: (1, N, H)
        return self.out(h_n[0])


class TreeClassifier(nn.Module):
    """A tree model: node-label embeddings (plus first/last flags), a Tree-LSTM cell level by level, 10 scores.

    Parameters
    ----------
    cell : ChildSumTreeLSTMCell or NaryTreeLSTMCell
    embedding : int
        ``D``, the cell's input size; every label of
        :data:`~lstm_helpers.tasks.listops.TREE_VOCAB` gets an embedding.
    position_flags : bool
        Add a learned embedding of the pair (is the first child, is the last
        child) to each node's input: the child-sum cell cannot see the order
        of the children otherwise.
    n_classes : int

    Notes
    -----
    ``forward(batch, all_nodes=False)``: ``batch`` is a
    :class:`~lstm_helpers.cells.tree_batch.TreeBatch` with ``ids``; returns the
    scores ``(B, n_classes)`` of the roots, or ``(M, n_classes)`` of every node
    with ``all_nodes=True``.
    """

    def __init__(self, cell, embedding, position_flags, n_classes=10):
        super().__init__()
        self.embed = nn.Embedding(len(TREE_VOCAB), embedding)
        self.flags = nn.Embedding(4, embedding) if position_flags else None
        self.cell = cell
        self.out = nn.Linear(cell.hidden_size, n_classes)

    def node_inputs(self, batch):
        """The input ``x (M, D)`` of every node of ``batch``."""
        x = self.embed(batch.ids)
        if self.flags is not None:
            first = (batch.position == 0).long()
            last = (batch.position == batch.n_siblings - 1).long()
            x = x + self.flags(2 * first + last)
        return x

    def forward(self, batch, all_nodes=False):
        h, _ = tree_lstm_forward(self.cell, self.node_inputs(batch), batch)  # (M, H)
        return self.out(h if all_nodes else h[batch.roots])


def match_hidden_size(target, count, max_hidden=4096):
    """The hidden size whose model has the parameter count closest to ``target``.

    Parameters
    ----------
    target : int
        The parameter count to match.
    count : callable
        ``count(H) -> int``, the parameter count of the model with ``H``
        hidden units; must grow with ``H``.
    max_hidden : int
        Largest hidden size tried.

    Returns
    -------
    int
        The ``H`` in ``1 ... max_hidden`` that minimises ``|count(H) - target|``
        (the smaller ``H`` on a tie).

    Raises
    ------
    ValueError
        If ``target`` or ``max_hidden`` is not a positive integer.

    Examples
    --------
    >>> match_hidden_size(1000, lambda H: H * H)  # 31 * 31 = 961, 32 * 32 = 1024
    32
    """
    target = check_int("target", target, 1)
    max_hidden = check_int("max_hidden", max_hidden, 1)
    lo, hi = 1, max_hidden
    while lo < hi:  # the smallest H with count(H) >= target (or max_hidden)
        mid = (lo + hi) // 2
        if count(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    if lo > 1 and abs(count(lo - 1) - target) <= abs(count(lo) - target):
        return lo - 1
    return lo


def _build(name, embedding, hidden):
    if name == "child_sum":
        return TreeClassifier(ChildSumTreeLSTMCell(embedding, hidden), embedding, position_flags=True)
    if name == "binary":
        return TreeClassifier(NaryTreeLSTMCell(embedding, hidden, n_children=2), embedding, position_flags=False)
    return SequenceLSTM(embedding, hidden)


def model_hidden_size(name, embedding=16, hidden=32):
    """The hidden size of model ``name``: ``hidden`` for a tree model, the parameter match for an LSTM.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    embedding, hidden : int
        ``D`` of every model and ``H`` of the tree models.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`MODELS` (the message lists them).

    Examples
    --------
    >>> [model_hidden_size(m) for m in MODELS]
    [32, 32, 32, 47]
    """
    check_choice("model", name, MODELS)
    if name in TREE_MODELS:
        return hidden
    target = _parameters(name.removeprefix("lstm_match_"), embedding, hidden)
    return match_hidden_size(target, lambda H: _parameters("lstm", embedding, H))


@functools.lru_cache(maxsize=512)
def _parameters(kind, embedding, hidden):
    """Parameter count of a model of ``kind`` ("child_sum", "binary" or "lstm"), built once and remembered."""
    with torch.random.fork_rng(devices=[]):  # building draws initial weights: leave the caller's generator alone
        return count_parameters(_build(kind, embedding, hidden))


def make_model(name, embedding=16, hidden=32):
    """A new model of :data:`MODELS` (initial weights from PyTorch's global generator).

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    embedding, hidden : int
        ``D`` of every model and ``H`` of the tree models.

    Returns
    -------
    TreeClassifier or SequenceLSTM

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`MODELS` (the message lists them).
    """
    check_choice("model", name, MODELS)
    return _build(name, embedding, model_hidden_size(name, embedding, hidden))


# --------------------------------------------------------------------------- data


def make_data(config):
    """The training, validation and test sets of ``config``, disjoint, drawn from ``config.data_seed``.

    Returns
    -------
    train, valid, test : ListOps
        From :func:`lstm_helpers.tasks.listops.listops`; ``valid`` shares no
        expression with ``train``, ``test`` none with either.
    """
    rng = np.random.default_rng(config.data_seed)
    kwargs = {"max_depth": config.max_depth, "max_args": config.max_args}
    data_train = listops(config.n_train, rng, **kwargs)
    data_valid = listops(config.n_valid, rng, exclude=data_train, **kwargs)
    seen = [to_string(t) for t in data_train.trees] + [to_string(t) for t in data_valid.trees]
    data_test = listops(config.n_test, rng, exclude=seen, **kwargs)
    return data_train, data_valid, data_test


def _inputs(kind, data, lo=0, hi=None):
    """One batch of expressions ``lo:hi`` as the models of ``kind`` read them (labels first)."""
    y = torch.from_numpy(data.labels[lo:hi])
    if kind == "lstm":
        ids, lengths = encode_tokens(data.tokens[lo:hi])
        return {"y": y, "ids": torch.from_numpy(ids), "lengths": torch.from_numpy(lengths)}
    trees = data.trees[lo:hi]
    if kind == "binary":
        trees = [binarize(t) for t in trees]
    return {"y": y, "trees": batch_trees(trees, vocab=TREE_VOCAB)}


def _kind(name):
    return "lstm" if name.startswith("lstm") else name


def _scores(model, batch):
    if "ids" in batch:
        return model(batch["ids"], batch["lengths"])
    return model(batch["trees"])


def _loss(model, batch):
    return nn.functional.cross_entropy(_scores(model, batch), batch["y"])


def _predict(model, batch):
    with torch.no_grad():
        return _scores(model, batch).argmax(1).numpy()


# --------------------------------------------------------------------------- runs


def run_model(config, name, seed, data, inputs=None):
    """Train model ``name`` with one seed until its validation accuracy plateaus; measure it on the test set.

    Parameters
    ----------
    config : TreeLSTMConfig
    name : str
        One of :data:`MODELS`.
    seed : int
        Sets the initial weights and the order of the mini-batches.
    data : tuple of ListOps
        ``(train, valid, test)`` from :func:`make_data`.
    inputs : dict, optional
        The prepared batches ``{"train": [...], "valid": batch, "test": batch}``
        for the model's kind (built here when omitted; pass them to share the
        work between the seeds).

    Returns
    -------
    dict
        One run, with the fields listed in the module docstring.
    """
    check_choice("model", name, MODELS)
    seed = check_int("seed", seed, 0)
    data_train, data_valid, data_test = data
    if inputs is None:
        inputs = _prepare(config, _kind(name), data)
    batches = inputs["train"]
    order_rng = np.random.default_rng(seed)
    order = []

    def next_batch(step):
        if not order:
            order.extend(order_rng.permutation(len(batches)).tolist())
        return batches[order.pop()]

    best = {"accuracy": -1.0, "step": 0, "state": None}
    curve_steps, curve_valid = [], []

    def evaluate(step, model, history):
        accuracy = float(np.mean(_predict(model, inputs["valid"]) == data_valid.labels))
        curve_steps.append(step)
        curve_valid.append(accuracy)
        if accuracy > best["accuracy"]:
            best.update(accuracy=accuracy, step=step, state=copy.deepcopy(model.state_dict()))
        return (step - best["step"]) // config.eval_every >= config.patience

    with runner.seeded(seed, isolated=True):
        model = make_model(name, config.embedding, config.hidden)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        history = train(model, next_batch, _loss, optimizer=optimizer, n_steps=config.max_steps, device="cpu",
                        callback=evaluate, callback_every=config.eval_every, record_every=config.eval_every)
    model.load_state_dict(best["state"])
    model.eval()
    correct = _predict(model, inputs["test"]) == data_test.labels
    roots = np.array([t.label for t in data_test.trees])
    steps = history.step[-1]
    match = name.removeprefix("lstm_match_") if name not in TREE_MODELS else None
    return {
        "model": name, "seed": seed, "hidden": model_hidden_size(name, config.embedding, config.hidden),
        "parameters": count_parameters(model), "matched_to": match,
        "matched_parameters": None if match is None else _parameters(match, config.embedding, config.hidden),
        "steps": steps, "epochs": round(steps / len(batches), 2), "best_step": best["step"],
        "valid_accuracy": best["accuracy"], "plateaued": bool(history.stopped_early),
        "test_accuracy": float(correct.mean()),
        "test_accuracy_by_depth": [float(correct[data_test.depths == d].mean())
                                   for d in range(1, config.max_depth + 1)],
        "test_accuracy_by_operator": {op: float(correct[roots == op].mean()) for op in OPERATORS
                                      if (roots == op).any()},
        "curve_steps": curve_steps, "curve_valid_accuracy": curve_valid,
        "curve_train_loss": [round(v, 5) for v in history.loss[:len(curve_steps)]],
        "seconds": round(history.seconds, 1),
    }


def _prepare(config, kind, data):
    data_train, data_valid, data_test = data
    size = config.batch_size
    return {"train": [_inputs(kind, data_train, k, k + size) for k in range(0, config.n_train, size)],
            "valid": _inputs(kind, data_valid), "test": _inputs(kind, data_test)}


def run_tree_lstm(config, models=MODELS, seeds=(0, 1, 2), *, threads=1, out=None, log=None, command=None):
    """Run every model of ``models`` with every seed; return (and store) the result.

    Parameters
    ----------
    config : TreeLSTMConfig
    models : sequence of str
        Subset of :data:`MODELS`.
    seeds : sequence of int
    threads : int or None
        CPU threads (None: leave as is).
    out : str or pathlib.Path, optional
        JSON file, rewritten after every model (:func:`~lstm_helpers.experiments.runner.store`).
    log : callable, optional
        Called with one line per finished run.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        In the layout of every stored experiment (module docstrings of this
        module and of :mod:`~lstm_helpers.experiments.runner`).
    """
    models = list(models)
    for m in models:
        check_choice("model", m, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not models or not seeds:
        raise ValueError("models and seeds must not be empty")
    start = time.perf_counter()
    results = {}
    with runner.threads(threads):
        data = make_data(config)
        data_train, data_valid, data_test = data
        counts = np.bincount(data_train.labels, minlength=10)
        roots = np.array([t.label for t in data_test.trees])
        summary_of_data = {
            "n_train": len(data_train.labels), "n_valid": len(data_valid.labels), "n_test": len(data_test.labels),
            "test_by_depth": [int((data_test.depths == d).sum()) for d in range(1, config.max_depth + 1)],
            "test_by_operator": {op: int((roots == op).sum()) for op in OPERATORS},
            "majority_label": int(counts.argmax()),
            "majority_test_accuracy": float(np.mean(data_test.labels == counts.argmax())),
        }
        prepared = {}

        def result():
            return {"schema_version": runner.SCHEMA_VERSION, "experiment": EXPERIMENT, "name": config.name,
                    "config": asdict(config), "seeds": seeds, "data": summary_of_data, "models": dict(results),
                    **runner.provenance(torch.device("cpu"), threads, start, command)}

        for m in models:
            kind = _kind(m)
            if kind not in prepared:
                prepared[kind] = _prepare(config, kind, data)
            runs = []
            for s in seeds:
                run = run_model(config, m, s, data, prepared[kind])
                runs.append(run)
                if log is not None:
                    log(f"{m} seed {s}: test accuracy {run['test_accuracy']:.3f} (valid {run['valid_accuracy']:.3f} "
                        f"at step {run['best_step']}, stopped at {run['steps']}"
                        f"{'' if run['plateaued'] else ', max_steps'}), {run['parameters']:,} parameters, "
                        f"{run['seconds']:.0f} s")
            results[m] = {"runs": runs, "summary": summarize(runs)}
            if out is not None:
                store(result(), out)
    data_out = result()
    if out is not None:
        data_out = store(data_out, out)
    return data_out


# --------------------------------------------------------------------------- command line


def _add_arguments(p):
    p.add_argument("--hidden", type=int, help="hidden units of the tree models (default 32)")
    p.add_argument("--embedding", type=int, help="embedding size D of every model (default 16)")
    p.add_argument("--max-steps", type=int, help="steps per run at most (default 12000)")
    p.add_argument("--eval-every", type=int, help="steps between validation measurements (default 125)")
    p.add_argument("--patience", type=int, help="evaluations without improvement before stopping (default 8)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default 0.02)")
    p.add_argument("--n-train", type=int, help="training expressions (default 16000)")


def _make_config(args):
    config = TreeLSTMConfig()
    if args.quick:
        config = replace(config, n_train=64, n_valid=32, n_test=32, max_depth=2, embedding=4, hidden=3,
                         batch_size=16, eval_every=2, patience=2, max_steps=8)
    config = runner.override(config, args, ("hidden", "embedding", "max_steps", "eval_every", "patience", "lr",
                                            "n_train"))
    return replace(config, threads=args.threads or 1)


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    if get_device("cpu" if device == "auto" else device).type != "cpu":
        raise ValueError(f"the tree_lstm experiment runs on the CPU only; got --device {device}")
    return run_tree_lstm(config, models, seeds, threads=threads, out=out, log=log, command=command)


def _report(data):
    depths = range(1, data["config"]["max_depth"] + 1)
    lines = [f"{'model':<22}{'parameters':>11}{'test (median, min-max)':>26}{'plateaued':>11}"
             + "".join(f"{'depth ' + str(d):>9}" for d in depths)]
    for name, entry in data["models"].items():
        runs = entry["runs"]
        acc = [r["test_accuracy"] for r in runs]
        by_depth = np.median([r["test_accuracy_by_depth"] for r in runs], axis=0)
        lines.append(f"{name:<22}{runs[0]['parameters']:>11,}"
                     f"{f'{np.median(acc):.3f} ({min(acc):.3f}-{max(acc):.3f})':>26}"
                     f"{str(sum(r['plateaued'] for r in runs)) + '/' + str(len(runs)):>11}"
                     + "".join(f"{v:>9.3f}" for v in by_depth))
    return "\n".join(lines)


runner.register(runner.Experiment(
    name=EXPERIMENT, help="child-sum and binary Tree-LSTMs against parameter-matched LSTMs on ListOps",
    models=MODELS, default_models=MODELS, default_seeds=(0, 1, 2, 3, 4), add_arguments=_add_arguments,
    make_config=_make_config, run=_run, report=_report))
