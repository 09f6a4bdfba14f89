"""Every task generator returns a named tuple: documented fields, in the order of the old plain tuples."""

from __future__ import annotations

import inspect
import pickle
import re

import numpy as np
import pytest

import lstm_helpers.tasks as tasks
from lstm_helpers.tasks import (
    ListOps,
    PaddedSequences,
    Sequences,
    SymbolSequences,
    TokenSequences,
)


def _rng():
    return np.random.default_rng(0)


#: generator name -> (call, returned type, fields in order)
CASES = {
    "first_symbol": (lambda: tasks.first_symbol(4, 6, _rng(), n_symbols=3), Sequences, ("x", "y")),
    "count_since_stop": (lambda: tasks.count_since_stop(4, 6, _rng()), SymbolSequences, ("x", "y", "symbols")),
    "agreement": (lambda: tasks.agreement(4, 3, _rng()), TokenSequences, ("x", "y", "tokens")),
    "adding_problem": (lambda: tasks.adding_problem(4, 20, _rng()), PaddedSequences, ("x", "y", "lengths")),
    "adding_problem_modern": (lambda: tasks.adding_problem(4, 20, _rng(), variant="modern"), PaddedSequences,
                              ("x", "y", "lengths")),
    "embedded_reber": (lambda: tasks.embedded_reber(4, _rng()), PaddedSequences, ("x", "y", "lengths")),
    "temporal_order": (lambda: tasks.temporal_order(4, _rng()), PaddedSequences, ("x", "y", "lengths")),
    "temporal_order_3": (lambda: tasks.temporal_order(4, _rng(), n_relevant=3), PaddedSequences,
                         ("x", "y", "lengths")),
    "copy_task": (lambda: tasks.copy_task(4, 5, _rng(), n_symbols=4, length=3), Sequences, ("x", "y")),
    "make_windows": (lambda: tasks.make_windows(np.arange(10.0), window=3, horizon=2), Sequences, ("x", "y")),
    "listops": (lambda: tasks.listops(4, _rng(), max_depth=2), ListOps, ("trees", "tokens", "labels", "depths")),
}

GENERATORS = {
    "first_symbol": tasks.first_symbol,
    "count_since_stop": tasks.count_since_stop,
    "agreement": tasks.agreement,
    "adding_problem": tasks.adding_problem,
    "embedded_reber": tasks.embedded_reber,
    "temporal_order": tasks.temporal_order,
    "copy_task": tasks.copy_task,
    "make_windows": tasks.make_windows,
    "listops": tasks.listops,
}


def _returns_section(func):
    """The lines of the numpydoc "Returns" section of ``func``'s docstring."""
    doc = inspect.getdoc(func)
    match = re.search(r"^Returns\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, flags=re.S | re.M)
    assert match, f"{func.__name__} has no Returns section"
    return match.group(1).splitlines()


@pytest.mark.parametrize("name", sorted(CASES))
def test_generator_returns_its_named_tuple(name):
    call, kind, fields = CASES[name]
    data = call()
    assert type(data) is kind
    assert isinstance(data, tuple)  # indexing and unpacking work as for a plain tuple
    assert data._fields == fields
    assert len(data) == len(fields)


@pytest.mark.parametrize("name", sorted(CASES))
def test_unpacking_gives_the_fields_in_order(name):
    call, _, fields = CASES[name]
    data = call()
    unpacked = tuple(data)
    for k, field in enumerate(fields):
        assert unpacked[k] is getattr(data, field) is data[k]


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][1] is not ListOps))
def test_named_tuple_survives_pickling(name):
    call, kind, fields = CASES[name]
    data = call()
    back = pickle.loads(pickle.dumps(data))
    assert type(back) is kind
    for field in fields:
        np.testing.assert_array_equal(getattr(back, field), getattr(data, field))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_returns_section_documents_the_type_and_every_field_in_order(name):
    func = GENERATORS[name]
    call, kind, fields = CASES[name]
    lines = _returns_section(func)
    assert lines[0].strip() == kind.__name__, f"{name}: the Returns section must start with {kind.__name__}"
    documented = [m.group(1) for line in lines if (m := re.match(r"^(\w+) : (.+)$", line))]
    assert tuple(documented) == fields, f"{name}: Returns documents {documented}, the fields are {fields}"
    for line in lines:
        m = re.match(r"^(\w+) : (.+)$", line)
        if m and m.group(2).startswith("ndarray"):
            assert "shape (" in m.group(2), f"{name}: field {m.group(1)} has no shape: {line!r}"


