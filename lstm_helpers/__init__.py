"""Helper package of the course *LSTM, Step by Step*.

Small modules, each one idea, each importable on its own:

- :mod:`lstm_helpers.numpy_rnn` -- the vanilla RNN in NumPy, forward and backward.
- :mod:`lstm_helpers.gradcheck` -- finite differences and relative errors.
- :mod:`lstm_helpers.diagrams` -- figures of networks drawn with matplotlib.
- :mod:`lstm_helpers.utils` -- seeding and device choice.
"""

__version__ = "0.1.0"

from .utils import get_device, set_seed  # noqa: E402

__all__ = ["__version__", "get_device", "set_seed"]
