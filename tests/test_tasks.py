"""Tests of the seeded task generators in lstm_helpers.tasks."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_helpers.tasks.symbols
from lstm_helpers import set_seed
from lstm_helpers.tasks import first_symbol


def test_docstring_examples_run():
    result = doctest.testmod(lstm_helpers.tasks.symbols, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_first_symbol_shapes_and_dtypes():
    x, y = first_symbol(10, 7, np.random.default_rng(0), n_symbols=5)
    assert x.shape == (10, 7, 5) and x.dtype == np.float64
    assert y.shape == (10,) and y.dtype == np.int64


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 20),
    T=st.integers(1, 12),
    n_symbols=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_first_symbol_labels_are_right_by_construction(n, T, n_symbols, seed):
    x, y = first_symbol(n, T, np.random.default_rng(seed), n_symbols=n_symbols)
    assert x.shape == (n, T, n_symbols)
    # one-hot: entries are 0 or 1 and exactly one 1 per step
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)
    # the label is the symbol at step 1, and it is a valid class
    np.testing.assert_array_equal(y, x[:, 0].argmax(axis=1))
    assert y.min() >= 0 and y.max() < n_symbols


def test_first_symbol_is_deterministic_under_a_seed():
    a = first_symbol(50, 9, np.random.default_rng(123))
    b = first_symbol(50, 9, np.random.default_rng(123))
    c = first_symbol(50, 9, np.random.default_rng(124))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_first_symbol_with_set_seed_reproduces():
    a = first_symbol(20, 5, set_seed(0))
    b = first_symbol(20, 5, set_seed(0))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_first_symbol_advances_the_generator():
    rng = np.random.default_rng(0)
    first = first_symbol(30, 4, rng)
    second = first_symbol(30, 4, rng)
    assert not np.array_equal(first[0], second[0])


def test_first_symbol_classes_are_balanced_and_distractors_uninformative():
    x, y = first_symbol(40_000, 6, np.random.default_rng(1), n_symbols=4)
    freq = np.bincount(y, minlength=4) / len(y)
    np.testing.assert_allclose(freq, 0.25, atol=0.01)
    # a later symbol agrees with the label about as often as chance (1/4)
    agree = np.mean(x[:, -1].argmax(axis=1) == y)
    assert abs(agree - 0.25) < 0.01


def test_first_symbol_T_equal_one_has_no_distractors():
    x, y = first_symbol(5, 1, np.random.default_rng(2), n_symbols=3)
    assert x.shape == (5, 1, 3)
    np.testing.assert_array_equal(y, x[:, 0].argmax(axis=1))


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"n": 0}, "n must be an integer >= 1"),
        ({"n": 2.5}, "n must be an integer >= 1"),
        ({"n": True}, "n must be an integer >= 1"),
        ({"T": 0}, "T must be an integer >= 1"),
        ({"n_symbols": 1}, "n_symbols must be an integer >= 2"),
        ({"rng": 0}, "numpy.random.Generator"),
        ({"rng": np.random.RandomState(0)}, "numpy.random.Generator"),
    ],
)
def test_first_symbol_bad_arguments(kwargs, expected):
    args = {"n": 4, "T": 3, "rng": np.random.default_rng(0), "n_symbols": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=expected):
        first_symbol(**args)


def test_count_since_stop_counts_a_and_resets_on_full_stop():
    from lstm_helpers.tasks import COUNT_SYMBOLS, count_since_stop

    x, y, symbols = count_since_stop(50, 40, np.random.default_rng(3))
    assert x.shape == (50, 40, 4) and y.shape == (50, 40) and symbols.shape == (50, 40)
    np.testing.assert_array_equal(x.argmax(axis=2), symbols)
    for row, targets in zip(symbols, y):
        count = 0
        for s, target in zip(row, targets):
            count = 0 if COUNT_SYMBOLS[s] == "." else count + (COUNT_SYMBOLS[s] == "a")
            assert target == count
    assert y.max() >= 3  # the counts do grow


def test_count_since_stop_follows_probs():
    from lstm_helpers.tasks import count_since_stop

    _, y, symbols = count_since_stop(4, 10, np.random.default_rng(0), probs=(1.0, 0.0, 0.0, 0.0))
    assert np.all(symbols == 0)
    np.testing.assert_array_equal(y, np.tile(np.arange(1, 11), (4, 1)))


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(T=0), dict(probs=(0.5, 0.5)), dict(probs=(0.5, 0.5, 0.5, -0.5)),
                                    dict(probs=(0.3, 0.3, 0.3, 0.3)), dict(rng=1)])
def test_count_since_stop_rejects_bad_input(kwargs):
    from lstm_helpers.tasks import count_since_stop

    args = dict(n=2, T=5, rng=np.random.default_rng(0)) | kwargs
    with pytest.raises(ValueError):
        count_since_stop(**args)