def test_the_arrays_are_the_old_ones_in_the_old_order():
    """Spot checks of what each position holds, as before the named tuples."""
    x, y = tasks.first_symbol(5, 4, _rng(), n_symbols=3)
    assert x.shape == (5, 4, 3) and y.dtype == np.int64
    np.testing.assert_array_equal(y, x[:, 0].argmax(axis=1))

    x, y, symbols = tasks.count_since_stop(5, 8, _rng())
    assert x.shape == (5, 8, 4) and y.dtype == np.float64 and symbols.dtype == np.int64
    np.testing.assert_array_equal(symbols, x.argmax(axis=2))

    x, y, tokens = tasks.agreement(5, 3, _rng())
    assert x.shape == (5, 5, 17) and y.shape == (5,) and tokens.shape == (5, 5)
    np.testing.assert_array_equal(tokens, x.argmax(axis=2))

    for data in (tasks.adding_problem(5, 20, _rng()), tasks.temporal_order(5, _rng()),
                 tasks.embedded_reber(5, _rng())):
        x, y, lengths = data
        assert lengths.dtype == np.int64 and lengths.shape == (5,)
        assert x.shape[0] == 5 and x.shape[1] >= lengths.max()
        assert y.shape[0] == 5

    x, targets, lengths = tasks.embedded_reber(3, _rng())
    assert targets.shape == x.shape

    x, y = tasks.copy_task(2, 5, _rng(), n_symbols=4, length=3)
    assert x.shape == (2, 11, 6) and y.shape == (2, 11) and y.dtype == np.int64

    x, y = tasks.make_windows(np.arange(6.0), window=3, horizon=2)
    assert x.shape == (2, 3, 1) and y.shape == (2, 2)

    trees, tokens, labels, depths = tasks.listops(3, _rng(), max_depth=2)
    assert len(trees) == len(tokens) == 3 and labels.dtype == depths.dtype == np.int64


def test_same_seed_gives_the_same_arrays_as_a_plain_tuple_would():
    """A named tuple holds the same arrays; tuple(...) gives the old plain tuple."""
    a = tasks.adding_problem(6, 20, np.random.default_rng(3))
    b = tuple(tasks.adding_problem(6, 20, np.random.default_rng(3)))
    assert type(b) is tuple and len(b) == 3
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_types_are_exported():
    for name in ("Sequences", "PaddedSequences", "SymbolSequences", "TokenSequences", "ListOps"):
        assert name in tasks.__all__
        assert getattr(tasks, name)._fields
    assert Sequences._fields == ("x", "y")
    assert PaddedSequences._fields == ("x", "y", "lengths")
    assert SymbolSequences._fields == ("x", "y", "symbols")
    assert TokenSequences._fields == ("x", "y", "tokens")
    assert ListOps._fields == ("trees", "tokens", "labels", "depths")


@pytest.mark.parametrize("kind", [Sequences, PaddedSequences, SymbolSequences, TokenSequences, ListOps])
def test_every_type_documents_each_of_its_fields(kind):
    doc = inspect.getdoc(kind)
    assert "Fields\n------" in doc
    documented = re.findall(r"^(\w+) : ", doc.split("Fields\n------", 1)[1], flags=re.M)
    assert tuple(documented) == kind._fields
