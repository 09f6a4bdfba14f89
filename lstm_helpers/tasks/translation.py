"""A generated parallel corpus with grammatical gender: "I am a boy" -> "Jsem kluk", "a girl" -> "holka".

English has no grammatical gender on adjectives, relative pronouns or verbs;
Czech has. Changing "boy" into "girl" in "the boy who sees the books ...
slept and was happy" changes three more words of the Czech translation: the
relative pronoun (*který* -> *která*), the past-tense verb (*spal* ->
*spala*), the auxiliary (*byl* -> *byla*) and the adjective (*šťastný* ->
*šťastná*). A translation model must carry the subject's gender from the
subject to each of these words; :func:`translation_pairs` puts a controlled
number ``m`` of adverbs (the *gap*) between them.

The sentences
-------------
Every sentence has one template, in English (the source) and in a small,
regular Czech-like target language (real Czech words, simplified grammar)::

    English:  the NOUN who VERB OBJECT ADV_1 ... ADV_m PAST and was ADJ .
    Czech:    NOUN , REL VERB OBJECT ADV_1 ... ADV_m , PAST a AUX ADJ .

``OBJECT`` is a thing (*books* -> *knihy*) or, with probability
``p_person``, one of the persons in the accusative (*the girl* -> *holku*):
a noun that may have the other gender (an *attractor*) stands between the
subject and the words that agree with it. The target words that agree with
the subject's gender, and their distance to the subject in target tokens
(the subject is target token 0):

======================  ==========================  =========
word                    masculine / feminine        distance
======================  ==========================  =========
REL (relative pronoun)  *který* / *která*           2
PAST (past-tense verb)  *spal* / *spala*, ...       6 + m
AUX (*was*)             *byl* / *byla*              8 + m
ADJ (adjective)         *šťastný* / *šťastná*, ...  9 + m
======================  ==========================  =========

The words (English -> Czech; ``m``/``f``: the gender of a noun, or the two
forms of a word that agrees):

============  ===========================================================
class         words
============  ===========================================================
NOUN          boy -> kluk (m), girl -> holka (f), man -> muž (m),
              woman -> žena (f), brother -> bratr (m), sister -> sestra (f),
              father -> otec (m), mother -> matka (f)
OBJECT        the same persons in the accusative: kluka, holku, muže,
              ženu, bratra, sestru, otce, matku; things: books -> knihy,
              songs -> písně, films -> filmy, letters -> dopisy
VERB          sees -> vidí, knows -> zná, loves -> miluje (no agreement)
ADV           often -> často, always -> vždy, again -> znovu, here -> tady,
              there -> tam, today -> dnes, quietly -> tiše, slowly -> pomalu
PAST          slept -> spal / spala, sang -> zpíval / zpívala,
              danced -> tančil / tančila, waited -> čekal / čekala,
              worked -> pracoval / pracovala, cried -> plakal / plakala
ADJ           happy -> šťastný / šťastná, tired -> unavený / unavená,
              hungry -> hladový / hladová, proud -> hrdý / hrdá,
              calm -> klidný / klidná, sick -> nemocný / nemocná
other         who -> který / která, was -> byl / byla, and -> a;
              the -> (nothing), "," (Czech only), "."
============  ===========================================================

The rule is regular: a feminine past tense adds *-a* to the masculine one; a
feminine adjective or relative pronoun ends in *-á* where the masculine ends
in *-ý*.

Token ids
---------
Both vocabularies (:func:`source_vocabulary`, :func:`target_vocabulary`)
start with the special tokens :data:`PAD` = 0 (padding), :data:`BOS` = 1
(start of a target sentence, fed to a decoder first) and :data:`EOS` = 2
(end of sentence, the last target token), then list the words in the order
of the tables above.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import check_int, check_rng

__all__ = [
    "PAD",
    "BOS",
    "EOS",
    "SPECIALS",
    "GENDERS",
    "NOUNS",
    "THINGS",
    "VERBS",
    "ADVERBS",
    "PAST",
    "ADJECTIVES",
    "RELATIVE",
    "AUX",
    "AGREEMENT_KINDS",
    "ParallelSentences",
    "source_vocabulary",
    "target_vocabulary",
    "n_sentences",
    "translation_pairs",
    "translation_split",
    "decode_translation",
]

#: Padding, start and end of sentence: token ids 0, 1, 2 of both vocabularies.
PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")

#: The two grammatical genders; ``gender`` arrays hold 0 (masculine) or 1 (feminine).
GENDERS = ("masculine", "feminine")

#: Persons: (English, Czech nominative, Czech accusative, gender 0 = m / 1 = f).
NOUNS = (
    ("boy", "kluk", "kluka", 0),
    ("girl", "holka", "holku", 1),
    ("man", "muž", "muže", 0),
    ("woman", "žena", "ženu", 1),
    ("brother", "bratr", "bratra", 0),
    ("sister", "sestra", "sestru", 1),
    ("father", "otec", "otce", 0),
    ("mother", "matka", "matku", 1),
)
#: Objects that are things: (English, Czech).
THINGS = (("books", "knihy"), ("songs", "písně"), ("films", "filmy"), ("letters", "dopisy"))
#: Verbs of the relative clause (no agreement): (English, Czech).
VERBS = (("sees", "vidí"), ("knows", "zná"), ("loves", "miluje"))
#: The adverbs that fill the gap: (English, Czech).
ADVERBS = (("often", "často"), ("always", "vždy"), ("again", "znovu"), ("here", "tady"), ("there", "tam"),
           ("today", "dnes"), ("quietly", "tiše"), ("slowly", "pomalu"))
#: Past-tense verbs of the main clause: (English, Czech masculine, Czech feminine).
PAST = (("slept", "spal", "spala"), ("sang", "zpíval", "zpívala"), ("danced", "tančil", "tančila"),
        ("waited", "čekal", "čekala"), ("worked", "pracoval", "pracovala"), ("cried", "plakal", "plakala"))
#: Predicative adjectives: (English, Czech masculine, Czech feminine).
ADJECTIVES = (("happy", "šťastný", "šťastná"), ("tired", "unavený", "unavená"), ("hungry", "hladový", "hladová"),
              ("proud", "hrdý", "hrdá"), ("calm", "klidný", "klidná"), ("sick", "nemocný", "nemocná"))
#: The relative pronoun: (English, Czech masculine, Czech feminine).
RELATIVE = ("who", "který", "která")
#: The auxiliary of the predicate: (English, Czech masculine, Czech feminine).
AUX = ("was", "byl", "byla")
#: The kinds of target words that agree with the subject, in sentence order.
AGREEMENT_KINDS = ("rel", "past", "aux", "adj")


class ParallelSentences(NamedTuple):
    """English sentences, their Czech-like translations and where the gender matters.

    Fields
    ------
    src : ndarray of int64, shape (n, S)
        English token ids (:func:`source_vocabulary`), padded with :data:`PAD`.
    src_lengths : ndarray of int64, shape (n,)
        Tokens of each English sentence (without padding).
    tgt : ndarray of int64, shape (n, L)
        Target token ids (:func:`target_vocabulary`), each sentence ending with
        :data:`EOS`, then padded with :data:`PAD`. A decoder is fed
        ``[BOS] + tgt[:, :-1]`` and trained to output ``tgt``.
    tgt_lengths : ndarray of int64, shape (n,)
        Target tokens of each sentence, :data:`EOS` included.
    distance : ndarray of int64, shape (n, L)
        For each target token that must agree with the subject's gender, its
        distance to the subject in target tokens (the subject is token 0);
        -1 for every other token.
    other : ndarray of int64, shape (n, L)
        At each token that must agree, the id of the same word in the other
        gender (*která* for *který*); -1 at every other token.
    gender : ndarray of int64, shape (n,)
        The subject's gender: 0 masculine, 1 feminine.
    gap : ndarray of int64, shape (n,)
        The number ``m`` of adverbs between the object and the main verb.
    """

    src: np.ndarray
    src_lengths: np.ndarray
    tgt: np.ndarray
    tgt_lengths: np.ndarray
    distance: np.ndarray
    other: np.ndarray
    gender: np.ndarray
    gap: np.ndarray


def source_vocabulary():
    """The English words, in the order of their token ids (3 special tokens first).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> vocab = source_vocabulary()
    >>> vocab[:6], len(vocab)
    (('<pad>', '<bos>', '<eos>', 'the', 'who', 'and'), 43)
    """
    words = ["the", RELATIVE[0], "and", AUX[0], "."]
    words += [n[0] for n in NOUNS] + [t[0] for t in THINGS] + [v[0] for v in VERBS]
    words += [a[0] for a in ADVERBS] + [p[0] for p in PAST] + [a[0] for a in ADJECTIVES]
    return SPECIALS + tuple(words)


def target_vocabulary():
    """The Czech-like words, in the order of their token ids (3 special tokens first).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> vocab = target_vocabulary()
    >>> vocab[:9], len(vocab)
    (('<pad>', '<bos>', '<eos>', ',', '.', 'a', 'který', 'která', 'byl'), 65)
    """
    words = [",", ".", "a", RELATIVE[1], RELATIVE[2], AUX[1], AUX[2]]
    words += [n[1] for n in NOUNS] + [n[2] for n in NOUNS] + [t[1] for t in THINGS] + [v[1] for v in VERBS]
    words += [a[1] for a in ADVERBS]
    words += [w for p in PAST for w in p[1:]] + [w for a in ADJECTIVES for w in a[1:]]
    return SPECIALS + tuple(words)


def _ids(vocab):
    return {w: i for i, w in enumerate(vocab)}


def _check_gaps(gaps):
    if isinstance(gaps, (int, np.integer)) and not isinstance(gaps, bool):
        gaps = (gaps,)
    try:
        gaps = tuple(gaps)
    except TypeError:
        raise ValueError(f"gaps must be a non-negative integer or a sequence of them, got {gaps!r}") from None
    if not gaps or any(isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 0 for g in gaps):
        raise ValueError(f"gaps must be a non-negative integer or a non-empty sequence of them, got {gaps!r}")
    return tuple(sorted({int(g) for g in gaps}))


def _check_probability(name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def n_sentences(gaps=range(0, 9)):
    """The number of different sentence pairs :func:`translation_pairs` can draw with these gaps.

    Parameters
    ----------
    gaps : int or sequence of int
        Allowed numbers of adverbs between the object and the main verb.

    Returns
    -------
    int

    Examples
    --------
    >>> n_sentences(0)  # 8 subjects x 3 verbs x 12 objects x 6 verbs x 6 adjectives
    10368
    >>> n_sentences([0, 1]) == 10368 * (1 + 8)
    True
    """
    gaps = _check_gaps(gaps)
    base = len(NOUNS) * len(VERBS) * (len(NOUNS) + len(THINGS)) * len(PAST) * len(ADJECTIVES)
    return sum(base * len(ADVERBS) ** m for m in gaps)


def translation_pairs(n, rng, gaps=range(0, 9), p_person=0.5):
    """``n`` English sentences and their Czech-like translations, with the gender agreement marked.

    Each sentence draws, independently and uniformly: its gap ``m`` from
    ``gaps``, the subject from :data:`NOUNS`, the verb of the relative clause
    from :data:`VERBS`, the object (a person of :data:`NOUNS` with
    probability ``p_person``, else a thing of :data:`THINGS`), ``m`` adverbs
    of :data:`ADVERBS` (with repetition), the past-tense verb of
    :data:`PAST` and the adjective of :data:`ADJECTIVES`; see the module
    docstring for the template.

    Parameters
    ----------
    n : int
        Number of sentences, at least 1.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    gaps : int or sequence of int
        Allowed numbers of adverbs ``m`` (each a non-negative integer).
    p_person : float
        Probability that the object is a person (who may have the other gender).

    Returns
    -------
    ParallelSentences
        The named tuple ``(src, src_lengths, tgt, tgt_lengths, distance,
        other, gender, gap)``; shapes ``src (n, S)``, ``tgt``, ``distance``
        and ``other`` ``(n, L)`` with ``S`` and ``L`` the longest English and target
        sentence, every other field ``(n,)``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, ``gaps`` is not a non-negative
        integer or a non-empty sequence of them, ``p_person`` is not in
        [0, 1] or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> data = translation_pairs(2, np.random.default_rng(0), gaps=1)
    >>> data.src.shape, data.tgt.shape
    ((2, 12), (2, 13))
    >>> decode_translation(data.src[0], "en")
    'the father who knows the girl today waited and was sick .'
    >>> decode_translation(data.tgt[0], "cs")
    'otec , který zná holku dnes , čekal a byl nemocný .'
    >>> data.distance[0].tolist()
    [-1, -1, 2, -1, -1, -1, -1, 7, -1, 9, 10, -1, -1]
    >>> decode_translation(data.other[0][data.other[0] >= 0])  # the wrong-gender forms
    'která čekala byla nemocná'

    """
    n = check_int("n", n, 1)
    gaps = _check_gaps(gaps)
    p_person = _check_probability("p_person", p_person)
    check_rng(rng)
    s_id, t_id = _ids(source_vocabulary()), _ids(target_vocabulary())
    gap = np.asarray(gaps, dtype=np.int64)[rng.integers(0, len(gaps), size=n)]
    subject = rng.integers(0, len(NOUNS), size=n)
    verb = rng.integers(0, len(VERBS), size=n)
    person = rng.random(size=n) < p_person
    obj_person = rng.integers(0, len(NOUNS), size=n)
    obj_thing = rng.integers(0, len(THINGS), size=n)
    past = rng.integers(0, len(PAST), size=n)
    adj = rng.integers(0, len(ADJECTIVES), size=n)
    adverbs = rng.integers(0, len(ADVERBS), size=(n, max(gaps)))
    gender = np.array([NOUNS[s][3] for s in subject], dtype=np.int64)
    sources, targets, distances, others = [], [], [], []
    for i in range(n):
        g, m = int(gender[i]), int(gap[i])
        noun = NOUNS[subject[i]]
        if person[i]:
            obj_en, obj_cs = ["the", NOUNS[obj_person[i]][0]], NOUNS[obj_person[i]][2]
        else:
            obj_en, obj_cs = [THINGS[obj_thing[i]][0]], THINGS[obj_thing[i]][1]
        advs = [ADVERBS[a] for a in adverbs[i, :m]]
        en = (["the", noun[0], RELATIVE[0], VERBS[verb[i]][0], *obj_en, *(a[0] for a in advs),
               PAST[past[i]][0], "and", AUX[0], ADJECTIVES[adj[i]][0], "."])
        cs = ([noun[1], ",", RELATIVE[1 + g], VERBS[verb[i]][1], obj_cs, *(a[1] for a in advs), ",",
               PAST[past[i]][1 + g], "a", AUX[1 + g], ADJECTIVES[adj[i]][1 + g], "."])
        flipped = {2: RELATIVE[2 - g], 6 + m: PAST[past[i]][2 - g], 8 + m: AUX[2 - g],
                   9 + m: ADJECTIVES[adj[i]][2 - g]}
        sources.append([s_id[w] for w in en])
        targets.append([t_id[w] for w in cs] + [EOS])
        distances.append([d if d in flipped else -1 for d in range(len(cs) + 1)])
        others.append([t_id[flipped[d]] if d in flipped else -1 for d in range(len(cs) + 1)])
    src_lengths = np.array([len(s) for s in sources], dtype=np.int64)
    tgt_lengths = np.array([len(t) for t in targets], dtype=np.int64)
    src = np.full((n, src_lengths.max()), PAD, dtype=np.int64)
    tgt = np.full((n, tgt_lengths.max()), PAD, dtype=np.int64)
    distance = np.full(tgt.shape, -1, dtype=np.int64)
    other = np.full(tgt.shape, -1, dtype=np.int64)
    for i in range(n):
        src[i, :src_lengths[i]] = sources[i]
        tgt[i, :tgt_lengths[i]] = targets[i]
        distance[i, :tgt_lengths[i]] = distances[i]
        other[i, :tgt_lengths[i]] = others[i]
    return ParallelSentences(src, src_lengths, tgt, tgt_lengths, distance, other, gender, gap)


def _take(data, rows):
    src_len, tgt_len = int(data.src_lengths[rows].max()), int(data.tgt_lengths[rows].max())
    return ParallelSentences(data.src[rows, :src_len], data.src_lengths[rows], data.tgt[rows, :tgt_len],
                             data.tgt_lengths[rows], data.distance[rows, :tgt_len], data.other[rows, :tgt_len],
                             data.gender[rows],
                             data.gap[rows])


def translation_split(n_train, n_test, rng, gaps=range(0, 9), p_person=0.5, test_gaps=None):
    """A training and a test set of :func:`translation_pairs` with no sentence in both.

    Sentences are drawn as by :func:`translation_pairs` (the test set
    first); a sentence drawn a second time is dropped, so every English
    sentence occurs at most once in the two sets together (and its
    translation is determined by it).

    Parameters
    ----------
    n_train, n_test : int
        Sizes of the two sets, each at least 1.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    gaps, p_person
        As for :func:`translation_pairs`.
    test_gaps : int or sequence of int, optional
        The gaps of the test set instead of ``gaps`` (e.g. longer ones, to
        test distances never seen in training).

    Returns
    -------
    (ParallelSentences, ParallelSentences)
        The training set and the test set.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``n_train + n_test`` exceeds
        :func:`n_sentences` of ``gaps``, or an argument of
        :func:`translation_pairs` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> train, test = translation_split(100, 20, np.random.default_rng(0), gaps=range(3))
    >>> len(train.src), len(test.src)
    (100, 20)
    >>> seen = {tuple(s[:k]) for s, k in zip(train.src, train.src_lengths)}
    >>> any(tuple(s[:k]) in seen for s, k in zip(test.src, test.src_lengths))
    False
    """
    n_train = check_int("n_train", n_train, 1)
    n_test = check_int("n_test", n_test, 1)
    gaps = _check_gaps(gaps)
    test_gaps = gaps if test_gaps is None else _check_gaps(test_gaps)
    _check_probability("p_person", p_person)
    check_rng(rng)
    total = n_sentences(gaps)
    if n_train + n_test > total or n_test > n_sentences(test_gaps):
        raise ValueError(f"n_train + n_test = {n_train + n_test} exceeds the {total} different sentences "
                         f"with gaps {gaps} (or n_test the {n_sentences(test_gaps)} with test gaps "
                         f"{test_gaps}); allow longer gaps or ask for fewer sentences")
    seen = set()
    test = _draw_unique(n_test, rng, test_gaps, p_person, seen)
    train = _draw_unique(n_train, rng, gaps, p_person, seen)
    return train, test


def _draw_unique(need, rng, gaps, p_person, seen):
    """``need`` sentences whose English side is not in ``seen`` (which they are added to)."""
    chunks, kept = [], 0
    while kept < need:
        batch = translation_pairs(max(need - kept, 64) * 2, rng, gaps, p_person)
        rows = []
        for i, (s, k) in enumerate(zip(batch.src, batch.src_lengths)):
            key = tuple(s[:k])
            if key not in seen and kept + len(rows) < need:
                seen.add(key)
                rows.append(i)
        if rows:
            chunks.append(_take(batch, np.array(rows)))
            kept += len(rows)
    return _concat(chunks)


def _concat(chunks):
    S = max(c.src.shape[1] for c in chunks)
    L = max(c.tgt.shape[1] for c in chunks)

    def pad(a, width, value):
        return np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=value)

    return ParallelSentences(np.concatenate([pad(c.src, S, PAD) for c in chunks]),
                             np.concatenate([c.src_lengths for c in chunks]),
                             np.concatenate([pad(c.tgt, L, PAD) for c in chunks]),
                             np.concatenate([c.tgt_lengths for c in chunks]),
                             np.concatenate([pad(c.distance, L, -1) for c in chunks]),
                             np.concatenate([pad(c.other, L, -1) for c in chunks]),
                             np.concatenate([c.gender for c in chunks]),
                             np.concatenate([c.gap for c in chunks]))


def decode_translation(ids, language="cs"):
    """The words of one sentence of token ids, up to its first :data:`EOS`.

    Parameters
    ----------
    ids : array-like of int, shape (T,)
        Token ids of one sentence (a row of ``src``, ``tgt`` or of a model's
        output); :data:`PAD` and :data:`BOS` are skipped, the first
        :data:`EOS` ends the sentence.
    language : {"en", "cs"}
        ``"en"``: ids of :func:`source_vocabulary`; ``"cs"``: of
        :func:`target_vocabulary`.

    Returns
    -------
    str
        The words separated by spaces.

    Raises
    ------
    ValueError
        If ``language`` is unknown, ``ids`` is not one-dimensional integer
        ids, or an id lies outside the vocabulary.

    Examples
    --------
    >>> decode_translation([3, 9, 4], "en")
    'the girl who'
    >>> decode_translation([1, 11, 3, 7, 2, 0, 0])
    'holka , která'
    """
    if language not in ("en", "cs"):
        raise ValueError(f"language must be one of 'en', 'cs'; got {language!r}")
    vocab = source_vocabulary() if language == "en" else target_vocabulary()
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"ids must be integer token ids of shape (T,), got dtype {arr.dtype} and shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= len(vocab)):
        raise ValueError(f"token ids must lie in 0 ... {len(vocab) - 1}, got {arr.min()} ... {arr.max()}")
    words = []
    for i in arr.tolist():
        if i == EOS:
            break
        if i not in (PAD, BOS):
            words.append(vocab[i])
    return " ".join(words)
