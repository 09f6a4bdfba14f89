"""Encoder-decoder networks for translation: LSTM or GRU, source reversed or not, with or without attention.

:class:`Seq2Seq` is the model of Sutskever, Vinyals & Le (2014): an encoder
RNN reads the source sentence (optionally reversed, their trick), its last
state starts a decoder RNN that writes the target sentence one token at a
time, each step fed the previous target token. ``attention=True`` adds the
additive attention of Bahdanau, Cho & Bengio (2015): before each step the
decoder scores every encoder state against its own state, and reads their
weighted mean (the *context*) together with the previous token.

Around it:

- training with teacher forcing: :func:`shift_right`, :func:`sequence_loss`,
  :func:`fit` (batches of a :class:`~lstm_helpers.tasks.translation.ParallelSentences`);
- decoding: :func:`greedy_decode`, :func:`beam_search` (one sentence) and
  :func:`beam_decode` (a batch, sentence by sentence), and
  :func:`sequence_log_prob` (the model's log-probability of given outputs);
- measuring: :func:`exact_match`, :func:`agreement_by_distance` (the right token) and
  :func:`agreement_choice_by_distance` (the right gender of the right word);
- looking inside: :func:`encoder_states` (hidden and cell state at every
  source step), :func:`attention_weights` and :func:`probe_accuracy`, a
  linear probe that reads a label (the subject's gender) from the states of
  each step.

Token ids follow :mod:`lstm_helpers.tasks.translation`: ``pad = 0``,
``bos = 1``, ``eos = 2`` unless given otherwise. Shapes are batch first.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._checks import check_choice, check_int, check_size

__all__ = [
    "CELLS",
    "Memory",
    "Decoded",
    "Seq2Seq",
    "shift_right",
    "sequence_loss",
    "fit",
    "greedy_decode",
    "beam_search",
    "beam_decode",
    "sequence_log_prob",
    "exact_match",
    "agreement_by_distance",
    "agreement_choice_by_distance",
    "encoder_states",
    "attention_weights",
    "probe_accuracy",
]

#: The recurrent cells an encoder-decoder can be built from.
CELLS = ("lstm", "gru")


class Memory(NamedTuple):
    """What the encoder hands the decoder.

    Fields
    ------
    outputs : torch.Tensor, shape (N, S, H)
        Encoder hidden state at every source step (in reading order; zero
        after a sentence's end).
    keys : torch.Tensor or None, shape (N, S, H)
        ``outputs`` projected for the attention scores (None without attention).
    mask : torch.Tensor of bool, shape (N, S)
        True at the steps of each sentence, False at its padding.
    """

    outputs: torch.Tensor
    keys: torch.Tensor | None
    mask: torch.Tensor


class Decoded(NamedTuple):
    """Decoded sentences.

    Fields
    ------
    tokens : torch.Tensor of int64, shape (N, L)
        Output token ids, each sentence up to and including its ``eos``
        (when it produced one), then ``pad``.
    log_prob : torch.Tensor, shape (N,)
        The model's log-probability of each output (the sum over its tokens,
        ``eos`` included).
    lengths : torch.Tensor of int64, shape (N,)
        Tokens of each output, ``eos`` included.
    """

    tokens: torch.Tensor
    log_prob: torch.Tensor
    lengths: torch.Tensor


def _check_src(src, src_lengths):
    if not isinstance(src, torch.Tensor) or src.dim() != 2 or src.dtype != torch.int64:
        got = f"{src.dtype} {tuple(src.shape)}" if isinstance(src, torch.Tensor) else type(src).__name__
        raise ValueError(f"src must be an int64 tensor of token ids of shape (N, S), got {got}")
    N, S = src.shape
    if not isinstance(src_lengths, torch.Tensor) or tuple(src_lengths.shape) != (N,) \
            or src_lengths.dtype != torch.int64:
        got = (f"{src_lengths.dtype} {tuple(src_lengths.shape)}" if isinstance(src_lengths, torch.Tensor)
               else type(src_lengths).__name__)
        raise ValueError(f"src_lengths must be an int64 tensor of shape (N,) = ({N},), got {got}")
    if N and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > S):
        raise ValueError(f"src_lengths must lie in 1 ... S = {S}, got {int(src_lengths.min())} ... "
                         f"{int(src_lengths.max())}")


def _check_tokens(name, tokens, N):
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 or tokens.dtype != torch.int64 \
            or tokens.shape[0] != N:
        got = f"{tokens.dtype} {tuple(tokens.shape)}" if isinstance(tokens, torch.Tensor) else type(tokens).__name__
        raise ValueError(f"{name} must be an int64 tensor of token ids of shape (N, L) with N = {N}, got {got}")


def _reverse(src, lengths):
    """Each sentence reversed within its length; the padding stays at the end."""
    S = src.shape[1]
    steps = torch.arange(S, device=src.device).expand_as(src)
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return src.gather(1, index)


class Seq2Seq(nn.Module):
    """An encoder-decoder RNN (Sutskever et al. 2014), with additive attention (Bahdanau et al. 2015) if asked.

    Encoder: embedding, then ``nn.LSTM`` or ``nn.GRU`` (one layer, one
    direction) over the source, packed so that padding never enters it. Its
    last state ``(h_S, c_S)`` (GRU: ``h_S``) is the decoder's first state.
    Decoder: at step ``t`` an ``nn.LSTMCell`` or ``nn.GRUCell`` reads the
    embedding of token ``y_{t-1}`` (``bos`` first); with attention also the
    context ``a_t = sum_j alpha_tj h_j``, where ``alpha_t = softmax_j(v^T
    tanh(W s_{t-1} + U h_j))`` over the source steps and ``s_{t-1}`` is the
    decoder's previous hidden state. The logits of ``y_t`` are a linear map
    of ``s_t`` (with attention: of ``[s_t, a_t]``).

    Parameters
    ----------
    src_vocab, tgt_vocab : int
        Sizes of the source and target vocabularies.
    embedding : int
        Size of the token embeddings.
    hidden : int
        Size ``H`` of the encoder's and the decoder's state.
    cell : {"lstm", "gru"}
    attention : bool
        Add Bahdanau attention.
    reverse_source : bool
        Read each source sentence backwards (its padding stays at the end).
    pad, bos, eos : int
        Ids of the padding, start and end tokens.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``cell`` is unknown, or an id
        lies outside the target vocabulary.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> model = Seq2Seq(10, 12, embedding=4, hidden=8, attention=True)
    >>> src, lengths = torch.tensor([[3, 4, 5], [6, 7, 0]]), torch.tensor([3, 2])
    >>> model(src, lengths, torch.tensor([[1, 5], [1, 6]])).shape  # (N, L, target vocabulary)
    torch.Size([2, 2, 12])
    """

    def __init__(self, src_vocab, tgt_vocab, embedding=32, hidden=64, cell="lstm", attention=False,
                 reverse_source=False, pad=0, bos=1, eos=2):
        super().__init__()
        src_vocab, tgt_vocab = check_size("src_vocab", src_vocab), check_size("tgt_vocab", tgt_vocab)
        embedding, hidden = check_size("embedding", embedding), check_size("hidden", hidden)
        check_choice("cell", cell, CELLS)
        for name, value in (("pad", pad), ("bos", bos), ("eos", eos)):
            if check_int(name, value, 0) >= tgt_vocab:
                raise ValueError(f"{name} must be a token id below tgt_vocab = {tgt_vocab}, got {value}")
        self.cell, self.attention, self.reverse_source = cell, bool(attention), bool(reverse_source)
        self.hidden, self.pad, self.bos, self.eos = hidden, int(pad), int(bos), int(eos)
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, embedding)
        self.tgt_embed = nn.Embedding(tgt_vocab, embedding)
        rnn, step = (nn.LSTM, nn.LSTMCell) if cell == "lstm" else (nn.GRU, nn.GRUCell)
        self.encoder = rnn(embedding, hidden, batch_first=True)
        self.decoder = step(embedding + (hidden if self.attention else 0), hidden)
        if self.attention:
            self.att_query = nn.Linear(hidden, hidden, bias=False)
            self.att_key = nn.Linear(hidden, hidden)
            self.att_score = nn.Linear(hidden, 1, bias=False)
        self.out = nn.Linear(hidden * (2 if self.attention else 1), tgt_vocab)

    def extra_repr(self):
        return f"cell={self.cell!r}, attention={self.attention}, reverse_source={self.reverse_source}"

    def read_order(self, src, src_lengths):
        """The source as the encoder reads it: ``src``, or each sentence reversed within its length.

        ``src (N, S)``, ``src_lengths (N,)`` -> ``(N, S)``.
        """
        _check_src(src, src_lengths)
        return _reverse(src, src_lengths) if self.reverse_source else src

    def encode(self, src, src_lengths):
        """Run the encoder.

        Parameters
        ----------
        src : torch.Tensor of int64, shape (N, S)
            Source token ids, padded after each sentence.
        src_lengths : torch.Tensor of int64, shape (N,)
            Tokens of each sentence, 1 to S.

        Returns
        -------
        (Memory, state)
            The :class:`Memory` for the decoder and the encoder's last state:
            ``(h, c)``, each ``(N, H)``, for an LSTM; ``h (N, H)`` for a GRU.
        """
        x = self.src_embed(self.read_order(src, src_lengths))
        packed = pack_padded_sequence(x, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        state = (state[0][0], state[1][0]) if self.cell == "lstm" else state[0]
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < src_lengths[:, None]
        keys = self.att_key(outputs) if self.attention else None
        return Memory(outputs, keys, mask), state

    def _hidden(self, state):
        return state[0] if self.cell == "lstm" else state

    def step(self, y_prev, state, memory):
        """One decoder step.

        Parameters
        ----------
        y_prev : torch.Tensor of int64, shape (N,)
            The previous target token (``bos`` at the first step).
        state : tuple of torch.Tensor or torch.Tensor
            The decoder's state: ``(h, c)``, each ``(N, H)`` (LSTM), or ``h (N, H)`` (GRU).
        memory : Memory
            From :meth:`encode`.

        Returns
        -------
        (logits, state, alpha)
            ``logits (N, V)`` of the next token, the new state, and the
            attention weights ``alpha (N, S)`` (None without attention).
        """
        inp = self.tgt_embed(y_prev)
        alpha = None
        if self.attention:
            query = self.att_query(self._hidden(state))  # (N, H)
            scores = self.att_score(torch.tanh(memory.keys + query[:, None, :])).squeeze(-1)  # (N, S)
            scores = scores.masked_fill(~memory.mask, float("-inf"))
            alpha = torch.softmax(scores, dim=1)
            context = torch.bmm(alpha[:, None, :], memory.outputs).squeeze(1)  # (N, H)
            inp = torch.cat([inp, context], dim=1)
        state = self.decoder(inp, state)
        h = self._hidden(state)
        logits = self.out(torch.cat([h, context], dim=1) if self.attention else h)
        return logits, state, alpha

    def forward(self, src, src_lengths, tgt_in, return_attention=False):
        """Teacher forcing: the logits of every target step, given the true previous tokens.

        Parameters
        ----------
        src : torch.Tensor of int64, shape (N, S)
        src_lengths : torch.Tensor of int64, shape (N,)
        tgt_in : torch.Tensor of int64, shape (N, L)
            Decoder inputs: ``bos`` then the target shifted right (:func:`shift_right`).
        return_attention : bool
            Also return the attention weights.

        Returns
        -------
        torch.Tensor, shape (N, L, V)
            Logits; with ``return_attention`` also ``alpha (N, L, S)`` (None without attention).
        """
        _check_tokens("tgt_in", tgt_in, src.shape[0])
        memory, state = self.encode(src, src_lengths)
        logits, alphas = [], []
        for t in range(tgt_in.shape[1]):
            out, state, alpha = self.step(tgt_in[:, t], state, memory)
            logits.append(out)
            alphas.append(alpha)
        logits = torch.stack(logits, dim=1)
        if return_attention:
            return logits, (torch.stack(alphas, dim=1) if self.attention else None)
        return logits


# --------------------------------------------------------------------------- training


def shift_right(tgt, bos=1):
    """Decoder inputs for teacher forcing: ``bos`` followed by ``tgt`` without its last column.

    ``tgt (N, L)`` -> ``(N, L)``.

    >>> shift_right(torch.tensor([[5, 6, 2]]))
    tensor([[1, 5, 6]])
    """
    _check_tokens("tgt", tgt, tgt.shape[0] if isinstance(tgt, torch.Tensor) else -1)
    return torch.cat([torch.full_like(tgt[:, :1], bos), tgt[:, :-1]], dim=1)


def sequence_loss(model, src, src_lengths, tgt):
    """Mean cross-entropy per target token under teacher forcing (padding ignored).

    ``src (N, S)``, ``src_lengths (N,)``, ``tgt (N, L)`` (ending with ``eos``,
    padded with ``model.pad``) -> a scalar tensor.
    """
    logits = model(src, src_lengths, shift_right(tgt, model.bos))
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                       ignore_index=model.pad)


def _batch(data, rows, device):
    src_len, tgt_len = int(data.src_lengths[rows].max()), int(data.tgt_lengths[rows].max())
    as_tensor = lambda a: torch.as_tensor(np.ascontiguousarray(a), device=device)  # noqa: E731
    return (as_tensor(data.src[rows, :src_len]), as_tensor(data.src_lengths[rows]),
            as_tensor(data.tgt[rows, :tgt_len]))


def fit(model, data, steps=1000, batch_size=64, lr=3e-3, clip=1.0, seed=0, callback=None):
    """Train ``model`` with teacher forcing and Adam on random batches of ``data``.

    Parameters
    ----------
    model : Seq2Seq
    data : ParallelSentences
        The training set (:func:`lstm_helpers.tasks.translation.translation_split`).
    steps : int
        Weight updates.
    batch_size : int
        Sentences per update, drawn without replacement within an epoch.
    lr : float
        Adam's learning rate.
    clip : float or None
        Threshold of the gradient norm (None: no clipping).
    seed : int
        Seed of the order of the batches (the weights are initialised by the caller).
    callback : callable, optional
        Called as ``callback(step, loss)`` after every update.

    Returns
    -------
    list of float
        The training loss of every update.

    Raises
    ------
    ValueError
        If ``steps``, ``batch_size`` or ``seed`` is invalid or ``lr`` is not positive.
    """
    steps, batch_size = check_size("steps", steps), check_size("batch_size", batch_size)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(data.src)
    order, at, losses = rng.permutation(n), 0, []
    model.train()
    for step in range(steps):
        if at + batch_size > n:
            order, at = rng.permutation(n), 0
        rows = order[at:at + batch_size]
        at += batch_size
        src, src_lengths, tgt = _batch(data, rows, device)
        loss = sequence_loss(model, src, src_lengths, tgt)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(float(loss.detach()))
        if callback is not None:
            callback(step, losses[-1])
    model.eval()
    return losses


# --------------------------------------------------------------------------- decoding


@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len=40):
    """Decode by taking the most probable token at every step, until ``eos`` or ``max_len`` tokens.

    Parameters
    ----------
    model : Seq2Seq
    src : torch.Tensor of int64, shape (N, S)
    src_lengths : torch.Tensor of int64, shape (N,)
    max_len : int
        Most tokens of an output, ``eos`` included.

    Returns
    -------
    Decoded
        ``tokens (N, max_len)``, ``log_prob (N,)``, ``lengths (N,)``.

    Raises
    ------
    ValueError
        If the shapes are wrong or ``max_len`` is not a positive integer.
    """
    max_len = check_size("max_len", max_len)
    memory, state = model.encode(src, src_lengths)
    N = src.shape[0]
    y = torch.full((N,), model.bos, dtype=torch.int64, device=src.device)
    tokens = torch.full((N, max_len), model.pad, dtype=torch.int64, device=src.device)
    log_prob = torch.zeros(N, device=src.device)
    done = torch.zeros(N, dtype=torch.bool, device=src.device)
    lengths = torch.full((N,), max_len, dtype=torch.int64, device=src.device)
    for t in range(max_len):
        logits, state, _ = model.step(y, state, memory)
        logp = torch.log_softmax(logits, dim=1)
        y = logp.argmax(dim=1)
        log_prob += torch.where(done, torch.zeros_like(log_prob), logp.gather(1, y[:, None]).squeeze(1))
        tokens[:, t] = torch.where(done, torch.full_like(y, model.pad), y)
        ended = ~done & (y == model.eos)
        lengths[ended] = t + 1
        done |= ended
        if bool(done.all()):
            break
    return Decoded(tokens, log_prob, lengths)


def _index_state(state, index):
    if isinstance(state, tuple):
        return tuple(s.index_select(0, index) for s in state)
    return state.index_select(0, index)


@torch.no_grad()
def beam_search(model, src, src_length, beam_size=4, max_len=40):
    """The most probable output that beam search finds for one source sentence.

    At every step each of the (at most ``beam_size``) live hypotheses is
    extended by every token; the ``beam_size`` best extensions by total
    log-probability are kept; one that ends in ``eos`` is finished and
    leaves the beam (which shrinks). The search stops when the beam is
    empty, after ``max_len`` tokens, or when the best finished hypothesis is
    at least as probable as every live one (a live hypothesis can only lose
    probability). With ``beam_size = 1`` this is :func:`greedy_decode`; with
    a beam as large as all sequences of ``max_len`` tokens it is exhaustive.

    Parameters
    ----------
    model : Seq2Seq
    src : torch.Tensor of int64, shape (S,)
        Source token ids of one sentence (padding after it allowed).
    src_length : int
        Its length, 1 to S.
    beam_size : int
        Hypotheses kept, at least 1.
    max_len : int
        Most tokens of an output, ``eos`` included.

    Returns
    -------
    (torch.Tensor, float)
        The tokens ``(L,)`` of the best hypothesis (finished ones end with
        ``eos``; among finished and, at ``max_len``, live hypotheses the most
        probable) and its log-probability.

    Raises
    ------
    ValueError
        If ``beam_size`` or ``max_len`` is not a positive integer, ``src`` is
        not one sentence of int64 ids or ``src_length`` is outside 1 ... S.
    """
    beam_size, max_len = check_size("beam_size", beam_size), check_size("max_len", max_len)
    if not isinstance(src, torch.Tensor) or src.dim() != 1:
        got = tuple(src.shape) if isinstance(src, torch.Tensor) else type(src).__name__
        raise ValueError(f"src must be the token ids of one sentence, shape (S,); got {got} "
                         "(use beam_decode for a batch)")
    src_length = check_int("src_length", int(src_length) if isinstance(src_length, torch.Tensor) else src_length, 1)
    memory, state = model.encode(src[None], torch.tensor([src_length], device=src.device))
    device = src.device
    seqs = torch.zeros((1, 0), dtype=torch.int64, device=device)
    scores = torch.zeros(1, device=device)
    y = torch.full((1,), model.bos, dtype=torch.int64, device=device)
    finished = []  # (score, tokens)
    for t in range(max_len):
        k = seqs.shape[0]
        mem = Memory(*(None if f is None else f.expand(k, *f.shape[1:]) for f in memory))
        logits, state, _ = model.step(y, state, mem)
        cand = (scores[:, None] + torch.log_softmax(logits, dim=1)).reshape(-1)
        top_scores, top = cand.topk(min(beam_size, cand.numel()))
        V = logits.shape[1]
        keep = []
        for score, idx in zip(top_scores.tolist(), top.tolist()):
            b, w = divmod(idx, V)
            if w == model.eos:
                finished.append((score, torch.cat([seqs[b], seqs.new_tensor([w])])))
            else:
                keep.append((score, b, w))
        if not keep:
            break
        index = torch.tensor([b for _, b, _ in keep], device=device)
        y = torch.tensor([w for _, _, w in keep], device=device)
        seqs = torch.cat([seqs.index_select(0, index), y[:, None]], dim=1)
        scores = torch.tensor([s for s, _, _ in keep], device=device)
        state = _index_state(state, index)
        if finished and max(s for s, _ in finished) >= float(scores.max()):
            break
    else:
        finished.extend((float(s), q) for s, q in zip(scores, seqs))
    best = max(range(len(finished)), key=lambda i: finished[i][0])  # the first of equals
    return finished[best][1], float(finished[best][0])


@torch.no_grad()
def beam_decode(model, src, src_lengths, beam_size=4, max_len=40):
    """:func:`beam_search` for every sentence of a batch.

    ``src (N, S)``, ``src_lengths (N,)`` -> :class:`Decoded` with ``tokens (N, max_len)``.

    Raises
    ------
    ValueError
        As :func:`beam_search`, or if the shapes are wrong.
    """
    _check_src(src, src_lengths)
    max_len = check_size("max_len", max_len)
    N = src.shape[0]
    tokens = torch.full((N, max_len), model.pad, dtype=torch.int64, device=src.device)
    log_prob = torch.zeros(N, device=src.device)
    lengths = torch.zeros(N, dtype=torch.int64, device=src.device)
    for i in range(N):
        seq, score = beam_search(model, src[i], int(src_lengths[i]), beam_size, max_len)
        tokens[i, :len(seq)] = seq
        log_prob[i], lengths[i] = score, len(seq)
    return Decoded(tokens, log_prob, lengths)


@torch.no_grad()
def sequence_log_prob(model, src, src_lengths, tokens):
    """The model's log-probability of given outputs: the sum of log p(y_t | y_<t, source).

    Parameters
    ----------
    model : Seq2Seq
    src : torch.Tensor of int64, shape (N, S)
    src_lengths : torch.Tensor of int64, shape (N,)
    tokens : torch.Tensor of int64, shape (N, L)
        Outputs; each is counted up to and including its first ``eos``
        (all ``L`` tokens when it has none).

    Returns
    -------
    torch.Tensor, shape (N,)
    """
    _check_tokens("tokens", tokens, src.shape[0])
    logp = torch.log_softmax(model(src, src_lengths, shift_right(tokens, model.bos)), dim=2)
    picked = logp.gather(2, tokens[:, :, None]).squeeze(2)  # (N, L)
    is_eos = (tokens == model.eos).long()
    before_end = (is_eos.cumsum(1) - is_eos) == 0  # up to and including the first eos
    return (picked * before_end).sum(1)


# --------------------------------------------------------------------------- measuring


def _as_ids(name, value):
    arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    if arr.ndim != 2 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be integer token ids of shape (N, L), got dtype {arr.dtype} and shape "
                         f"{arr.shape}")
    return arr


def _until_eos(row, eos):
    hits = np.flatnonzero(row == eos)
    return tuple(row[:hits[0] + 1]) if hits.size else tuple(row)


def exact_match(pred, tgt, eos=2):
    """Fraction of outputs equal to the reference, token for token up to and including ``eos``.

    Parameters
    ----------
    pred : array-like or tensor of int, shape (N, L1)
    tgt : array-like or tensor of int, shape (N, L2)
    eos : int

    Returns
    -------
    float

    Examples
    --------
    >>> exact_match([[5, 6, 2, 0], [5, 7, 2, 0]], [[5, 6, 2], [5, 6, 2]])
    0.5
    """
    pred, tgt = _as_ids("pred", pred), _as_ids("tgt", tgt)
    if pred.shape[0] != tgt.shape[0] or not len(tgt):
        raise ValueError(f"pred and tgt must hold the same number N >= 1 of sentences, got {pred.shape[0]} and "
                         f"{tgt.shape[0]}")
    return float(np.mean([_until_eos(p, eos) == _until_eos(t, eos) for p, t in zip(pred, tgt)]))


def agreement_by_distance(pred, tgt, distance):
    """Accuracy at the target tokens that must agree with the subject, by their distance to it.

    Parameters
    ----------
    pred : array-like or tensor of int, shape (N, L1)
        Output tokens: a decoder's output (a token missing where the output
        is shorter counts as wrong), or the most probable token of every
        step under teacher forcing.
    tgt : array-like or tensor of int, shape (N, L)
        Reference tokens.
    distance : array-like of int, shape (N, L)
        Distance of each token that must agree to the subject; -1 elsewhere
        (``ParallelSentences.distance``).

    Returns
    -------
    dict
        ``{distance: accuracy}`` for every distance that occurs, in increasing order.

    Examples
    --------
    >>> agreement_by_distance([[7, 4, 9]], [[7, 5, 9]], [[-1, 2, 3]])
    {2: 0.0, 3: 1.0}
    """
    pred, tgt = _as_ids("pred", pred), _as_ids("tgt", tgt)
    distance = _as_ids("distance", distance)
    if distance.shape != tgt.shape or pred.shape[0] != tgt.shape[0]:
        raise ValueError(f"distance must have the shape of tgt, (N, L) = {tgt.shape}, and pred N = {tgt.shape[0]} "
                         f"rows; got distance {distance.shape} and pred {pred.shape}")
    width = max(pred.shape[1], tgt.shape[1])
    padded = np.full((pred.shape[0], width), -1, dtype=np.int64)
    padded[:, :pred.shape[1]] = pred
    right = padded[:, :tgt.shape[1]] == tgt
    return {int(d): float(right[distance == d].mean()) for d in np.unique(distance[distance >= 0])}


def agreement_choice_by_distance(scores, tgt, other, distance):
    """How often the right gender wins over the wrong one, by the distance to the subject.

    At every target token that must agree with the subject, the model's
    score (logit or log-probability, under teacher forcing) of the right
    form is compared with the score of the same word in the other gender
    (*který* against *která*): the comparison of Linzen et al. (2016), which
    counts agreement alone, not whether the model chose the right word.

    Parameters
    ----------
    scores : torch.Tensor or array-like, shape (N, L, V)
        Scores of every target token at every step, e.g. the logits of
        :class:`Seq2Seq` under teacher forcing.
    tgt : array-like or tensor of int, shape (N, L)
        Reference tokens.
    other : array-like of int, shape (N, L)
        The other-gender form of each token that must agree; -1 elsewhere
        (``ParallelSentences.other``).
    distance : array-like of int, shape (N, L)
        Distance of each token that must agree to the subject; -1 elsewhere.

    Returns
    -------
    dict
        ``{distance: fraction of tokens whose right form scores higher}``, in
        increasing order of distance.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.zeros((1, 2, 4)); scores[0, 1] = [0, 0, 1.0, 2.0]
    >>> agreement_choice_by_distance(scores, [[0, 2]], [[-1, 3]], [[-1, 5]])
    {5: 0.0}
    """
    S = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    tgt, other, distance = _as_ids("tgt", tgt), _as_ids("other", other), _as_ids("distance", distance)
    if S.ndim != 3 or S.shape[:2] != tgt.shape or other.shape != tgt.shape or distance.shape != tgt.shape:
        raise ValueError(f"scores must have shape (N, L, V) and tgt, other, distance (N, L); got {S.shape}, "
                         f"{tgt.shape}, {other.shape}, {distance.shape}")
    rows, cols = np.nonzero(distance >= 0)
    right = S[rows, cols, tgt[rows, cols]] > S[rows, cols, other[rows, cols]]
    d = distance[rows, cols]
    return {int(k): float(right[d == k].mean()) for k in np.unique(d)}


# --------------------------------------------------------------------------- looking inside


@torch.no_grad()
def encoder_states(model, src, src_lengths):
    """The encoder's hidden state and (LSTM) cell state after every source step.

    Parameters
    ----------
    model : Seq2Seq
    src : torch.Tensor of int64, shape (N, S)
    src_lengths : torch.Tensor of int64, shape (N,)

    Returns
    -------
    (h, c)
        ``h (N, S, H)`` and ``c (N, S, H)`` (None for a GRU), step ``t`` being
        the state after the encoder has read its ``t + 1``-th token: in
        reading order, so for a model with ``reverse_source`` step 0 is the
        sentence's last word. Steps after a sentence's end hold the states
        of reading padding and are meaningless.
    """
    x = model.src_embed(model.read_order(src, src_lengths))
    state, hs, cs = None, [], []
    for t in range(src.shape[1]):
        _, state = model.encoder(x[:, t:t + 1], state)
        if model.cell == "lstm":
            hs.append(state[0][0])
            cs.append(state[1][0])
        else:
            hs.append(state[0])
    return torch.stack(hs, 1), (torch.stack(cs, 1) if cs else None)


@torch.no_grad()
def attention_weights(model, src, src_lengths, tgt):
    """The attention weights under teacher forcing: ``alpha (N, L, S)``.

    ``alpha[i, t, j]`` is the weight of source step ``j`` (in reading order)
    when the decoder writes target token ``t`` of sentence ``i``, given the
    true tokens before it (``tgt (N, L)``, ending with ``eos``).

    Raises
    ------
    ValueError
        If the model has no attention, or the shapes are wrong.
    """
    if not model.attention:
        raise ValueError("attention_weights needs a model built with attention=True")
    return model(src, src_lengths, shift_right(tgt, model.bos), return_attention=True)[1]


def probe_accuracy(states, labels, lengths=None, train_fraction=0.5, l2=1e-2):
    """A linear probe: how well a label can be read linearly from the states of each step.

    For every step ``t`` separately a ridge-regression classifier (one-hot
    targets, standardised features, penalty ``l2`` times the number of
    training rows) is fitted on the first ``train_fraction`` of the rows and
    its accuracy measured on the others. It reads, e.g., the subject's
    gender from the encoder's cell state after each word. The fit is closed
    form: the same inputs always give the same accuracies.

    Parameters
    ----------
    states : array-like or tensor, shape (N, T, H)
        Features of each row at each step (e.g. ``c`` of :func:`encoder_states`).
    labels : array-like of int, shape (N,)
        Classes ``0 ... K - 1`` (K >= 2).
    lengths : array-like of int, shape (N,), optional
        Valid steps of each row; a step ``t >= lengths[i]`` of row ``i`` is
        left out of the fit and the test.
    train_fraction : float
        Share of the rows (the first ones) the probe is fitted on, in (0, 1).
    l2 : float
        Ridge penalty per training row, at least 0.

    Returns
    -------
    numpy.ndarray of float64, shape (T,)
        Test accuracy of the probe at each step (NaN where no row is valid).

    Raises
    ------
    ValueError
        If a shape is wrong, a label is not an integer ``>= 0``, there are
        fewer than two classes, or ``train_fraction``/``l2`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, size=200)
    >>> states = rng.normal(size=(200, 3, 5))
    >>> states[:, 2, 0] += 4 * labels  # the label is readable at step 2 only
    >>> acc = probe_accuracy(states, labels)
    >>> bool(acc[0] < 0.7 and acc[1] < 0.7 and acc[2] > 0.95)
    True
    """
    X = states.detach().cpu().numpy() if isinstance(states, torch.Tensor) else np.asarray(states)
    y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if X.ndim != 3 or X.dtype.kind not in "fiu":
        raise ValueError(f"states must be real numbers of shape (N, T, H), got dtype {X.dtype} and shape {X.shape}")
    N, T, H = X.shape
    if y.shape != (N,) or y.dtype.kind not in "iu" or (N and y.min() < 0):
        raise ValueError(f"labels must be integer classes >= 0 of shape (N,) = ({N},), got dtype {y.dtype} and "
                         f"shape {y.shape}")
    K = int(y.max()) + 1 if N else 0
    if len(np.unique(y)) < 2:
        raise ValueError("labels must hold at least two classes")
    if lengths is None:
        lengths = np.full(N, T)
    lengths = np.asarray(lengths.cpu() if isinstance(lengths, torch.Tensor) else lengths)
    if lengths.shape != (N,):
        raise ValueError(f"lengths must have shape (N,) = ({N},), got {lengths.shape}")
    if isinstance(train_fraction, bool) or not 0.0 < float(train_fraction) < 1.0:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1, got {train_fraction!r}")
    if isinstance(l2, bool) or not float(l2) >= 0.0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    n_train = max(1, min(N - 1, int(round(N * float(train_fraction)))))
    onehot = np.eye(K)[y]
    acc = np.full(T, math.nan)
    for t in range(T):
        valid = lengths > t
        tr, te = valid.copy(), valid.copy()
        tr[n_train:], te[:n_train] = False, False
        if not tr.any() or not te.any():
            continue
        Xt = X[:, t].astype(np.float64)
        mean, std = Xt[tr].mean(0), Xt[tr].std(0) + 1e-8
        Z = np.concatenate([(Xt - mean) / std, np.ones((N, 1))], axis=1)
        A = Z[tr].T @ Z[tr] + float(l2) * tr.sum() * np.eye(H + 1)
        W = np.linalg.solve(A, Z[tr].T @ onehot[tr])
        acc[t] = float(np.mean((Z[te] @ W).argmax(1) == y[te]))
    return acc
