"""Helper package of the course *LSTM, Step by Step*.

Small modules, each one idea, each importable on its own:

- :mod:`lstm_helpers.numpy_rnn` -- the vanilla RNN in NumPy, forward and backward.
- :mod:`lstm_helpers.numpy_lstm` -- the LSTM in NumPy, forward and backward.
- :mod:`lstm_helpers.numpy_layers` -- affine read-out and losses in NumPy.
- :mod:`lstm_helpers.gradcheck` -- finite differences and relative errors.
- :mod:`lstm_helpers.gradients` -- gradient norms against the lag.
- :mod:`lstm_helpers.optim` -- optimisers written out, gradient clipping.
- :mod:`lstm_helpers.train` -- the one PyTorch training loop.
- :mod:`lstm_helpers.tasks` -- seeded data generators.
- :mod:`lstm_helpers.plots` -- figures shared by several chapters.
- :mod:`lstm_helpers.diagrams` -- figures of networks drawn with matplotlib.
- :mod:`lstm_helpers.utils` -- seeding, thread pinning and device choice.
"""

__version__ = "0.1.0"

from .utils import get_device, pin_threads, set_seed  # noqa: E402

__all__ = ["__version__", "get_device", "pin_threads", "set_seed"]
