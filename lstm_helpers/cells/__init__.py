"""PyTorch recurrent cells written out gate by gate.

The cells live in themed submodules and are all importable from here.
"""

from ..trees import Tree, binarize, draw_tree
from .gru import GRUCell, gru_parameter_count
from .lstm import VARIANTS, LSTMCell, lstm_parameter_count
from .lstm1997 import LSTM1997
from .recurrent import Recurrent
from .tree import ChildSumTreeLSTMCell, NaryTreeLSTMCell
from .tree_batch import TreeBatch, batch_trees, tree_lstm_forward, tree_lstm_recursive

__all__: list[str] = [
    "VARIANTS", "LSTMCell", "lstm_parameter_count", "LSTM1997",
    "GRUCell", "gru_parameter_count",
    "Recurrent",
    "ChildSumTreeLSTMCell", "NaryTreeLSTMCell", "Tree", "TreeBatch",
    "batch_trees", "binarize", "tree_lstm_forward", "tree_lstm_recursive", "draw_tree",
]
