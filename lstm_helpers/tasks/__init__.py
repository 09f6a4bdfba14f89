"""Seeded data generators for the course's sequence tasks.

Every generator takes the number of sequences ``n`` (and usually a length
``T``) and a :class:`numpy.random.Generator` ``rng`` (the one returned by
:func:`~lstm_helpers.utils.set_seed`), and returns NumPy arrays, batch first:
inputs ``x (n, T, D)`` and targets whose shape the generator documents. The
same generator state always gives the same arrays; nothing is downloaded.

Each generator returns a named tuple (:mod:`lstm_helpers.tasks.batch`), so
``x, y = first_symbol(...)`` and ``x, y, lengths = adding_problem(...)``
unpack it and ``data.x``, ``data.lengths`` name its fields:
:class:`~lstm_helpers.tasks.batch.Sequences` ``(x, y)`` for sequences of one
length, :class:`~lstm_helpers.tasks.batch.PaddedSequences` ``(x, y, lengths)``
for zero-padded sequences of different lengths,
:class:`~lstm_helpers.tasks.batch.SymbolSequences` ``(x, y, symbols)``,
:class:`~lstm_helpers.tasks.batch.TokenSequences` ``(x, y, tokens)`` and
:class:`~lstm_helpers.tasks.listops.ListOps` ``(trees, tokens, labels, depths)``.

The generators live in themed submodules and are all importable from here:

- :mod:`lstm_helpers.tasks.batch` -- the named tuples the generators return.

- :mod:`lstm_helpers.tasks.symbols` -- :func:`~lstm_helpers.tasks.symbols.first_symbol`: name the symbol
  seen at step 1 (a lag of ``T - 1`` steps); :func:`~lstm_helpers.tasks.symbols.count_since_stop`: count
  "a" since the last full stop (a task that needs keeping, ignoring and clearing).
- :mod:`lstm_helpers.tasks.subject_verb` -- :func:`~lstm_helpers.tasks.subject_verb.agreement`: the number of
  the verb, decided by a subject ``m + 1`` steps back ("My dog, whom I
  adopted in 2009, chases squirrels"); :func:`~lstm_helpers.tasks.subject_verb.agreement_vocabulary`,
  :func:`~lstm_helpers.tasks.subject_verb.decode_agreement`.
- :mod:`lstm_helpers.tasks.long_lags` -- the 1997 long-time-lag tasks:
  :func:`~lstm_helpers.tasks.long_lags.adding_problem`, :func:`~lstm_helpers.tasks.long_lags.embedded_reber`,
  :func:`~lstm_helpers.tasks.long_lags.temporal_order`, :func:`~lstm_helpers.tasks.long_lags.copy_task` and their success criteria.
- :mod:`lstm_helpers.tasks.listops` -- :func:`~lstm_helpers.tasks.listops.listops`: nested list operations
  (MIN, MAX, FIRST, LAST, sum mod 10) with their gold trees, optionally disjoint from a training set
  (``exclude=``); :func:`~lstm_helpers.tasks.listops.evaluate`, :func:`~lstm_helpers.tasks.listops.node_values`.
- :mod:`lstm_helpers.tasks.series` -- :func:`~lstm_helpers.tasks.series.seasonal_series`: trend, one or
  two seasonalities and noise; :func:`~lstm_helpers.tasks.series.make_windows`: (past window, next values)
  pairs for forecasting; :func:`~lstm_helpers.tasks.series.fit_linear_ar`,
  :func:`~lstm_helpers.tasks.series.linear_ar_forecast`: the least-squares linear autoregression baseline.
"""

from .batch import PaddedSequences, Sequences, SymbolSequences, TokenSequences
from .listops import ListOps, listops
from .long_lags import (
    REBER_SYMBOLS,
    TEMPORAL_ORDER_SYMBOLS,
    adding_correct,
    adding_problem,
    copy_task,
    copy_task_baseline,
    decode,
    embedded_reber,
    embedded_reber_walk,
    reber_correct,
    temporal_order,
    temporal_order_classes,
    temporal_order_correct,
)
from .series import fit_linear_ar, linear_ar_forecast, make_windows, seasonal_series
from .subject_verb import agreement, agreement_vocabulary, decode_agreement
from .symbols import COUNT_SYMBOLS, count_since_stop, first_symbol

__all__ = ["first_symbol", "COUNT_SYMBOLS", "count_since_stop", "seasonal_series", "make_windows", "fit_linear_ar", "linear_ar_forecast", "agreement", "agreement_vocabulary", "decode_agreement",
           "REBER_SYMBOLS", "TEMPORAL_ORDER_SYMBOLS", "adding_problem", "adding_correct", "embedded_reber",
           "embedded_reber_walk", "reber_correct", "temporal_order", "temporal_order_classes",
           "temporal_order_correct", "copy_task", "copy_task_baseline", "decode", "listops",
           "Sequences", "PaddedSequences", "SymbolSequences", "TokenSequences", "ListOps"]
