"""The LSTM variants of Greff et al. (2017), as data: which gate blocks and peepholes each has.

Torch-free, so that both the cells (:mod:`lstm_helpers.cells.lstm`) and the
drawings (:mod:`lstm_helpers.diagrams`) read the one definition.
"""

VARIANTS = ("vanilla", "NIG", "NFG", "NOG", "NIAF", "NOAF", "NP", "CIFG", "FGR")

#: The gate blocks computed from weights (PyTorch order i, f, g, o), per variant.
BLOCKS = {
    "vanilla": "ifgo", "NIG": "fgo", "NFG": "igo", "NOG": "ifg", "NIAF": "ifgo",
    "NOAF": "ifgo", "NP": "ifgo", "CIFG": "igo", "FGR": "ifgo",
}

#: The gates with a peephole from the cell state, per variant.
PEEPHOLES = {
    "vanilla": "ifo", "NIG": "fo", "NFG": "io", "NOG": "if", "NIAF": "ifo",
    "NOAF": "ifo", "NP": "", "CIFG": "io", "FGR": "ifo",
}
