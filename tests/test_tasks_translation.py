"""Tests of the generated parallel corpus in lstm_helpers.tasks.translation."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers.tasks import translation as tr
from lstm_helpers.tasks.translation import (
    BOS,
    EOS,
    PAD,
    decode_translation,
    n_sentences,
    source_vocabulary,
    target_vocabulary,
    translation_pairs,
    translation_split,
)

SRC, TGT = source_vocabulary(), target_vocabulary()


def test_docstring_examples_run():
    result = doctest.testmod(tr, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 10


def test_vocabularies_start_with_the_special_tokens_and_hold_every_word_once():
    for vocab in (SRC, TGT):
        assert vocab[PAD] == "<pad>" and vocab[BOS] == "<bos>" and vocab[EOS] == "<eos>"
        assert len(set(vocab)) == len(vocab)
    words_en = {n[0] for n in tr.NOUNS} | {t[0] for t in tr.THINGS} | {a[0] for a in tr.ADVERBS}
    assert words_en <= set(SRC)
    words_cs = {w for n in tr.NOUNS for w in n[1:3]} | {w for p in tr.PAST for w in p[1:]}
    words_cs |= {w for a in tr.ADJECTIVES for w in a[1:]} | set(tr.RELATIVE[1:]) | set(tr.AUX[1:])
    assert words_cs <= set(TGT)
    assert len(SRC) == 43 and len(TGT) == 65


def test_the_gendered_forms_follow_the_documented_rule():
    for _, m, f in tr.PAST:
        assert f == m + "a" or f == m[:-2] + "la"
    for _, m, f in tr.ADJECTIVES + (tr.RELATIVE,):
        assert m.endswith("ý") and f == m[:-1] + "á"
    assert tr.AUX[2] == tr.AUX[1] + "a"
    assert {n[3] for n in tr.NOUNS} == {0, 1}


def test_shapes_and_dtypes():
    data = translation_pairs(7, np.random.default_rng(0), gaps=(0, 3))
    assert data._fields == ("src", "src_lengths", "tgt", "tgt_lengths", "distance", "other", "gender", "gap")
    n = 7
    assert data.src.ndim == 2 and data.src.shape[0] == n
    assert data.tgt.shape == data.distance.shape == data.other.shape and data.tgt.shape[0] == n
    for field in ("src_lengths", "tgt_lengths", "gender", "gap"):
        assert getattr(data, field).shape == (n,)
    for a in data:
        assert a.dtype == np.int64
    assert data.src.shape[1] == data.src_lengths.max() and data.tgt.shape[1] == data.tgt_lengths.max()


def test_same_generator_state_gives_the_same_sentences():
    a = translation_pairs(20, np.random.default_rng(5))
    b = translation_pairs(20, np.random.default_rng(5))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), gaps=st.lists(st.integers(0, 12), min_size=1, max_size=4),
       p_person=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_every_sentence_follows_the_template_and_agrees(n, gaps, p_person, seed):
    data = translation_pairs(n, np.random.default_rng(seed), gaps=gaps, p_person=p_person)
    nouns_en = {n_[0]: n_ for n_ in tr.NOUNS}
    for i in range(n):
        m, g = int(data.gap[i]), int(data.gender[i])
        assert m in gaps
        en = [SRC[t] for t in data.src[i, :data.src_lengths[i]]]
        cs = [TGT[t] for t in data.tgt[i, :data.tgt_lengths[i]]]
        # padding after the end, EOS last in the target, none in the source
        assert np.all(data.src[i, data.src_lengths[i]:] == PAD) and np.all(data.tgt[i, data.tgt_lengths[i]:] == PAD)
        assert cs[-1] == "<eos>" and "<eos>" not in en and "<bos>" not in cs
        # the template: lengths and fixed words
        person = en[4] == "the"
        assert len(en) == 10 + m + person and len(cs) == 12 + m
        assert en[0] == "the" and en[2] == "who" and en[-4:-2] == ["and", "was"] and en[-1] == "."
        assert cs[1] == "," and cs[5 + m] == "," and cs[7 + m] == "a" and cs[-2] == "."
        # the subject and its gender
        noun = nouns_en[en[1]]
        assert cs[0] == noun[1] and noun[3] == g
        # the words that agree: where the distance says, in the subject's gender, the other form beside them
        positions = np.flatnonzero(data.distance[i] >= 0).tolist()
        assert positions == [2, 6 + m, 8 + m, 9 + m]
        np.testing.assert_array_equal(data.distance[i, positions], positions)
        assert np.all(data.other[i, data.distance[i] < 0] == -1)
        assert cs[2] == tr.RELATIVE[1 + g] and cs[8 + m] == tr.AUX[1 + g]
        assert cs[6 + m] in {p[1 + g] for p in tr.PAST} and cs[9 + m] in {a[1 + g] for a in tr.ADJECTIVES}
        for t in positions:
            word, other = cs[t], TGT[data.other[i, t]]
            pairs = [(p[1], p[2]) for p in tr.PAST + tr.ADJECTIVES] + [tr.RELATIVE[1:], tr.AUX[1:]]
            assert (word, other) in [pair if g == 0 else pair[::-1] for pair in pairs]
        # the adverbs are translated one for one
        adverbs = dict(tr.ADVERBS)
        assert [adverbs[w] for w in en[5 + person:5 + person + m]] == cs[5:5 + m]


def test_objects_are_persons_with_probability_p_person():
    def persons(p):
        data = translation_pairs(400, np.random.default_rng(1), gaps=0, p_person=p)
        return np.mean(data.src_lengths == 11)

    assert persons(0.0) == 0.0 and persons(1.0) == 1.0 and 0.4 < persons(0.5) < 0.6


def test_both_genders_and_every_gap_occur():
    data = translation_pairs(500, np.random.default_rng(2), gaps=range(0, 5))
    assert set(data.gender.tolist()) == {0, 1} and set(data.gap.tolist()) == set(range(5))
    assert 0.4 < data.gender.mean() < 0.6


def test_n_sentences_counts_the_choices():
    base = 8 * 3 * 12 * 6 * 6
    assert n_sentences(0) == base and n_sentences(2) == base * 64 and n_sentences([0, 1, 1]) == base * 9
    # with gap 0 and a tiny space, drawing many sentences finds at most that many
    data = translation_pairs(3000, np.random.default_rng(0), gaps=0)
    assert len({tuple(s) for s in data.src}) <= base


def test_split_is_disjoint_sized_and_seeded():
    train, test = translation_split(500, 100, np.random.default_rng(3), gaps=range(0, 3))
    assert len(train.src) == 500 and len(test.src) == 100

    def keys(d):
        return [tuple(s[:k]) for s, k in zip(d.src, d.src_lengths)]

    assert len(set(keys(train))) == 500 and len(set(keys(test))) == 100
    assert not set(keys(train)) & set(keys(test))
    again = translation_split(500, 100, np.random.default_rng(3), gaps=range(0, 3))
    for x, y in zip(train + test, again[0] + again[1]):
        np.testing.assert_array_equal(x, y)
    # padding is trimmed to each set's longest sentence
    assert train.src.shape[1] == train.src_lengths.max() and test.tgt.shape[1] == test.tgt_lengths.max()


def test_split_with_longer_test_gaps():
    train, test = translation_split(200, 50, np.random.default_rng(4), gaps=range(0, 3), test_gaps=[10, 11])
    assert set(train.gap.tolist()) <= {0, 1, 2} and set(test.gap.tolist()) <= {10, 11}
    assert test.distance.max() in (19, 20)


def test_split_near_the_size_of_the_space_still_ends():
    total = n_sentences(0)
    train, test = translation_split(total - 100, 100, np.random.default_rng(0), gaps=0, p_person=0.5)
    assert len({tuple(s[:k]) for s, k in zip(train.src, train.src_lengths)}) == total - 100


def test_decode_stops_at_eos_and_skips_padding():
    data = translation_pairs(3, np.random.default_rng(0), gaps=1)
    sentence = decode_translation(data.tgt[0])
    assert sentence.endswith(".") and "<" not in sentence
    assert decode_translation(np.array([BOS, PAD, EOS, 5])) == ""
    assert decode_translation([], "en") == ""


@pytest.mark.parametrize("call, match", [
    (lambda: translation_pairs(0, np.random.default_rng(0)), "n must be"),
    (lambda: translation_pairs(2.5, np.random.default_rng(0)), "n must be"),
    (lambda: translation_pairs(2, np.random.default_rng(0), gaps=-1), "gaps"),
    (lambda: translation_pairs(2, np.random.default_rng(0), gaps=[]), "gaps"),
    (lambda: translation_pairs(2, np.random.default_rng(0), gaps=[1, "a"]), "gaps"),
    (lambda: translation_pairs(2, np.random.default_rng(0), gaps=None), "gaps"),
    (lambda: translation_pairs(2, np.random.default_rng(0), gaps=True), "gaps"),
    (lambda: translation_pairs(2, np.random.default_rng(0), p_person=1.5), "p_person"),
    (lambda: translation_pairs(2, 0), "numpy.random.Generator"),
    (lambda: translation_split(0, 5, np.random.default_rng(0)), "n_train"),
    (lambda: translation_split(5, 0, np.random.default_rng(0)), "n_test"),
    (lambda: translation_split(n_sentences(0), 1, np.random.default_rng(0), gaps=0), "exceeds"),
    (lambda: translation_split(5, 5, np.random.default_rng(0), p_person=-0.1), "p_person"),
    (lambda: n_sentences(-2), "gaps"),
    (lambda: decode_translation([1, 2], "de"), "language"),
    (lambda: decode_translation([[1, 2]]), r"shape \(T,\)"),
    (lambda: decode_translation([1.0, 2.0]), "integer"),
    (lambda: decode_translation([1, len(TGT)]), "lie in"),
    (lambda: decode_translation([-1]), "lie in"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
