"""The Kneser-Ney character models: proper distributions, a hand-computed example, bad input."""

import math

import numpy as np
import pytest

from lstm_helpers.ngram import KneserNey

TEXT = "the cat sat on the mat; the hat is flat.\n" * 3 + "a bat, a rat!"


def test_hand_computed_bigram_example():
    # "abab", n = 2, D = 0.5. Bigram counts: ab 2, ba 1. Continuation counts of order 1: a 1 (from "ba"),
    # b 1 (from "ab"), so P1(a) = (1 - .5)/2 + .5 * 2/2 * 1/2 = 1/2.
    m = KneserNey("abab", 2, discount=0.5)
    assert m.prob("a") == pytest.approx(0.5)
    # P(b | a) = (2 - .5)/2 + .5 * 1/2 * P1(b) = .75 + .125; P(a | a) = 0 + .125
    assert m.prob("b", "a") == pytest.approx(0.875)
    assert m.prob("a", "a") == pytest.approx(0.125)
    # P(a | b) = (1 - .5)/1 + .5 * 1/1 * 1/2 = .75
    assert m.prob("a", "b") == pytest.approx(0.75)
    np.testing.assert_allclose(m.distribution("b"), [0.75, 0.25])
    # only the last n - 1 characters count
    assert m.prob("b", "bba") == m.prob("b", "a")


def test_unigram_with_discount_toward_uniform():
    # "aab", vocabulary abc, n = 1, D = 0.5: P(a) = 1.5/3 + .5*2/3 * 1/3, P(b) = .5/3 + 1/9, P(c) = 1/9
    m = KneserNey("aab", 1, vocab="abc", discount=0.5)
    np.testing.assert_allclose(m.distribution(), [1.5 / 3 + 1 / 9, 0.5 / 3 + 1 / 9, 1 / 9])
    assert m.prob("c", "ab") == pytest.approx(1 / 9)  # the context is ignored


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_probabilities_sum_to_one_for_every_context(n):
    m = KneserNey(TEXT, n)
    contexts = {TEXT[max(0, i - n + 1):i] for i in range(len(TEXT) + 1)}
    contexts |= {"", "zzzz"[: n - 1] if "z" in m.vocab else "q", "!!!!"[: n - 1]}
    contexts = {c for c in contexts if set(c) <= set(m.vocab)}
    for ctx in contexts:
        p = m.distribution(ctx)
        assert p.shape == (len(m.vocab),)
        assert np.all(p > 0), ctx
        assert p.sum() == pytest.approx(1.0, abs=1e-12), ctx
        for ch in m.vocab[:5]:
            assert m.prob(ch, ctx) == pytest.approx(p[m.index[ch]], abs=1e-15)


def test_every_possible_context_of_a_small_alphabet_sums_to_one():
    import itertools

    m = KneserNey("abcabcaabbcc" * 2, 3, vocab="abcd")
    for k in range(3):
        for ctx in itertools.product("abcd", repeat=k):
            assert m.distribution("".join(ctx)).sum() == pytest.approx(1.0, abs=1e-12)


def test_bits_per_char_is_the_mean_negative_log2():
    m = KneserNey(TEXT, 3)
    text = "the rat sat"
    manual = -np.mean([math.log2(m.prob(ch, text[max(0, i - 2):i])) for i, ch in enumerate(text)])
    assert m.bits_per_char(text) == pytest.approx(manual)
    # higher orders fit their own training text better
    assert KneserNey(TEXT, 4).bits_per_char(TEXT) < KneserNey(TEXT, 2).bits_per_char(TEXT)


def test_ney_discounts_lie_in_zero_one():
    m = KneserNey(TEXT, 4)
    assert len(m.discounts) == 4 and all(0 < d <= 1 for d in m.discounts)
    assert "KneserNey(n=4" in repr(m)


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="n must be"):
        KneserNey(TEXT, 0)
    with pytest.raises(ValueError, match="non-empty"):
        KneserNey("", 2)
    with pytest.raises(ValueError, match="vocab misses"):
        KneserNey("abc", 2, vocab="ab")
    with pytest.raises(ValueError, match="discount"):
        KneserNey("abc", 2, discount=1.5)
    with pytest.raises(ValueError, match="discount"):
        KneserNey("abc", 2, discount=(0.5,))
    m = KneserNey("abc", 2)
    with pytest.raises(ValueError, match="one character"):
        m.prob("ab", "a")
    with pytest.raises(ValueError, match="one character"):
        m.prob("z", "a")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        m.distribution("z")
    with pytest.raises(ValueError, match="must be a str"):
        m.distribution(3)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        m.bits_per_char("abz")
    with pytest.raises(ValueError, match="non-empty"):
        m.bits_per_char("")
