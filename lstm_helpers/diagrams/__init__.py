"""Drawings of networks, with matplotlib: every figure of a network or a structure in the course.

Each figure is drawn here, once, so that a chapter can show the same picture
growing from section to section. One module per family of figures:

- :mod:`lstm_helpers.diagrams.rnn` -- the vanilla RNN, folded and unrolled; the four
  input/output patterns; backpropagation through time.
- :mod:`lstm_helpers.diagrams.lstm_cell` -- the LSTM cell, stage by stage and with parts
  highlighted; the paths of its backward pass.
- :mod:`lstm_helpers.diagrams.lstm_unrolled` -- the LSTM unrolled over time.
- :mod:`lstm_helpers.diagrams.stacks` -- stacked and bidirectional layers over time.
- :mod:`lstm_helpers.diagrams.variants` -- the LSTM variants of Greff et al. (2017) and the GRU.
- :mod:`lstm_helpers.diagrams.trees` -- trees, with a heatmap of a state under every node.

Every public name is importable from the package itself
(``from lstm_helpers.diagrams import draw_lstm_cell``), and so is
:data:`COLORS`, the colours that all of them share: ``"input"``, ``"hidden"``,
``"output"``, ``"edge"`` and ``"highlight"``. Every function returns what it
drew on and gives the parts it drew names (``gid``), so that a later cell or a
test can find and restyle them; a bad argument raises ``ValueError``.
"""

from ._base import COLORS
from .lstm_cell import (
    LSTM_CELL_XY,
    LSTM_PART_COLORS,
    LSTM_STAGES,
    draw_lstm_backward,
    draw_lstm_cell,
)
from .lstm_unrolled import draw_unrolled_lstm
from .rnn import draw_bptt, draw_sequence_patterns, draw_unrolled_rnn
from .stacks import (
    BACKWARD_COLOR,
    draw_bidirectional_lstm,
    draw_stacked_and_bidirectional,
    draw_stacked_lstm,
)
from .trees import draw_tree
from .variants import GRU_PART_COLORS, PEEPHOLE_COLOR, draw_gru_cell, draw_lstm_variant

__all__ = [
    "COLORS",
    # rnn
    "draw_unrolled_rnn",
    "draw_sequence_patterns",
    "draw_bptt",
    # lstm_cell, lstm_unrolled
    "draw_lstm_cell",
    "draw_lstm_backward",
    "draw_unrolled_lstm",
    "LSTM_CELL_XY",
    "LSTM_PART_COLORS",
    "LSTM_STAGES",
    # stacks
    "draw_stacked_lstm",
    "draw_bidirectional_lstm",
    "draw_stacked_and_bidirectional",
    "BACKWARD_COLOR",
    # variants
    "draw_lstm_variant",
    "draw_gru_cell",
    "PEEPHOLE_COLOR",
    "GRU_PART_COLORS",
    # trees
    "draw_tree",
]
