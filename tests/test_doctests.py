"""The examples in the docstrings of every module of lstm_helpers run and print what they show."""

import doctest
import importlib
import inspect
import pkgutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import lstm_helpers  # noqa: E402

MODULES = sorted(
    ["lstm_helpers"]
    + [info.name for info in pkgutil.walk_packages(lstm_helpers.__path__, prefix="lstm_helpers.")]
)

#: NumPy's default print options, which the examples are written for
NUMPY_DEFAULTS = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False,
                      nanstr="nan", infstr="inf", sign="-", floatmode="maxprec", legacy=False)

#: modules whose examples are known to fail today, with the reason
KNOWN_FAILURES = {}


def run_doctests(module):
    """Run every example of ``module``; return ``(attempted, failure reports)``."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner()
    reports = []
    # the package's own docstrings only: objects imported from elsewhere are tested where they live
    for test in finder.find(module, module.__name__):
        runner.run(test, out=reports.append)
    return runner.summarize(verbose=False).attempted, reports


def test_every_module_is_collected():
    assert {"lstm_helpers.gradcheck", "lstm_helpers.tasks.reber", "lstm_helpers.cells.lstm"} <= set(MODULES)
    assert len(MODULES) == len(set(MODULES))


@pytest.mark.parametrize(
    "name",
    [pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[m])) if m in KNOWN_FAILURES else m
     for m in MODULES],
)
def test_module_doctests(name):
    module = importlib.import_module(name)
    source = inspect.getsource(module)
    dtype = torch.get_default_dtype()
    try:
        with np.printoptions(**NUMPY_DEFAULTS):  # whatever an earlier test set
            attempted, reports = run_doctests(module)
    finally:
        torch.set_default_dtype(dtype)
        plt.close("all")
    assert not reports, "".join(reports)
    if ">>> " in source:
        assert attempted > 0, f"{name} shows examples that the doctest finder does not collect"


def test_a_failing_example_fails_the_check():
    """The runner reports a wrong expected output (it does not pass everything)."""
    import types

    module = types.ModuleType("lstm_helpers_fake")
    module.__doc__ = ">>> 1 + 1\n3\n"
    attempted, reports = run_doctests(module)
    assert attempted == 1 and len(reports) == 1 and "Expected:\n    3\nGot:\n    2" in reports[0]
