"""The stored experiments of the book, on one runner.

- :mod:`lstm_helpers.experiments.runner` -- what every experiment shares: configuration checks,
  seeding, threads, the hardware record, storage in ``book/data/<experiment>/`` with a schema
  version, summaries, the command line (and how to add an experiment).
- :mod:`lstm_helpers.experiments.long_lags` -- the 1997 long-time-lag experiments (chapter 7).
- :mod:`lstm_helpers.experiments.long_lag_tasks` -- their tasks as training problems: batches, loss,
  stopping criteria.
- :mod:`lstm_helpers.experiments.paper` -- the 1997 paper's numbers and tables of the stored
  long-lag results beside them.
- :mod:`lstm_helpers.experiments.ablation` -- the LSTM-variant ablation (chapter 8).
- :mod:`lstm_helpers.experiments.optimizers` -- optimisers and learning rates on the adding problem.
- :mod:`lstm_helpers.experiments.char_lm` -- character-level language models of several sizes against
  n-gram baselines (chapter 12).
- :mod:`lstm_helpers.experiments.translation` -- encoder--decoder translation with agreement over a
  distance: LSTM, reversed source, attention, GRU (chapter 13).
- :mod:`lstm_helpers.experiments.tree_lstm` -- child-sum and binary Tree-LSTMs against parameter-matched
  sequential LSTMs on ListOps, trained to a plateau (chapter 9).

Run ``python -m lstm_helpers.experiments --help``.
"""

from . import (  # noqa: F401 -- importing registers the experiments
    ablation,
    char_lm,
    gpu_ladder,
    long_lags,
    optimizers,
    paper,
    runner,
    translation,
    tree_lstm,
)
from .runner import load, main

__all__ = ["load", "main"]

