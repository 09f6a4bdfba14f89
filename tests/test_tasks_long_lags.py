"""Tests of the 1997 long-time-lag tasks: lstm_helpers.tasks.adding, .reber, .temporal, .copying (and .decoding)."""

from __future__ import annotations

import doctest
import importlib
import re
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers.tasks import (
    REBER_SYMBOLS,
    TEMPORAL_ORDER_SYMBOLS,
    adding_correct,
    adding_problem,
    copy_task,
    copy_task_baseline,
    decode,
    embedded_reber,
    embedded_reber_walk,
    reber_correct,
    temporal_order,
    temporal_order_classes,
    temporal_order_correct,
)

# An independent description of the embedded Reber grammar, as a regular expression:
# from node 3 the grammar reads (T*VPX)* T*V and then V or PS; node 2 reads S*X then S or X <node 3>.
_NODE3 = "(?:T*VPX)*T*V(?:V|PS)"
_REBER = f"B(?:TS*X(?:S|X{_NODE3})|P{_NODE3})E"
EMBEDDED_REBER = re.compile(f"^B(?:T{_REBER}T|P{_REBER}P)E$")


LONG_LAG_MODULES = ("adding", "reber", "temporal", "copying", "decoding")


def test_docstring_examples_run():
    attempted = 0
    for name in LONG_LAG_MODULES:
        module = importlib.import_module(f"lstm_helpers.tasks.{name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted >= 12


# --------------------------------------------------------------------------- adding problem


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 30), T=st.integers(10, 120), seed=st.integers(0, 2**32 - 1))
def test_adding_1997_invariants(n, T, seed):
    x, y, lengths = adding_problem(n, T, np.random.default_rng(seed))
    L_max = T + T // 10
    assert x.shape == (n, L_max, 2) and y.shape == (n,) and lengths.shape == (n,)
    assert x.dtype == np.float64 and lengths.dtype == np.int64
    assert np.all((lengths >= T) & (lengths <= L_max))
    values, markers = x[..., 0], x[..., 1]
    for i in range(n):
        L = lengths[i]
        assert np.all(x[i, L:] == 0.0), "padding must be zero"
        marked = np.flatnonzero(markers[i, :L] == 1.0)
        assert len(marked) == 2, "exactly two marked pairs"
        assert marked.min() < 10, "one of the first ten pairs is marked"
        assert marked.max() < max(10, T // 2), "the other lies in the first T/2 - 1 unmarked pairs"
        # -1 on the first (unless marked) and the last pair, 0 elsewhere
        expected = np.zeros(L)
        expected[[0, L - 1]] = -1.0
        expected[marked] = 1.0
        np.testing.assert_array_equal(markers[i, :L], expected)
        assert np.all(np.abs(values[i, :L]) <= 1.0)
        assert y[i] == pytest.approx(0.5 + values[i, marked].sum() / 4.0)
    assert np.all((y >= 0.0) & (y <= 1.0))


def test_adding_1997_first_pair_marked_as_x1_has_value_zero():
    x, _, _ = adding_problem(20_000, 100, np.random.default_rng(3))
    markers, values = x[..., 1], x[..., 0]
    # when the first pair and a pair beyond the first ten are marked, the first pair is X1
    first_is_x1 = (markers[:, 0] == 1.0) & (np.argmax(markers[:, 1:] == 1.0, axis=1) + 1 >= 10)
    assert first_is_x1.sum() > 500
    np.testing.assert_array_equal(values[first_is_x1, 0], 0.0)
    # ... and about one sequence in ten has X1 on the first pair
    x1_first = (markers[:, :10] == 1.0).sum(axis=1)
    assert 0.08 < np.mean(markers[:, 0] == 1.0) < 0.14
    assert np.all(x1_first >= 1)


def test_adding_1997_second_marker_is_uniform_over_first_half():
    x, _, _ = adding_problem(40_000, 100, np.random.default_rng(4))
    markers = x[..., 1]
    beyond_ten = markers[:, 10:50] == 1.0  # only X2 can be there
    freq = beyond_ten.sum(axis=0) / len(x)
    np.testing.assert_allclose(freq, 1 / 49, atol=0.004)
    assert not np.any(markers[:, 50:] == 1.0)


def test_adding_modern_invariants_and_baseline():
    n, T = 20_000, 60
    x, y, lengths = adding_problem(n, T, np.random.default_rng(5), variant="modern")
    assert x.shape == (n, T, 2)
    np.testing.assert_array_equal(lengths, T)
    markers, values = x[..., 1], x[..., 0]
    np.testing.assert_array_equal((markers[:, : T // 2] == 1).sum(axis=1), 1)
    np.testing.assert_array_equal((markers[:, T // 2:] == 1).sum(axis=1), 1)
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert values.min() >= 0.0 and values.max() <= 1.0
    np.testing.assert_allclose(y, (values * markers).sum(axis=1))
    # predicting 1 always: mean squared error 1/6
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.005


def test_adding_is_deterministic_under_a_seed():
    a = adding_problem(8, 30, np.random.default_rng(7))
    b = adding_problem(8, 30, np.random.default_rng(7))
    c = adding_problem(8, 30, np.random.default_rng(8))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_adding_correct():
    y = np.array([0.5, 0.5, 0.5])
    np.testing.assert_array_equal(adding_correct(np.array([0.5, 0.539, 0.55]), y), [True, True, False])
    np.testing.assert_array_equal(adding_correct(np.array([0.5, 0.65, 0.7]), y, variant="modern"),
                                  [True, True, False])
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        adding_correct(np.zeros(2), y)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"variant": "1998"}, "variant must be one of '1997', 'modern'"),
        ({"T": 9}, "T must be an integer >= 10"),
        ({"T": 1, "variant": "modern"}, "T must be an integer >= 2"),
        ({"n": 0}, "n must be an integer >= 1"),
        ({"rng": 3}, "numpy.random.Generator"),
    ],
)
def test_adding_bad_arguments(kwargs, expected):
    args = {"n": 2, "T": 20, "rng": np.random.default_rng(0), "variant": "1997"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=expected):
        adding_problem(**args)


# --------------------------------------------------------------------------- embedded Reber


def _strings(x, lengths):
    return [decode(x[i], REBER_SYMBOLS, lengths[i]) + "E" for i in range(len(x))]


def test_every_generated_string_is_in_the_grammar():
    x, targets, lengths = embedded_reber(2000, np.random.default_rng(11))
    for string in _strings(x, lengths):
        assert EMBEDDED_REBER.match(string), string
        embedded_reber_walk(string)  # the walker accepts it too


def test_reber_arrays_are_one_hot_and_padded():
    x, targets, lengths = embedded_reber(300, np.random.default_rng(12))
    assert x.shape == targets.shape and x.shape[0] == 300 and x.shape[2] == 7
    assert x.shape[1] == lengths.max() and lengths.min() >= 8
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    np.testing.assert_array_equal(x.sum(axis=2), valid.astype(float))
    counts = targets.sum(axis=2)
    assert np.all(counts[valid] >= 1) and np.all(counts[valid] <= 2)
    assert np.all(counts[~valid] == 0)


def test_reber_targets_are_the_walkers_legal_sets():
    x, targets, lengths = embedded_reber(500, np.random.default_rng(13))
    for i, string in enumerate(_strings(x, lengths)):
        legal = embedded_reber_walk(string)
        for t in range(lengths[i]):
            assert decode_multi(targets[i, t]) == legal[t]
            # the actual next symbol is always legal
            assert string[t + 1] in legal[t]


def decode_multi(row):
    return "".join(s for s, v in zip(REBER_SYMBOLS, row) if v > 0.5)


def test_reber_legal_sets_match_what_the_grammar_produces():
    """Every prefix seen often enough is followed by exactly the symbols said to be legal."""
    x, targets, lengths = embedded_reber(20_000, np.random.default_rng(14))
    followers = defaultdict(set)
    seen = defaultdict(int)
    said = {}
    for i, string in enumerate(_strings(x, lengths)):
        for t in range(lengths[i]):
            prefix = string[: t + 1]
            followers[prefix].add(string[t + 1])
            seen[prefix] += 1
            said[prefix] = decode_multi(targets[i, t])
    checked = 0
    for prefix, count in seen.items():
        if count >= 40:
            assert "".join(sorted(followers[prefix], key=REBER_SYMBOLS.index)) == said[prefix], prefix
            checked += 1
    assert checked > 100


def test_reber_long_lag_target_repeats_the_second_symbol():
    x, targets, lengths = embedded_reber(1000, np.random.default_rng(15))
    rows = np.arange(len(x))
    second = x[:, 1].argmax(axis=1)
    assert set(second) == {REBER_SYMBOLS.index("T"), REBER_SYMBOLS.index("P")}
    before_last = targets[rows, lengths - 2]
    np.testing.assert_array_equal(before_last.sum(axis=1), 1)
    np.testing.assert_array_equal(before_last.argmax(axis=1), second)
    np.testing.assert_array_equal(targets[rows, lengths - 1].argmax(axis=1), REBER_SYMBOLS.index("E"))
    assert abs(np.mean(second == REBER_SYMBOLS.index("T")) - 0.5) < 0.05


@pytest.mark.parametrize(
    "string, where",
    [("BTBTXSEPE", "symbol 7"), ("BTBTXSE", "stops before"), ("BXBTXSETE", "symbol 1"), ("ETBTXSETE", "symbol 0"),
     ("BTBTXSETEE", "symbol 9")],
)
def test_walker_rejects_strings_outside_the_grammar(string, where):
    with pytest.raises(ValueError, match=where):
        embedded_reber_walk(string)


def test_walker_example():
    assert embedded_reber_walk("BPBPVVEPE") == ["TP", "B", "TP", "TV", "PV", "E", "P", "E", ""]


def test_reber_correct_rules():
    x, targets, lengths = embedded_reber(50, np.random.default_rng(16))
    assert reber_correct(targets, targets, lengths).all()
    assert reber_correct(0.9 * targets + 0.05, targets, lengths, rule="threshold").all()
    # swap the long-lag prediction of string 0: that string is now wrong, the others not
    outputs = targets.copy()
    t = lengths[0] - 2
    outputs[0, t] = 0.0
    outputs[0, t, REBER_SYMBOLS.index("T") + REBER_SYMBOLS.index("P") - targets[0, t].argmax()] = 1.0
    ok = reber_correct(outputs, targets, lengths)
    assert not ok[0] and ok[1:].all()
    # predicting only one of two legal symbols is wrong under both rules
    outputs = targets.copy()
    outputs[1, 0, REBER_SYMBOLS.index("P")] = 0.0
    assert not reber_correct(outputs, targets, lengths, rule="threshold")[1]
    assert not reber_correct(outputs, targets, lengths)[1]
    # scores after the end of a string do not count
    outputs = targets.copy()
    outputs[np.arange(outputs.shape[1])[None, :] >= lengths[:, None]] = 7.0
    assert reber_correct(outputs, targets, lengths).all()


def test_reber_bad_arguments():
    x, targets, lengths = embedded_reber(3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rule must be one of 'topk', 'threshold'"):
        reber_correct(targets, targets, lengths, rule="argmax")
    with pytest.raises(ValueError, match=r"same shape \(n, L, 7\)"):
        reber_correct(targets[:, :-1], targets, lengths)
    with pytest.raises(ValueError, match=r"lengths must have shape \(n,\)"):
        reber_correct(targets, targets, lengths[:2])
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        embedded_reber(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        embedded_reber(2, 0)


def test_reber_is_deterministic_under_a_seed():
    a = embedded_reber(20, np.random.default_rng(5))
    b = embedded_reber(20, np.random.default_rng(5))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


# --------------------------------------------------------------------------- temporal order


@pytest.mark.parametrize("n_relevant", [2, 3])
def test_temporal_order_invariants(n_relevant):
    n = 3000
    x, y, lengths = temporal_order(n, np.random.default_rng(21), n_relevant=n_relevant)
    assert x.shape == (n, 110, 8) and y.dtype == np.int64
    assert lengths.min() >= 100 and lengths.max() <= 110
    windows = {2: [(10, 20), (50, 60)], 3: [(10, 20), (33, 43), (66, 76)]}[n_relevant]
    names = temporal_order_classes(n_relevant)
    index = {s: i for i, s in enumerate(TEMPORAL_ORDER_SYMBOLS)}
    for i in range(n):
        string = decode(x[i], TEMPORAL_ORDER_SYMBOLS, lengths[i])
        assert string[0] == "E" and string[-1] == "B"
        assert np.all(x[i, lengths[i]:] == 0.0)
        relevant = [t for t, s in enumerate(string) if s in "XY"]
        assert len(relevant) == n_relevant
        assert all(lo <= t <= hi for t, (lo, hi) in zip(relevant, windows))
        assert set(string[1:-1]) - set("XY") <= set("abcd")
        assert names[y[i]] == "".join(string[t] for t in relevant)
        assert x[i, relevant[0], index[string[relevant[0]]]] == 1.0
    # balanced classes; every position of each window is used
    freq = np.bincount(y, minlength=2**n_relevant) / n
    np.testing.assert_allclose(freq, 1 / 2**n_relevant, atol=0.03)


def test_temporal_order_classes_names():
    assert temporal_order_classes(2) == ["XX", "XY", "YX", "YY"]
    assert temporal_order_classes(3)[0] == "XXX" and temporal_order_classes(3)[5] == "YXY"


def test_temporal_order_correct():
    p = np.array([[0.8, 0.1, 0.05, 0.05], [0.6, 0.4, 0.0, 0.0], [0.1, 0.75, 0.1, 0.05]])
    np.testing.assert_array_equal(temporal_order_correct(p, np.array([0, 0, 1])), [True, False, True])
    with pytest.raises(ValueError, match=r"y must have shape \(n,\)"):
        temporal_order_correct(p, np.array([0, 1]))


@pytest.mark.parametrize(
    "kwargs, expected",
    [({"n_relevant": 4}, "n_relevant must be one of 2, 3"), ({"n": -1}, "n must be an integer >= 1"),
     ({"rng": None}, "numpy.random.Generator")],
)
def test_temporal_order_bad_arguments(kwargs, expected):
    args = {"n": 2, "rng": np.random.default_rng(0), "n_relevant": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=expected):
        temporal_order(**args)


def test_temporal_order_is_deterministic_under_a_seed():
    a = temporal_order(10, np.random.default_rng(9), n_relevant=3)
    b = temporal_order(10, np.random.default_rng(9), n_relevant=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


# --------------------------------------------------------------------------- copy task


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 10), T=st.integers(1, 40), n_symbols=st.integers(2, 9), length=st.integers(1, 12),
       seed=st.integers(0, 2**32 - 1))
def test_copy_task_layout(n, T, n_symbols, length, seed):
    x, y = copy_task(n, T, np.random.default_rng(seed), n_symbols=n_symbols, length=length)
    total = T + 2 * length
    assert x.shape == (n, total, n_symbols + 2) and y.shape == (n, total)
    symbols = x.argmax(axis=2)
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)
    data = symbols[:, :length]
    assert data.min() >= 1 and data.max() <= n_symbols
    np.testing.assert_array_equal(symbols[:, length:length + T - 1], 0)
    np.testing.assert_array_equal(symbols[:, length + T - 1], n_symbols + 1)
    np.testing.assert_array_equal(symbols[:, length + T:], 0)
    np.testing.assert_array_equal(y[:, : T + length], 0)
    np.testing.assert_array_equal(y[:, T + length:], data)


def test_copy_task_baseline_is_the_memoryless_cross_entropy():
    T, n_symbols, length = 50, 8, 10
    _, y = copy_task(2000, T, np.random.default_rng(0), n_symbols=n_symbols, length=length)
    # blanks with certainty, then uniform over the data symbols
    probs = np.zeros((T + 2 * length, n_symbols + 2))
    probs[: T + length, 0] = 1.0
    probs[T + length:, 1: n_symbols + 1] = 1.0 / n_symbols
    ce = -np.log(probs[np.arange(T + 2 * length)[None, :], y]).mean()
    assert ce == pytest.approx(copy_task_baseline(T, n_symbols, length))
    assert copy_task_baseline(T) == pytest.approx(10 * np.log(8) / (T + 20))


def test_copy_task_bad_arguments():
    with pytest.raises(ValueError, match="n_symbols must be an integer >= 2"):
        copy_task(2, 5, np.random.default_rng(0), n_symbols=1)
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        copy_task_baseline(0)


def test_decode():
    x = np.eye(3)[[2, 0, 1]]
    assert decode(x, "abc") == "cab"
    assert decode(np.vstack([x, np.zeros((2, 3))]), "abc") == "cab.."
    assert decode(x, "abc", length=2) == "ca"
    with pytest.raises(ValueError, match=r"D = len\(symbols\) = 2"):
        decode(x, "ab")
