"""Tests of the number-agreement task in lstm_helpers.tasks.subject_verb."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers import set_seed
from lstm_helpers.tasks import agreement, agreement_vocabulary, decode_agreement
from lstm_helpers.tasks.subject_verb import FILLERS, NOUNS, VERB

# the package exports the function `agreement`, which shadows the submodule of the same name
agreement_module = importlib.import_module("lstm_helpers.tasks.subject_verb")


def test_docstring_examples_run():
    result = doctest.testmod(agreement_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 3


def test_shapes_and_dtypes():
    x, y, tokens = agreement(10, 7, np.random.default_rng(0), n_nouns=3, n_fillers=5)
    V = 2 * 3 + 5 + 1
    assert x.shape == (10, 9, V) and x.dtype == np.float64
    assert y.shape == (10,) and y.dtype == np.int64
    assert tokens.shape == (10, 9) and tokens.dtype == np.int64


def test_vocabulary_layout():
    vocab = agreement_vocabulary(4, 8)
    assert len(vocab) == 17
    assert vocab[:4] == ("dog", "cat", "bird", "fox")
    assert vocab[4:8] == ("dogs", "cats", "birds", "foxes")
    assert vocab[8:16] == FILLERS[:8]
    assert vocab[-1] == VERB
    assert len(set(vocab)) == len(vocab)
    full = agreement_vocabulary(len(NOUNS), len(FILLERS))
    assert len(full) == 2 * len(NOUNS) + len(FILLERS) + 1 and len(set(full)) == len(full)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 20),
    m=st.integers(0, 15),
    n_nouns=st.integers(1, len(NOUNS)),
    n_fillers=st.integers(1, len(FILLERS)),
    p_noun=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_labels_are_right_by_construction(n, m, n_nouns, n_fillers, p_noun, seed):
    x, y, tokens = agreement(n, m, np.random.default_rng(seed), p_noun=p_noun, n_nouns=n_nouns,
                             n_fillers=n_fillers)
    V = 2 * n_nouns + n_fillers + 1
    assert x.shape == (n, m + 2, V)
    # one-hot, and consistent with the token ids
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)
    np.testing.assert_array_equal(x.argmax(axis=2), tokens)
    # step 1 is a noun whose number is the label: singular ids 0..n_nouns-1 -> 0, plural -> 1
    assert np.all(tokens[:, 0] < 2 * n_nouns)
    np.testing.assert_array_equal(y, tokens[:, 0] // n_nouns)
    assert set(np.unique(y)) <= {0, 1}
    # the distractors are nouns or fillers, never the verb slot; the verb slot is last
    assert np.all(tokens[:, 1:-1] < V - 1)
    np.testing.assert_array_equal(tokens[:, -1], V - 1)
    # the words agree with the label
    vocab = agreement_vocabulary(n_nouns, n_fillers)
    for ids, label in zip(tokens, y):
        subject = vocab[ids[0]]
        assert subject == NOUNS[ids[0] % n_nouns][label]


def test_p_noun_extremes():
    _, _, only_fillers = agreement(200, 6, np.random.default_rng(1), p_noun=0.0)
    assert np.all(only_fillers[:, 1:-1] >= 8)  # 4 nouns x 2 numbers come first
    _, _, only_nouns = agreement(200, 6, np.random.default_rng(1), p_noun=1.0)
    assert np.all(only_nouns[:, 1:-1] < 8)


def test_m_zero_has_no_distractors():
    x, y, tokens = agreement(5, 0, np.random.default_rng(2))
    assert x.shape == (5, 2, 17)
    np.testing.assert_array_equal(tokens[:, 1], 16)


def test_deterministic_under_a_seed():
    a = agreement(50, 9, np.random.default_rng(123))
    b = agreement(50, 9, np.random.default_rng(123))
    c = agreement(50, 9, np.random.default_rng(124))
    for arr_a, arr_b in zip(a, b):
        np.testing.assert_array_equal(arr_a, arr_b)
    assert not np.array_equal(a[2], c[2])
    d = agreement(20, 5, set_seed(0))
    e = agreement(20, 5, set_seed(0))
    np.testing.assert_array_equal(d[2], e[2])


def test_advances_the_generator():
    rng = np.random.default_rng(0)
    first = agreement(30, 4, rng)
    second = agreement(30, 4, rng)
    assert not np.array_equal(first[2], second[2])


def test_class_balance_and_uninformative_distractors():
    n_nouns = 4
    _, y, tokens = agreement(40_000, 8, np.random.default_rng(3), p_noun=0.5, n_nouns=n_nouns)
    assert abs(y.mean() - 0.5) < 0.01
    # lemmas of the subject are uniform
    np.testing.assert_allclose(np.bincount(tokens[:, 0] % n_nouns, minlength=n_nouns) / len(y), 0.25, atol=0.01)
    # a distractor noun's number agrees with the label about half of the time (attractors)
    middle = tokens[:, 1:-1]
    is_noun = middle < 2 * n_nouns
    assert abs(is_noun.mean() - 0.5) < 0.01
    agrees = (middle // n_nouns == y[:, None])[is_noun]
    assert abs(agrees.mean() - 0.5) < 0.01
    # the most recent noun is right only about half of the time
    last_noun = np.array([ids[np.nonzero(ids[:-1] < 2 * n_nouns)[0][-1]] for ids in tokens])
    assert abs(np.mean(last_noun // n_nouns == y) - 0.5) < 0.02


def test_decode_agreement():
    assert decode_agreement([0, 8, 5, 16]) == "dog whom cats <verb>"
    _, _, tokens = agreement(3, 5, np.random.default_rng(4), n_nouns=2, n_fillers=3)
    vocab = agreement_vocabulary(2, 3)
    for ids in tokens:
        words = decode_agreement(ids, n_nouns=2, n_fillers=3).split(" ")
        assert words == [vocab[i] for i in ids]
        assert words[-1] == VERB


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, r"n must be an integer >= 1"),
        ({"n": 2.5}, r"n must be an integer >= 1"),
        ({"m": -1}, r"m must be an integer >= 0"),
        ({"m": True}, r"m must be an integer >= 0"),
        ({"p_noun": 1.5}, r"p_noun must be a probability in \[0, 1\]"),
        ({"p_noun": -0.1}, r"p_noun must be a probability in \[0, 1\]"),
        ({"p_noun": "half"}, r"p_noun must be a probability in \[0, 1\]"),
        ({"n_nouns": 0}, r"n_nouns must be one of 1, 2, \.\.\., 8"),
        ({"n_nouns": 9}, r"n_nouns must be one of 1, 2, \.\.\., 8"),
        ({"n_fillers": 17}, r"n_fillers must be one of 1, 2, \.\.\., 16"),
        ({"n_fillers": 2.0}, r"n_fillers must be one of 1, 2, \.\.\., 16"),
        ({"rng": 0}, r"rng must be a numpy.random.Generator"),
    ],
)
def test_bad_arguments_raise_value_error_naming_valid_values(kwargs, match):
    args = {"n": 3, "m": 2, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        agreement(**args)


def test_bad_arguments_of_the_helpers():
    with pytest.raises(ValueError, match=r"n_nouns must be one of 1, 2, \.\.\., 8"):
        agreement_vocabulary(n_nouns=10)
    with pytest.raises(ValueError, match=r"token ids must lie in 0 \.\.\. 16"):
        decode_agreement([0, 17])
    with pytest.raises(ValueError, match=r"tokens must be integer ids of shape \(T,\)"):
        decode_agreement([[0, 1]])
    with pytest.raises(ValueError, match=r"tokens must be integer ids of shape \(T,\)"):
        decode_agreement([0.0, 1.0])
