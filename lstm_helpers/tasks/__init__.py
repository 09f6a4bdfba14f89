"""Seeded data generators for the course's sequence tasks.

Every generator takes the number of sequences ``n`` (and usually a length
``T``) and a :class:`numpy.random.Generator` ``rng`` (the one returned by
:func:`~lstm_helpers.utils.set_seed`), and returns NumPy arrays, batch first:
inputs ``x (n, T, D)`` and targets whose shape the generator documents. The
same generator state always gives the same arrays; nothing is downloaded.

The generators live in themed submodules and are all importable from here:

- :mod:`lstm_helpers.tasks.symbols` -- :func:`~lstm_helpers.tasks.symbols.first_symbol`: name the symbol
  seen at step 1 (a lag of ``T - 1`` steps).
- :mod:`lstm_helpers.tasks.subject_verb` -- :func:`~lstm_helpers.tasks.subject_verb.agreement`: the number of
  the verb, decided by a subject ``k + 1`` steps back ("My dog, whom I
  adopted in 2009, chases squirrels");
  :func:`~lstm_helpers.tasks.subject_verb.agreement_vocabulary`,
  :func:`~lstm_helpers.tasks.subject_verb.decode_agreement`.
"""

from .subject_verb import agreement, agreement_vocabulary, decode_agreement
from .symbols import first_symbol

__all__ = ["first_symbol", "agreement", "agreement_vocabulary", "decode_agreement"]
