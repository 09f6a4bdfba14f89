"""The 1997 long-time-lag experiments and their modern relatives as training problems.

:func:`make_task` turns a :class:`~lstm_helpers.experiments.long_lags.LongLagConfig`
into what the training loop of
:func:`~lstm_helpers.experiments.long_lags.run_long_lag` needs: fresh batches of
a task of :mod:`lstm_helpers.tasks` (:mod:`~lstm_helpers.tasks.adding`,
:mod:`~lstm_helpers.tasks.reber`, :mod:`~lstm_helpers.tasks.temporal`,
:mod:`~lstm_helpers.tasks.long_lag`, :mod:`~lstm_helpers.tasks.copying`),
the loss, and per sequence whether it was processed correctly and its error
for the stopping criterion, which :class:`_Window` checks on the most recent
training sequences.

The stopping criteria (checked after every batch, on a window of the most
recent training sequences, each judged before the update that used it):

- adding problem (1997): every one of the last 2000 sequences has an
  absolute error below 0.04 at its end, and their mean squared error is
  below 0.01;
- multiplication problem: at most ``tolerated_wrong`` = 54 of the last
  2000 sequences have an absolute error of 0.04 or more (half the share of
  the paper's trained network, which got 140 of 2560 test sequences wrong);
- temporal order: every one of the last 2000 sequences has all output
  errors below 0.3 (softmax probabilities against the one-hot class), and
  their mean summed squared error is below 0.1;
- very long lags (Experiment 2c): every one of the last 2000 sequences has
  both output errors below 0.25, and their mean summed squared error is
  below 0.1;
- embedded Reber, stream: every step of each of the last 512 strings is
  predicted correctly (the ``k`` largest outputs are the ``k`` legal next
  symbols);
- embedded Reber, the paper's protocol (``reber_fixed``): training cycles
  through a fixed set of 256 strings in a new random order each pass, and
  stops as soon as every string of that set *and* of a fixed set of 256 test
  strings is predicted correctly at every step, checked every
  ``check_every`` training strings;
- adding problem, modern form (Arjovsky et al., 2016): every one of the
  last 2000 sequences has an absolute error below 0.16 (the 1997
  tolerance, on the unscaled sum), and their mean squared error is below
  0.01 (the constant answer's is 1/6);
- copy task: every output of each of the last 2000 sequences is right
  (the largest score is the target symbol at every step).

A model whose ``paper_outputs`` attribute is true
(:class:`~lstm_helpers.cells.lstm1997.LSTM1997`) is trained as in 1997: its
outputs are sigmoid activations in ``[0, 1]`` and the loss is the squared
error, averaged over the sequences; the
same thresholds judge them (for temporal order, every output unit's error
below 0.3 against the one-hot class). Its loss is the paper's error: half the
squared error, summed over the output units and, on the embedded Reber
grammar, over the steps of a string.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import tasks as _tasks
from .._checks import check_choice

__all__ = ["TASKS", "make_task"]

#: The tasks of the experiments (``--task``): the 1997 ones first, then the modern forms.
TASKS = ("adding", "reber", "temporal_order", "multiplication", "very_long_lag", "reber_fixed", "adding_modern",
         "copy")


@dataclass
class _Task:
    """A task seen from the training loop: batches, a loss, and per-sequence judgement."""

    sample: object  # (n, rng) -> dict of numpy arrays
    evaluate: object  # (model, batch) -> (loss tensor, correct (N,) bool tensor, error (N,) tensor)
    input_size: int
    output_size: int
    chrono_T: int
    describe: str = ""
    criterion: str = ""
    extra: dict = field(default_factory=dict)
    judge: object = None  # (model) -> (all correct, wrong count) on fixed sets; replaces the window
    every_step: bool = False
    symbols: bool = False  # batches hold symbol indices; networks built with symbols=True read them
    test_sample: object = None  # (n, rng) -> batch of fresh test sequences; None: sample


def make_task(config):
    """The task of ``config`` as a training problem (used by :func:`~lstm_helpers.experiments.long_lags.run_long_lag`).

    Returns an object with ``sample(n, rng) -> batch`` (a dict of NumPy
    arrays), ``evaluate(model, batch) -> (loss, correct, error)`` (torch
    tensors: the mean loss, and per sequence whether it was processed
    correctly and its error for the criterion), ``input_size``,
    ``output_size``, ``chrono_T`` (the longest lag, for chrono
    initialisation), ``criterion`` (a sentence), ``judge``: None, or for
    ``reber_fixed`` a function ``judge(model) -> (all_correct, n_wrong)`` on
    the fixed training and test strings, ``test_sample``: None (the final
    test draws with ``sample``), or for ``reber_fixed`` a sampler of fresh
    strings, and ``extra``: for ``reber_fixed`` the fixed sets, ``{"train":
    PaddedSequences, "test": PaddedSequences}``.

    Raises
    ------
    ValueError
        If ``config.task`` is not one of :data:`TASKS`.
    """
    check_choice("task", config.task, TASKS)
    F = torch.nn.functional

    def regression(model, batch, tolerance):
        out = model(batch["x"], batch["lengths"])[:, 0]
        err = out - batch["y"]
        loss = 0.5 * (err ** 2).mean() if getattr(model, "paper_outputs", False) else (err ** 2).mean()
        return loss, err.abs() < tolerance, err.detach() ** 2

    def classification(model, batch, n_classes, tolerance):
        scores = model(batch["x"], batch["lengths"])
        target = F.one_hot(batch["y"], n_classes).to(scores.dtype)
        if getattr(model, "paper_outputs", False):
            p = scores
            loss = 0.5 * ((p - target) ** 2).sum(dim=1).mean()
        else:
            p = torch.softmax(scores, dim=1)
            loss = F.cross_entropy(scores, batch["y"])
        p = p.detach()
        return loss, ((p - target).abs() < tolerance).all(dim=1), ((p - target) ** 2).sum(dim=1)

    if config.task in ("adding", "multiplication", "adding_modern"):
        T = config.T
        variant = {"adding": "1997", "multiplication": "multiplication", "adding_modern": "modern"}[config.task]
        tolerance = 0.16 if variant == "modern" else 0.04

        def sample(n, rng):
            x, y, lengths = _tasks.adding_problem(n, T, rng, variant=variant)
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            return regression(model, batch, tolerance)

        if config.task == "multiplication":
            describe = f"multiplication problem (1997), T = {T}"
            criterion = ("at most {tolerated_wrong} of the last {window} sequences with |error| >= 0.04")
        elif config.task == "adding":
            describe = f"adding problem (1997), T = {T}"
            criterion = ("all of the last {window} sequences with |error| < 0.04 and their mean squared "
                         "error < {max_error}")
        else:
            describe = f"adding problem (modern), T = {T}"
            criterion = ("all of the last {window} sequences with |error| < 0.16 and their mean squared "
                         "error < {max_error}")
        return _Task(sample, evaluate, 2, 1, T, describe=describe, criterion=criterion)

    if config.task == "temporal_order":
        k = config.n_relevant

        def sample(n, rng):
            x, y, lengths = _tasks.temporal_order(n, rng, n_relevant=k)
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            return classification(model, batch, 2**k, 0.3)

        return _Task(sample, evaluate, len(_tasks.TEMPORAL_ORDER_SYMBOLS), 2**k, 110,
                     describe=f"temporal order, {k} relevant symbols",
                     criterion="all of the last {window} sequences with every output error < 0.3 and their mean "
                               "summed squared error < {max_error}")

    if config.task == "very_long_lag":
        q, p = config.T, config.p
        V = p + 4

        def sample(n, rng):
            x, y, lengths = _tasks.very_long_lag(n, q, rng, p=p)
            return {"symbols": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            if getattr(model, "symbols", False):
                x = batch["symbols"]
            else:
                x = F.one_hot(batch["symbols"], V).to(next(model.parameters()).dtype)
            return classification(model, {"x": x, "y": batch["y"], "lengths": batch["lengths"]}, 2, 0.25)

        return _Task(sample, evaluate, V, 2, q + q // 10, symbols=True,
                     describe=f"very long lags (1997, Experiment 2c), q = {q}, p = {p}",
                     criterion="all of the last {window} sequences with both output errors < 0.25 and their mean "
                               "summed squared error < {max_error}")

    if config.task == "copy":
        T = config.T
        n_symbols, length = 8, 10

        def sample(n, rng):
            x, y = _tasks.copy_task(n, T, rng, n_symbols=n_symbols, length=length)
            return {"x": x, "y": y}

        def evaluate(model, batch):
            scores = model(batch["x"], every_step=True)  # (N, L, n_symbols + 1): blank and data symbols
            loss = F.cross_entropy(scores.transpose(1, 2), batch["y"])
            right = (scores.detach().argmax(dim=2) == batch["y"]).all(dim=1)
            return loss, right, torch.zeros(scores.shape[0], dtype=scores.dtype, device=scores.device)

        return _Task(sample, evaluate, n_symbols + 2, n_symbols + 1, T + 2 * length,
                     describe=f"copy task (modern), T = {T}, {length} symbols out of {n_symbols}",
                     criterion="every output of each of the last {window} sequences right", every_step=True)

    def reber_evaluate(model, batch):
        scores = model(batch["x"], every_step=True)
        targets, lengths = batch["targets"], batch["lengths"]
        valid = (torch.arange(scores.shape[1], device=scores.device)[None, :] < lengths[:, None])
        if getattr(model, "paper_outputs", False):  # the paper's error: half the squared error, summed over steps
            loss = 0.5 * (((scores - targets) ** 2).sum(dim=2) * valid).sum() / scores.shape[0]
        else:
            loss = F.binary_cross_entropy_with_logits(scores, targets, reduction="none").sum(dim=2)
            loss = (loss * valid).sum() / valid.sum()
        s = scores.detach()
        legal = targets > 0.5
        k = legal.sum(dim=2, keepdim=True)
        rank = torch.argsort(torch.argsort(-s, dim=2, stable=True), dim=2, stable=True)
        step_ok = ((rank < k) == legal).all(dim=2) | ~valid
        return loss, step_ok.all(dim=1), torch.zeros(s.shape[0], dtype=s.dtype, device=s.device)

    if config.task == "reber":
        def sample(n, rng):
            x, targets, lengths = _tasks.embedded_reber(n, rng)
            return {"x": x, "targets": targets, "lengths": lengths}

        return _Task(sample, reber_evaluate, len(_tasks.REBER_SYMBOLS), len(_tasks.REBER_SYMBOLS), 20,
                     describe="embedded Reber grammar",
                     criterion="every step of each of the last {window} strings predicted correctly (top-k rule)")

    # reber_fixed: the paper's protocol, a fixed training set of 256 strings and a fixed test set of 256
    fixed_rng = np.random.default_rng([config.fixed_seed, 1997])
    train_set = _tasks.embedded_reber(256, fixed_rng)
    test_set = _tasks.embedded_reber(256, fixed_rng)
    order = []

    def sample(n, rng):
        rows = []
        while len(rows) < n:
            if not order:
                order.extend(rng.permutation(256).tolist())
            rows.append(order.pop())
        x, targets, lengths = (a[rows] for a in train_set)
        width = int(lengths.max())
        return {"x": x[:, :width], "targets": targets[:, :width], "lengths": lengths}

    width = max(train_set.x.shape[1], test_set.x.shape[1])

    def padded(a):
        return np.pad(a, [(0, 0), (0, width - a.shape[1]), (0, 0)])

    both = (np.concatenate([padded(train_set.x), padded(test_set.x)]),
            np.concatenate([padded(train_set.y), padded(test_set.y)]),
            np.concatenate([train_set.lengths, test_set.lengths]))

    def judge(model):
        dtype = next(model.parameters()).dtype
        device = next(model.parameters()).device
        batch = {"x": torch.as_tensor(both[0], dtype=dtype, device=device),
                 "targets": torch.as_tensor(both[1], dtype=dtype, device=device),
                 "lengths": torch.as_tensor(both[2], device=device)}
        with torch.no_grad():
            _, correct, _ = reber_evaluate(model, batch)
        n_wrong = int((~correct).sum())
        return n_wrong == 0, n_wrong

    def fresh(n, rng):  # the final test: strings drawn anew, not the fixed training strings
        x, targets, lengths = _tasks.embedded_reber(n, rng)
        return {"x": x, "targets": targets, "lengths": lengths}

    return _Task(sample, reber_evaluate, len(_tasks.REBER_SYMBOLS), len(_tasks.REBER_SYMBOLS), 20, test_sample=fresh,
                 extra={"train": train_set, "test": test_set},
                 describe="embedded Reber grammar, 256 fixed training strings and 256 fixed test strings",
                 criterion="every step of every one of the 256 training and 256 test strings predicted correctly "
                           "(top-k rule), checked every {check_every} training strings", judge=judge,
                 every_step=True)


def _to_tensors(batch, dtype):
    out = {}
    for key, value in batch.items():
        if value.dtype.kind == "f":
            out[key] = torch.as_tensor(value, dtype=dtype)
        else:
            out[key] = torch.as_tensor(value, dtype=torch.int64)
    return out


class _Window:
    """Correctness and errors of the most recent training sequences."""

    def __init__(self, size, max_error, tolerated_wrong=0):
        self.correct = deque(maxlen=size)
        self.error = deque(maxlen=size)
        self.size = size
        self.max_error = max_error
        self.tolerated_wrong = tolerated_wrong

    def add(self, correct, error):
        self.correct.extend(bool(c) for c in correct)
        self.error.extend(float(e) for e in error)

    def satisfied(self):
        if len(self.correct) < self.size or len(self.correct) - sum(self.correct) > self.tolerated_wrong:
            return False
        return self.max_error is None or sum(self.error) / len(self.error) < self.max_error

    def fraction_correct(self):
        return sum(self.correct) / len(self.correct) if self.correct else 0.0
