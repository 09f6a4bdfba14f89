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
- The long-time-lag tasks of Hochreiter & Schmidhuber (1997), one module each with its
  constants and success criterion:

  - :mod:`lstm_helpers.tasks.adding` -- :func:`~lstm_helpers.tasks.adding.adding_problem`: output the sum of
    two marked values at the end (1997 and modern forms); :func:`~lstm_helpers.tasks.adding.adding_correct`.
  - :mod:`lstm_helpers.tasks.reber` -- :func:`~lstm_helpers.tasks.reber.embedded_reber`: predict the legal
    next symbols of the embedded Reber grammar; :func:`~lstm_helpers.tasks.reber.embedded_reber_walk`,
    :func:`~lstm_helpers.tasks.reber.reber_correct`, :data:`~lstm_helpers.tasks.reber.REBER_SYMBOLS`;
    :func:`~lstm_helpers.tasks.reber.continual_embedded_reber` and
    :class:`~lstm_helpers.tasks.reber.ContinualReber`: the continual embedded Reber grammar of Gers et al.
    (2000), strings back to back in endless streams (:class:`~lstm_helpers.tasks.reber.ReberStream`).
  - :mod:`lstm_helpers.tasks.temporal` -- :func:`~lstm_helpers.tasks.temporal.temporal_order`: classify a
    sequence by the order of widely separated X / Y; :func:`~lstm_helpers.tasks.temporal.temporal_order_classes`,
    :func:`~lstm_helpers.tasks.temporal.temporal_order_correct`,
    :data:`~lstm_helpers.tasks.temporal.TEMPORAL_ORDER_SYMBOLS`.
  - :mod:`lstm_helpers.tasks.long_lag` -- :func:`~lstm_helpers.tasks.long_lag.very_long_lag`: name the
    symbol seen more than ``q`` steps ago among ``p`` distractors (Experiment 2c);
    :func:`~lstm_helpers.tasks.long_lag.very_long_lag_symbols`, :data:`~lstm_helpers.tasks.long_lag.LONG_LAG_NAMES`.
  - :mod:`lstm_helpers.tasks.copying` -- :func:`~lstm_helpers.tasks.copying.copy_task`: reproduce symbols
    after a long blank (Arjovsky et al., 2016); :func:`~lstm_helpers.tasks.copying.copy_task_baseline`.

- :mod:`lstm_helpers.tasks.decoding` -- :func:`~lstm_helpers.tasks.decoding.decode`: a one-hot sequence
  back as a string of symbols.
- :mod:`lstm_helpers.tasks.listops` -- :func:`~lstm_helpers.tasks.listops.listops`: nested list operations
  (MIN, MAX, FIRST, LAST, sum mod 10) with their gold trees, optionally disjoint from a training set
  (``exclude=``); :func:`~lstm_helpers.tasks.listops.evaluate`, :func:`~lstm_helpers.tasks.listops.node_values`.
- :mod:`lstm_helpers.tasks.series` -- :func:`~lstm_helpers.tasks.series.seasonal_series`: trend, one or
  two seasonalities and noise; :func:`~lstm_helpers.tasks.series.make_windows`: (past window, next values)
  pairs for forecasting; :func:`~lstm_helpers.tasks.series.fit_linear_ar`,
  :func:`~lstm_helpers.tasks.series.linear_ar_forecast`: the least-squares linear autoregression baseline.
- :mod:`lstm_helpers.tasks.translation` -- :func:`~lstm_helpers.tasks.translation.translation_pairs`: English
  sentences and their translation into a small Czech-like language whose adjective, relative pronoun
  and past-tense verb agree with the subject's gender at a controlled distance;
  :func:`~lstm_helpers.tasks.translation.translation_split`,
  :func:`~lstm_helpers.tasks.translation.decode_translation`.
"""

from .adding import adding_correct, adding_problem
from .batch import PaddedSequences, Sequences, SymbolSequences, TokenSequences
from .copying import copy_task, copy_task_baseline
from .decoding import decode
from .listops import ListOps, listops
from .long_lag import LONG_LAG_NAMES, very_long_lag, very_long_lag_symbols
from .reber import (
    REBER_SYMBOLS,
    ContinualReber,
    ReberStream,
    continual_embedded_reber,
    embedded_reber,
    embedded_reber_walk,
    reber_correct,
)
from .series import fit_linear_ar, linear_ar_forecast, make_windows, seasonal_series
from .subject_verb import agreement, agreement_vocabulary, decode_agreement
from .symbols import COUNT_SYMBOLS, count_since_stop, first_symbol
from .temporal import (
    TEMPORAL_ORDER_SYMBOLS,
    temporal_order,
    temporal_order_classes,
    temporal_order_correct,
)
from .translation import (
    ParallelSentences,
    decode_translation,
    n_sentences,
    source_vocabulary,
    target_vocabulary,
    translation_pairs,
    translation_split,
)

__all__ = ["first_symbol", "COUNT_SYMBOLS", "count_since_stop", "seasonal_series", "make_windows", "fit_linear_ar", "linear_ar_forecast", "agreement", "agreement_vocabulary", "decode_agreement",
           "REBER_SYMBOLS", "TEMPORAL_ORDER_SYMBOLS", "adding_problem", "adding_correct", "embedded_reber",
           "embedded_reber_walk", "reber_correct", "temporal_order", "temporal_order_classes",
           "temporal_order_correct", "copy_task", "copy_task_baseline", "decode", "listops",
           "Sequences", "PaddedSequences", "SymbolSequences", "TokenSequences", "ListOps",
           "ParallelSentences", "translation_pairs", "translation_split", "decode_translation",
           "n_sentences", "source_vocabulary", "target_vocabulary", "very_long_lag", "very_long_lag_symbols",
           "LONG_LAG_NAMES", "ContinualReber", "ReberStream", "continual_embedded_reber"]
