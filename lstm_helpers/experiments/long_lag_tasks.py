"""The tasks of the 1997 long-time-lag experiments as training problems.

:func:`make_task` turns a :class:`~lstm_helpers.experiments.long_lags.LongLagConfig`
into what the training loop of
:func:`~lstm_helpers.experiments.long_lags.run_long_lag` needs: fresh batches of
a task of :mod:`lstm_helpers.tasks.adding`, :mod:`lstm_helpers.tasks.reber` or
:mod:`lstm_helpers.tasks.temporal`, the loss, and per sequence whether
it was processed correctly and its error for the stopping criterion, which
:class:`_Window` checks on the most recent training sequences.

The stopping criteria (checked after every batch, on a window of the most
recent training sequences, each judged before the update that used it):

- adding problem: every one of the last 2000 sequences has an absolute error
  below 0.04 at its end, and their mean squared error is below 0.01;
- temporal order: every one of the last 2000 sequences has all output
  errors below 0.3 (softmax probabilities against the one-hot class), and
  their mean summed squared error is below 0.1;
- embedded Reber: every step of each of the last 512 strings is predicted
  correctly (the ``k`` largest outputs are the ``k`` legal next symbols). The
  paper instead trained on a fixed set of 256 strings and stopped when every
  string of that set and of 256 test strings was predicted correctly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import torch

from .. import tasks as _tasks
from .._checks import check_choice

__all__ = ["TASKS", "make_task"]

#: The tasks of the experiments (``--task``).
TASKS = ("adding", "reber", "temporal_order")


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


def make_task(config):
    """The task of ``config`` as a training problem (used by :func:`~lstm_helpers.experiments.long_lags.run_long_lag`).

    Returns an object with ``sample(n, rng) -> batch`` (a dict of NumPy
    arrays), ``evaluate(model, batch) -> (loss, correct, error)`` (torch
    tensors: the mean loss, and per sequence whether it was processed
    correctly and its error for the criterion), ``input_size``,
    ``output_size`` and ``criterion`` (a sentence).

    Raises
    ------
    ValueError
        If ``config.task`` is not one of :data:`TASKS`.
    """
    check_choice("task", config.task, TASKS)
    F = torch.nn.functional

    if config.task == "adding":
        T = config.T

        def sample(n, rng):
            x, y, lengths = _tasks.adding_problem(n, T, rng, variant="1997")
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            out = model(batch["x"], batch["lengths"])[:, 0]
            err = out - batch["y"]
            return (err ** 2).mean(), err.abs() < 0.04, err.detach() ** 2

        return _Task(sample, evaluate, 2, 1, T,
                     describe=f"adding problem (1997), T = {T}",
                     criterion="all of the last {window} sequences with |error| < 0.04 and their mean squared "
                               "error < {max_error}")

    if config.task == "temporal_order":
        k = config.n_relevant

        def sample(n, rng):
            x, y, lengths = _tasks.temporal_order(n, rng, n_relevant=k)
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            scores = model(batch["x"], batch["lengths"])
            p = torch.softmax(scores.detach(), dim=1)
            target = F.one_hot(batch["y"], p.shape[1]).to(p.dtype)
            correct = ((p - target).abs() < 0.3).all(dim=1)
            return F.cross_entropy(scores, batch["y"]), correct, ((p - target) ** 2).sum(dim=1)

        return _Task(sample, evaluate, len(_tasks.TEMPORAL_ORDER_SYMBOLS), 2**k, 110,
                     describe=f"temporal order, {k} relevant symbols",
                     criterion="all of the last {window} sequences with every output error < 0.3 and their mean "
                               "summed squared error < {max_error}")

    def sample(n, rng):
        x, targets, lengths = _tasks.embedded_reber(n, rng)
        return {"x": x, "targets": targets, "lengths": lengths}

    def evaluate(model, batch):
        scores = model(batch["x"], every_step=True)
        targets, lengths = batch["targets"], batch["lengths"]
        valid = (torch.arange(scores.shape[1], device=scores.device)[None, :] < lengths[:, None])
        loss = F.binary_cross_entropy_with_logits(scores, targets, reduction="none").sum(dim=2)
        loss = (loss * valid).sum() / valid.sum()
        s = scores.detach()
        legal = targets > 0.5
        k = legal.sum(dim=2, keepdim=True)
        rank = torch.argsort(torch.argsort(-s, dim=2, stable=True), dim=2, stable=True)
        step_ok = ((rank < k) == legal).all(dim=2) | ~valid
        return loss, step_ok.all(dim=1), torch.zeros(s.shape[0], dtype=s.dtype, device=s.device)

    return _Task(sample, evaluate, len(_tasks.REBER_SYMBOLS), len(_tasks.REBER_SYMBOLS), 20,
                 describe="embedded Reber grammar",
                 criterion="every step of each of the last {window} strings predicted correctly (top-k rule)")


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

    def __init__(self, size, max_error):
        self.correct = deque(maxlen=size)
        self.error = deque(maxlen=size)
        self.size = size
        self.max_error = max_error

    def add(self, correct, error):
        self.correct.extend(bool(c) for c in correct)
        self.error.extend(float(e) for e in error)

    def satisfied(self):
        if len(self.correct) < self.size or not all(self.correct):
            return False
        return self.max_error is None or sum(self.error) / len(self.error) < self.max_error

    def fraction_correct(self):
        return sum(self.correct) / len(self.correct) if self.correct else 0.0
