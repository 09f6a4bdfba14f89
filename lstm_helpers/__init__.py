"""Helper package of the course *LSTM, Step by Step*.

Small modules, each one idea, each importable on its own, in the order the
course meets them:

From scratch in NumPy (Part I--II):

- :mod:`lstm_helpers.numpy_rnn` -- the vanilla RNN, forward and backward, step and sequence.
- :mod:`lstm_helpers.numpy_lstm` -- the LSTM, forward and backward, step and sequence.
- :mod:`lstm_helpers.numpy_layers` -- affine read-out and losses.
- :mod:`lstm_helpers.gradcheck` -- finite differences and relative errors.
- :mod:`lstm_helpers.gradients` -- gradient norms against the lag (RNN and LSTM paths).

Cells and tasks in PyTorch:

- :mod:`lstm_helpers.cells` -- cells written out gate by gate: LSTM and its variants, GRU,
  Tree-LSTMs; :class:`~lstm_helpers.cells.Recurrent` unrolls any of them over time;
  ``lstm_helpers.cells.fast`` holds the speed ladder of one LSTM layer (fused gates, compiled step).
- :mod:`lstm_helpers.trees` -- trees as data, without PyTorch: the ``Tree`` type and ``binarize``
  (their drawing is ``lstm_helpers.diagrams.draw_tree``).
- :mod:`lstm_helpers.tasks` -- seeded data generators (agreement, long-time-lag tasks,
  ListOps, time series, symbol tasks).

Training and experiments:

- :mod:`lstm_helpers.optim` -- SGD (momentum, Nesterov), RMSProp (PyTorch, Keras, TF1, Graves) and Adam written out, equal to torch.optim; gradient norm clipping.
- :mod:`lstm_helpers.train` -- the one PyTorch training loop.
- :mod:`lstm_helpers.bench` -- timing done right (warm-up, synchronisation, median and spread),
  the FLOPs and memory traffic of an LSTM step, and the datasheet peaks of a few GPUs.
- :mod:`lstm_helpers.distributed` -- data-parallel training of an LSTM with PyTorch's
  ``DistributedDataParallel``, launched with ``torchrun``.
- :mod:`lstm_helpers.utils` -- seeding, thread pinning, device choice, stored results.
- :mod:`lstm_helpers.grading` -- what the autograded assignments use: checks that report on the
  public tests only, and comparisons whose failures say what is wrong.
- :mod:`lstm_helpers.experiments` -- the one experiment runner and the stored experiments on it:
  the long-time-lag experiments of 1997, the variant ablation, the optimiser comparison and the speed
  ladder
  (``python -m lstm_helpers.experiments``).
  :mod:`lstm_helpers.experiments.tree_lstm` compares Tree-LSTMs with parameter-matched LSTMs on ListOps.

Applications (Part V):

- :mod:`lstm_helpers.ngram` -- smoothed character n-gram models (interpolated Kneser--Ney), the
  baselines of a language model, in bits per character.
- :mod:`lstm_helpers.charlm` -- a character-level LSTM language model: the shipped corpus, stateful
  truncated-BPTT training, bits per character, sampling with temperature, searching for interpretable cells.
- :mod:`lstm_helpers.seq2seq` -- encoder--decoder networks (LSTM, GRU, with attention), teacher forcing,
  greedy and beam-search decoding, and a linear probe of the encoder's state.

Figures:

- :mod:`lstm_helpers.plots` -- figures shared by several chapters (gradient curves, gates, learning curves, learning-rate sweeps).
- :mod:`lstm_helpers.diagrams` -- drawings of networks, one module per family: the RNN and BPTT, the LSTM
  cell and its backward paths, the unrolled LSTM, stacked and bidirectional layers, variants and GRU, trees.
"""

__version__ = "0.1.0"

from .utils import get_device, pin_threads, set_seed  # noqa: E402

__all__ = ["__version__", "get_device", "pin_threads", "set_seed"]
