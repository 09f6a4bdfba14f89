"""``python -m lstm_helpers.experiments``: see :mod:`lstm_helpers.experiments.runner`."""

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
