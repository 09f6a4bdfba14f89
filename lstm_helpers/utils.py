"""Seeding and device choice, written once for every chapter."""

from __future__ import annotations

import random

import numpy as np

__all__ = ["set_seed", "pin_threads", "get_device", "data_dir", "load_stored"]


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and PyTorch; return a Generator.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    numpy.random.Generator
        ``numpy.random.default_rng(seed)``, the generator chapters pass to the
        data generators of :mod:`lstm_helpers`.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # torch is optional for the NumPy-only chapters
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


class pin_threads:  # noqa: N801 -- used like a function, also a context manager
    """Run PyTorch and NumPy's BLAS on ``n`` CPU threads, so numbers do not depend on the core count.

    A sum split over more threads is added in another order, and the last bits
    of a float differ; after a few hundred training steps that difference can
    change a printed accuracy. Every chapter calls ``pin_threads(1)`` in each
    cell that trains, so what it prints is the same on a laptop with 2 cores
    and on a server with 64.

    Call it (``pin_threads(1)``: the setting stays) or use it as a context
    manager (``with pin_threads(1): ...``: the previous counts come back on exit).

    Parameters
    ----------
    n : int
        A positive number of threads.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer.
    """

    def __init__(self, n: int = 1):
        import torch

        from ._checks import check_size

        self.n = check_size("n", n)
        self._previous_torch = torch.get_num_threads()
        self._blas = None
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # NumPy's BLAS keeps its own count; torch is pinned
            pass
        else:
            self._blas = threadpool_limits(limits=self.n, user_api="blas")
        torch.set_num_threads(self.n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        import torch

        if self._blas is not None:  # first: restoring MKL's count can reset OpenMP's
            self._blas.restore_original_limits()
        torch.set_num_threads(self._previous_torch)
        return False

    def __repr__(self):
        return f"pin_threads({self.n})"


def get_device(device: str = "auto"):
    """Return a ``torch.device``: the GPU when ``device="auto"`` and one is present.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA if available, else Apple ``mps`` if available, else
        CPU), or any name ``torch.device`` accepts (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``).

    Raises
    ------
    ValueError
        If a CUDA device is asked for and none is available, or the name is
        not a device name.
    """
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but no CUDA device is available; use 'auto' or 'cpu'")
    return dev


def data_dir(name: str):
    """The folder ``book/data/<name>`` of the repository, where stored results live.

    Looks next to the installed package first (a checkout of the repository,
    or the clone the Colab setup cell makes), then in the current folder and
    its parents (a notebook run from ``notebooks/``).

    Parameters
    ----------
    name : str
        Sub-folder of ``book/data``, e.g. ``"long_lags"`` or ``"ablation"``.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet when nothing was stored).
    """
    import pathlib

    relative = pathlib.Path("book") / "data" / name
    cwd = pathlib.Path.cwd().resolve()
    candidates = [pathlib.Path(__file__).resolve().parents[1], cwd, *cwd.parents]
    for root in candidates:
        if (root / relative).is_dir():
            return root / relative
    return candidates[0] / relative


def load_stored(name: str, stem: str, what: str = "result", folder=None):
    """Load ``book/data/<name>/<stem>.json`` (see :func:`data_dir`), or ``<folder>/<stem>.json``.

    Raises
    ------
    ValueError
        If there is no such file; the message lists the stored ones.
    """
    import json

    folder = data_dir(name) if folder is None else folder
    path = folder / f"{stem}.json"
    if not path.is_file():
        stored = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
        raise ValueError(f"no stored {what} {stem!r} in {folder}; stored: {', '.join(stored) or 'none'}")
    return json.loads(path.read_text())
