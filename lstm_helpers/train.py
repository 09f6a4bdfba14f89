"""One training loop for every PyTorch model in the course.

:func:`train` runs a fixed number of optimisation steps over batches that a
function or iterator supplies, with optional gradient clipping, a progress bar,
a history of the loss, periodic callbacks (evaluation, early stopping) and the
device chosen once.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

__all__ = ["History", "train", "count_parameters"]


@dataclass
class History:
    """What happened during :func:`train`.

    Attributes
    ----------
    step : list of int
        Step numbers (1-based) at which ``loss`` was recorded.
    loss : list of float
        Mean training loss over the ``record_every`` steps before each entry.
    seen : list of int
        Number of training sequences seen at each entry.
    grad_norm : list of float
        Gradient norm before clipping, averaged like ``loss``.
    metrics : dict of str -> list
        Whatever the callback stored (``history.metrics.setdefault(...)``).
    stopped_early : bool
        True when the callback asked to stop.
    seconds : float
        Wall time of the loop.
    """

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def sequences_seen(self) -> int:
        """Training sequences seen in total."""
        return self.seen[-1] if self.seen else 0


def count_parameters(model) -> int:
    """Number of trainable scalars in a ``torch.nn.Module``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _to_device(batch, device):
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a NamedTuple from lstm_helpers.tasks
        return type(batch)(*(_to_device(b, device) for b in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    return batch


def _batch_size(batch) -> int:
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.shape[0]
    if isinstance(batch, (tuple, list)) and batch:
        return _batch_size(batch[0])
    if isinstance(batch, dict) and batch:
        return _batch_size(next(iter(batch.values())))
    raise ValueError("a batch must be a tensor, or a tuple/list/dict whose first entry is a tensor (N, ...)")


def train(model, batches, loss_fn, *, optimizer, n_steps, clip=None, device=None, callback=None,
          callback_every=100, record_every=10, progress=False, desc="training"):
    """Train ``model`` for ``n_steps`` optimisation steps.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device`` first.
    batches : callable or iterable
        ``batches(step)`` returning a batch, or an iterable (cycled when it
        runs out, like the epochs of a data set). A batch is a tensor or a
        tuple/list/dict of tensors whose first dimension is the batch size N;
        it is moved to the device.
    loss_fn : callable
        ``loss_fn(model, batch) -> loss`` (a scalar tensor).
    optimizer : torch.optim.Optimizer
        Built on ``model.parameters()``.
    n_steps : int
        Number of optimisation steps (at most; the callback may stop earlier).
    clip : float, optional
        Clip the gradient norm to this value
        (``torch.nn.utils.clip_grad_norm_``; see also
        :func:`lstm_helpers.optim.clip_grad_norm`).
    device : str or torch.device, optional
        Default: the model's current device. ``"auto"`` picks the GPU when
        there is one (:func:`lstm_helpers.utils.get_device`).
    callback : callable, optional
        ``callback(step, model, history) -> bool`` called every
        ``callback_every`` steps and after the last; return True to stop.
        Use it to evaluate and to store metrics in ``history.metrics``.
    callback_every : int
    record_every : int
        The loss is averaged and recorded every ``record_every`` steps.
    progress : bool
        Show a progress bar (tqdm, written to stdout) with the running loss.
    desc : str
        Label of the progress bar.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        If ``n_steps``, ``callback_every`` or ``record_every`` is not a positive integer.
    """
    import torch

    from ._checks import check_size
    from .utils import get_device

    n_steps = check_size("n_steps", n_steps)
    callback_every = check_size("callback_every", callback_every)
    record_every = check_size("record_every", record_every)
    if device is None:
        params = list(model.parameters())
        device = params[0].device if params else torch.device("cpu")
    elif device == "auto" or isinstance(device, str):
        device = get_device(device)
    model.to(device)
    if callable(batches):
        get_batch = batches
    else:
        iterable = batches
        iterator = iter(iterable)

        def get_batch(step):
            nonlocal iterator
            try:
                return next(iterator)
            except StopIteration:
                iterator = iter(iterable)
                return next(iterator)

    history = History()
    bar = None
    if progress:
        from tqdm.std import tqdm

        bar = tqdm(total=n_steps, desc=desc, file=sys.stdout, mininterval=0.5, dynamic_ncols=False, ncols=90)
    seen = 0
    run_loss = run_norm = 0.0
    run_count = 0
    start = time.perf_counter()
    model.train()
    try:
        for step in range(1, n_steps + 1):
            batch = _to_device(get_batch(step), device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            loss.backward()
            if clip is not None:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            else:
                norm = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in model.parameters() if p.grad is not None))
            optimizer.step()
            seen += _batch_size(batch)
            run_loss += float(loss.detach())
            run_norm += float(norm)
            run_count += 1
            if step % record_every == 0 or step == n_steps:
                history.step.append(step)
                history.loss.append(run_loss / run_count)
                history.grad_norm.append(run_norm / run_count)
                history.seen.append(seen)
                if bar is not None:
                    bar.set_postfix(loss=f"{run_loss / run_count:.4f}", refresh=False)
                run_loss = run_norm = 0.0
                run_count = 0
            if bar is not None:
                bar.update(1)
            if callback is not None and (step % callback_every == 0 or step == n_steps):
                model.eval()
                with torch.no_grad():
                    stop = callback(step, model, history)
                model.train()
                if stop:
                    history.stopped_early = step < n_steps
                    if history.step[-1:] != [step] and run_count:
                        history.step.append(step)
                        history.loss.append(run_loss / run_count)
                        history.grad_norm.append(run_norm / run_count)
                        history.seen.append(seen)
                    break
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
