"""Subject-verb agreement over a gap: "My dog, whom I adopted in 2009, chases squirrels".

A toy version of the number-agreement task of Linzen, Dupoux & Goldberg
(2016): the first word of a sequence is a noun in the singular or the plural,
``m`` distractor words follow, and at the end the network must say whether
the verb takes the singular form ("chases") or the plural form ("chase"). The
evidence for the answer lies ``m + 1`` steps before the step at which the
answer is asked for.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_rng
from .batch import TokenSequences

__all__ = [
    "NOUNS",
    "FILLERS",
    "VERB",
    "VERB_FORMS",
    "agreement",
    "agreement_vocabulary",
    "decode_agreement",
]

#: Noun lemmas as (singular, plural); the first ``n_nouns`` are used.
NOUNS = (
    ("dog", "dogs"),
    ("cat", "cats"),
    ("bird", "birds"),
    ("fox", "foxes"),
    ("child", "children"),
    ("teacher", "teachers"),
    ("horse", "horses"),
    ("neighbour", "neighbours"),
)

#: Filler words (no number of their own); the first ``n_fillers`` are used.
FILLERS = (
    "whom", "I", "adopted", "in", "2009", "that", "we", "saw",
    "near", "the", "old", "yesterday", "with", "very", "often", "and",
)

#: The last token of every sequence: the place where the verb goes.
VERB = "<verb>"

#: The verb form for each label: ``VERB_FORMS[y]``.
VERB_FORMS = ("chases", "chase")


def _check_sizes(n_nouns, n_fillers):
    valid_nouns = range(1, len(NOUNS) + 1)
    valid_fillers = range(1, len(FILLERS) + 1)
    if isinstance(n_nouns, bool) or not isinstance(n_nouns, (int, np.integer)) or n_nouns not in valid_nouns:
        raise ValueError(f"n_nouns must be one of 1, 2, ..., {len(NOUNS)}; got {n_nouns!r}")
    if isinstance(n_fillers, bool) or not isinstance(n_fillers, (int, np.integer)) or n_fillers not in valid_fillers:
        raise ValueError(f"n_fillers must be one of 1, 2, ..., {len(FILLERS)}; got {n_fillers!r}")
    return int(n_nouns), int(n_fillers)


def agreement_vocabulary(n_nouns=4, n_fillers=8):
    """The words of :func:`agreement`, in the order of their token ids.

    Ids ``0 ... n_nouns - 1`` are singular nouns, ``n_nouns ... 2 n_nouns - 1``
    the plurals of the same nouns in the same order, then ``n_fillers``
    filler words, and last the verb slot :data:`VERB`.

    Parameters
    ----------
    n_nouns : int
        Number of noun lemmas, one of ``1 ... 8``.
    n_fillers : int
        Number of filler words, one of ``1 ... 16``.

    Returns
    -------
    tuple of str, length V = 2 n_nouns + n_fillers + 1

    Raises
    ------
    ValueError
        If ``n_nouns`` or ``n_fillers`` is not one of its valid values (the
        message lists them).

    Examples
    --------
    >>> agreement_vocabulary(2, 3)
    ('dog', 'cat', 'dogs', 'cats', 'whom', 'I', 'adopted', '<verb>')
    """
    n_nouns, n_fillers = _check_sizes(n_nouns, n_fillers)
    singular = tuple(s for s, _ in NOUNS[:n_nouns])
    plural = tuple(p for _, p in NOUNS[:n_nouns])
    return singular + plural + FILLERS[:n_fillers] + (VERB,)


def agreement(n, m, rng, p_noun=0.25, n_nouns=4, n_fillers=8):
    """Many-to-one task: the number of the verb, decided by a noun ``m + 1`` steps back.

    Each of the ``n`` sequences has ``m + 2`` tokens:

    1. step 1: the *subject*, a noun drawn uniformly from the ``n_nouns``
       lemmas, in the singular or the plural with probability 1/2 each;
    2. steps 2 ... m + 1: ``m`` distractors, drawn independently: with
       probability ``p_noun`` a noun (uniform lemma, singular or plural with
       probability 1/2, independent of the subject; about half of these are
       *attractors*, nouns whose number differs from the subject's), otherwise a
       filler word drawn uniformly from the ``n_fillers`` fillers;
    3. step m + 2: the verb slot :data:`VERB`.

    The label is the number of the subject: 0 for a singular subject (the
    verb must be "chases"), 1 for a plural one ("chase"). Nothing after step 1
    carries information about the label, so a network that answers at the
    verb slot must carry the subject's number across ``m + 1`` steps; the
    most recent noun is right only half of the time. Guessing gives an
    accuracy of 1/2.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    m : int
        Number of distractors between the subject and the verb slot, at
        least 0.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    p_noun : float
        Probability that a distractor is a noun, in [0, 1].
    n_nouns : int
        Number of noun lemmas, one of ``1 ... 8``.
    n_fillers : int
        Number of filler words, one of ``1 ... 16``.

    Returns
    -------
    TokenSequences
        The named tuple ``(x, y, tokens)``
        (:class:`~lstm_helpers.tasks.batch.TokenSequences`); unpack it as
        ``x, y, tokens = agreement(...)`` or read the fields by name.
    x : ndarray of float64, shape (n, m + 2, V)
        One-hot inputs, ``V = 2 n_nouns + n_fillers + 1``:
        ``x[i, t, v] = 1`` when sequence ``i`` shows token ``v`` at step
        ``t + 1``.
    y : ndarray of int64, shape (n,)
        Labels: 0 (singular subject) or 1 (plural subject).
    tokens : ndarray of int64, shape (n, m + 2)
        Token ids, ``tokens = x.argmax(axis=2)``; the words are
        ``agreement_vocabulary(n_nouns, n_fillers)[id]`` (see
        :func:`decode_agreement`).

    Raises
    ------
    ValueError
        If ``n`` or ``m`` is not an integer of the allowed size, ``p_noun``
        is not in [0, 1], ``n_nouns`` or ``n_fillers`` is not one of its valid
        values, or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, tokens = agreement(3, 4, np.random.default_rng(0))
    >>> x.shape, y.shape, tokens.shape
    ((3, 6, 17), (3,), (3, 6))
    >>> bool(np.all(y == tokens[:, 0] // 4))  # plural nouns have ids 4 ... 7
    True
    >>> agreement(3, 4, np.random.default_rng(0))._fields
    ('x', 'y', 'tokens')
    """
    n = check_int("n", n, 1)
    m = check_int("m", m, 0)
    if isinstance(p_noun, bool) or not isinstance(p_noun, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(p_noun) <= 1.0:
        raise ValueError(f"p_noun must be a probability in [0, 1], got {p_noun!r}")
    n_nouns, n_fillers = _check_sizes(n_nouns, n_fillers)
    check_rng(rng)
    V = 2 * n_nouns + n_fillers + 1
    y = rng.integers(0, 2, size=n).astype(np.int64)
    subject = y * n_nouns + rng.integers(0, n_nouns, size=n)
    is_noun = rng.random(size=(n, m)) < p_noun
    nouns = rng.integers(0, 2 * n_nouns, size=(n, m))  # lemma and number, both uniform
    fillers = 2 * n_nouns + rng.integers(0, n_fillers, size=(n, m))
    middle = np.where(is_noun, nouns, fillers)
    tokens = np.concatenate([subject[:, None], middle, np.full((n, 1), V - 1)], axis=1).astype(np.int64)
    x = np.eye(V)[tokens]
    return TokenSequences(x, y, tokens)


def decode_agreement(tokens, n_nouns=4, n_fillers=8):
    """Turn the token ids of one sequence of :func:`agreement` into words.

    Parameters
    ----------
    tokens : array-like of int, shape (T,)
        One row of the ``tokens`` returned by :func:`agreement`.
    n_nouns, n_fillers : int
        The values given to :func:`agreement`.

    Returns
    -------
    str
        The words separated by spaces.

    Raises
    ------
    ValueError
        If ``tokens`` is not one-dimensional or holds an id outside
        ``0 ... V - 1``, or ``n_nouns``/``n_fillers`` is invalid.

    Examples
    --------
    >>> decode_agreement([0, 8, 5, 16])
    'dog whom cats <verb>'
    """
    vocab = agreement_vocabulary(n_nouns, n_fillers)
    ids = np.asarray(tokens)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"tokens must be integer ids of shape (T,), got dtype {ids.dtype} and shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
        raise ValueError(f"token ids must lie in 0 ... {len(vocab) - 1} (V = {len(vocab)}), got {ids.min()} ... {ids.max()}")
    return " ".join(vocab[i] for i in ids)
