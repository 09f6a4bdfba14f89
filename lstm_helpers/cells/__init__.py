"""PyTorch recurrent cells written out gate by gate.

The cells live in themed submodules and are all importable from here.
"""

__all__: list[str] = []
