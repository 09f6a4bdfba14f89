"""Seeded data generators for the course's sequence tasks.

Every generator takes the number of sequences ``n`` (and usually a length
``T``) and a :class:`numpy.random.Generator` ``rng`` (the one returned by
:func:`~lstm_helpers.utils.set_seed`), and returns NumPy arrays, batch first:
inputs ``x (n, T, D)`` and targets whose shape the generator documents. The
same generator state always gives the same arrays; nothing is downloaded.

The generators live in themed submodules and are all importable from here:

- :mod:`lstm_helpers.tasks.symbols` -- :func:`~lstm_helpers.tasks.symbols.first_symbol`: name the symbol
  seen at step 1 (a lag of ``T - 1`` steps).
"""

from .symbols import first_symbol

__all__ = ["first_symbol"]
