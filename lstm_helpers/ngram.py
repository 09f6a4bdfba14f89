r"""Character n-gram language models with interpolated Kneser--Ney smoothing.

An n-gram model predicts the next character from the ``n - 1`` before it.
Counting alone gives zero probability to every continuation the training
text never showed, so the counts are *smoothed*. Interpolated Kneser--Ney
(Kneser and Ney, 1995; in the form of Chen and Goodman, 1999) subtracts a
discount :math:`D_k` from every count of order :math:`k` and hands the
subtracted mass to the model of order :math:`k - 1`:

.. math::

    P_k(w \mid u) = \frac{\max(c_k(u w) - D_k, 0)}{\sum_{w'} c_k(u w')}
                  + \frac{D_k \, N_{1+}(u \,\bullet)}{\sum_{w'} c_k(u w')} \, P_{k-1}(w \mid u'),

where :math:`u` holds the last :math:`k - 1` characters, :math:`u'` the last
:math:`k - 2`, and :math:`N_{1+}(u \,\bullet)` is the number of distinct
characters seen after :math:`u`. The highest order counts occurrences,
:math:`c_n = c`; every lower order counts *continuations*,
:math:`c_k(u w) = N_{1+}(\bullet\, u w)`, the number of distinct characters
seen before :math:`u w`: a lower order is only asked when the longer context
says little, and then what matters is in how many contexts a string occurs,
not how often. Below order 1 stands the uniform distribution
:math:`P_0 = 1 / V`. A context never seen passes all its mass down.
The discount of order :math:`k` is Ney's estimate :math:`D_k = n_1 / (n_1 + 2 n_2)`
from the numbers :math:`n_1, n_2` of that order's counts equal to 1 and 2,
unless given.

With ``n = 1`` the model is the unigram model, discounted toward uniform.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ._checks import check_int

__all__ = ["KneserNey"]


class KneserNey:
    """An interpolated Kneser--Ney character model of order ``n``.

    Parameters
    ----------
    text : str
        The training text.
    n : int
        The order: the model conditions on the ``n - 1`` characters before.
    vocab : str or sequence of str, optional
        The characters the model predicts (default: those of ``text``); must
        hold every character of ``text``.
    discount : float or sequence of float, optional
        One discount in (0, 1] for every order, or ``n`` of them (order 1
        first); default Ney's estimate per order.

    Attributes
    ----------
    vocab : str
        Sorted characters, V of them.
    discounts : tuple of float
        :math:`D_1, \\dots, D_n`.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, ``text`` is not a non-empty str,
        ``vocab`` misses a character of ``text``, or a discount is outside (0, 1].
    """

    def __init__(self, text, n, vocab=None, discount=None):
        self.n = check_int("n", n, 1)
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty str")
        chars = sorted(set(text) if vocab is None else set(vocab))
        missing = set(text) - set(chars)
        if missing:
            raise ValueError(f"vocab misses characters of text: {''.join(sorted(missing))!r}")
        self.vocab = "".join(chars)
        self.index = {ch: i for i, ch in enumerate(self.vocab)}
        # counts[k][u][w] for k = 1..n, u a context of exactly k - 1 characters
        top = defaultdict(lambda: defaultdict(int))
        for i in range(self.n - 1, len(text)):
            top[text[i - self.n + 1:i]][text[i]] += 1
        self.counts = {self.n: top}
        for k in range(self.n - 1, 0, -1):  # continuation counts: one per distinct (k+1)-gram x u w
            cont = defaultdict(lambda: defaultdict(int))
            for u, nexts in self.counts[k + 1].items():
                for w in nexts:
                    cont[u[1:]][w] += 1
            self.counts[k] = cont
        self.counts = {k: {u: dict(ws) for u, ws in table.items()} for k, table in self.counts.items()}
        self.totals = {k: {u: sum(ws.values()) for u, ws in table.items()} for k, table in self.counts.items()}
        self.types = {k: {u: len(ws) for u, ws in table.items()} for k, table in self.counts.items()}
        if discount is None:
            self.discounts = tuple(self._ney(k) for k in range(1, self.n + 1))
        else:
            ds = (discount,) * self.n if np.ndim(discount) == 0 else tuple(discount)
            if len(ds) != self.n or any(not (0 < d <= 1) for d in ds):
                raise ValueError(f"discount must be one number or {self.n} numbers in (0, 1], got {discount!r}")
            self.discounts = tuple(float(d) for d in ds)

    def _ney(self, k):
        values = [c for ws in self.counts[k].values() for c in ws.values()]
        n1, n2 = values.count(1), values.count(2)
        return n1 / (n1 + 2 * n2) if n1 else 0.5

    def __repr__(self):
        return f"KneserNey(n={self.n}, V={len(self.vocab)}, discounts={tuple(round(d, 3) for d in self.discounts)})"

    def _context(self, context):
        if not isinstance(context, str):
            raise ValueError(f"context must be a str, got {type(context).__name__}")
        bad = set(context) - set(self.vocab)
        if bad:
            raise ValueError(f"context holds characters outside the vocabulary: {''.join(sorted(bad))!r}")
        return context[max(0, len(context) - self.n + 1):] if self.n > 1 else ""

    def prob(self, char, context=""):
        """:math:`P(\\text{char} \\mid \\text{context})`; only the last ``n - 1`` characters of ``context`` count.

        Raises ``ValueError`` if ``char`` is not one character of the vocabulary
        or ``context`` holds another character.
        """
        if not isinstance(char, str) or len(char) != 1 or char not in self.index:
            raise ValueError(f"char must be one character of the vocabulary, got {char!r}")
        u = self._context(context)
        p = 1.0 / len(self.vocab)
        for k in range(1, min(self.n, len(u) + 1) + 1):
            ctx = u[len(u) - k + 1:] if k > 1 else ""
            p = self._interpolate(k, ctx, char, p)
        return p

    def _interpolate(self, k, ctx, char, lower):
        total = self.totals[k].get(ctx)
        if not total:
            return lower
        d = self.discounts[k - 1]
        c = self.counts[k][ctx].get(char, 0)
        return max(c - d, 0.0) / total + d * self.types[k][ctx] / total * lower

    def distribution(self, context=""):
        """The probabilities of every character of :attr:`vocab` after ``context``: array ``(V,)`` summing to 1."""
        u = self._context(context)
        p = np.full(len(self.vocab), 1.0 / len(self.vocab))
        for k in range(1, min(self.n, len(u) + 1) + 1):
            ctx = u[len(u) - k + 1:] if k > 1 else ""
            total = self.totals[k].get(ctx)
            if not total:
                continue
            d = self.discounts[k - 1]
            c = np.zeros(len(self.vocab))
            for w, cw in self.counts[k][ctx].items():
                c[self.index[w]] = cw
            p = np.maximum(c - d, 0.0) / total + d * self.types[k][ctx] / total * p
        return p

    def bits_per_char(self, text):
        """Mean of :math:`-\\log_2 P(x_t \\mid x_{<t})` over ``text``, each character predicted from those before it.

        Raises ``ValueError`` for an empty text or a character outside the vocabulary.
        """
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty str")
        bad = set(text) - set(self.vocab)
        if bad:
            raise ValueError(f"text holds characters outside the vocabulary: {''.join(sorted(bad))!r}")
        total = 0.0
        for i, ch in enumerate(text):
            total -= math.log2(self.prob(ch, text[max(0, i - self.n + 1):i]))
        return total / len(text)
