r"""A character-level LSTM language model: corpus, model, stateful training, sampling, cells.

The corpus is shipped with the course (:data:`CORPUS_FILE` under
``book/data/applications/``): a snapshot of the course's own package source,
the ``.py`` files of ``lstm_helpers`` sorted by path and concatenated, each
after one header line (:func:`build_corpus`). Its SHA-256 is
:data:`CORPUS_SHA256`; :func:`load_corpus` refuses a file that differs.

The model (:class:`CharLM`) reads characters one at a time,

.. math::

    e_t = E[x_t], \quad (h_t, c_t) = \mathrm{LSTM}(e_t, h_{t-1}, c_{t-1}), \quad
    p(x_{t+1} \mid x_{\le t}) = \mathrm{softmax}(W h_t + b),

and is trained with truncated backpropagation through time over a stream:
the training text is cut into ``batch_size`` contiguous streams
(:func:`stream_batches`), each window of ``bptt`` characters continues the
window before it, and the state at the end of one window is the start of the
next, *detached* from the graph of the window before (:func:`train_stateful`).
Losses are in bits per character (:func:`evaluate_bpc`).

:func:`sample` draws text at a temperature; :func:`text_features` and
:func:`correlate_cells` look for cells that track interpretable state
(Karpathy, Johnson and Fei-Fei, 2015).
"""

from __future__ import annotations

import hashlib
import math
import pathlib
import time

import numpy as np
import torch
from torch import nn

from ._checks import check_int

__all__ = [
    "CORPUS_FILE",
    "CORPUS_SHA256",
    "CORPUS_COMMIT",
    "HEADER",
    "build_corpus",
    "write_corpus",
    "corpus_path",
    "load_corpus",
    "split_text",
    "Vocabulary",
    "CharLM",
    "stream_batches",
    "detach_state",
    "train_stateful",
    "evaluate_bpc",
    "sample",
    "text_features",
    "correlate_cells",
    "cell_values",
]

#: File name of the shipped corpus, in ``book/data/applications/``.
CORPUS_FILE = "char_corpus.txt"
#: The commit of the course repository whose ``lstm_helpers/*.py`` files the corpus holds.
CORPUS_COMMIT = "9139920"
#: SHA-256 of the shipped corpus (its UTF-8 bytes).
CORPUS_SHA256 = "2a97f823975a3d2c4996fd1e8f09398e84dbadda01383267c2f46e268bf4a2de"
#: The header line written before each file; ``{path}`` is the file's path from the package's parent.
HEADER = "# ===== file: {path} =====\n"


def build_corpus(package_dir):
    """The corpus text: every ``.py`` file under ``package_dir``, sorted by path, each after a header line.

    Parameters
    ----------
    package_dir : str or pathlib.Path
        A folder (``lstm_helpers`` of a checkout); paths in the headers are
        relative to its parent (``lstm_helpers/cells/fast.py``), with ``/``.

    Returns
    -------
    str
        ``HEADER.format(path=...) + text`` for each file, each text ending in a
        newline.

    Raises
    ------
    ValueError
        If ``package_dir`` is not a folder or holds no ``.py`` file.
    """
    root = pathlib.Path(package_dir)
    if not root.is_dir():
        raise ValueError(f"package_dir must be a folder, got {str(package_dir)!r}")
    files = sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root.parent).as_posix())
    if not files:
        raise ValueError(f"package_dir {str(package_dir)!r} holds no .py file")
    parts = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text += "\n"
        parts.append(HEADER.format(path=path.relative_to(root.parent).as_posix()) + text)
    return "".join(parts)


def write_corpus(package_dir, path):
    """Write :func:`build_corpus` of ``package_dir`` to ``path`` (UTF-8, ``\\n`` line ends); return its SHA-256.

    The shipped corpus was written from a checkout of commit
    :data:`CORPUS_COMMIT` by::

        mkdir -p /tmp/snapshot && git archive 9139920 lstm_helpers | tar -x -C /tmp/snapshot
        python -c "from lstm_helpers.charlm import write_corpus; \\
            print(write_corpus('/tmp/snapshot/lstm_helpers', 'book/data/applications/char_corpus.txt'))"
    """
    data = build_corpus(package_dir).encode("utf-8")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def corpus_path():
    """The shipped corpus file, ``book/data/applications/char_corpus.txt`` (:func:`lstm_helpers.utils.data_dir`)."""
    from .utils import data_dir

    return data_dir("applications") / CORPUS_FILE


def load_corpus(path=None, check=True):
    """The shipped corpus as a string.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Default :func:`corpus_path`.
    check : bool
        Compare the file's SHA-256 with :data:`CORPUS_SHA256`.

    Raises
    ------
    ValueError
        If the file is missing or its SHA-256 differs.
    """
    path = corpus_path() if path is None else pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"no corpus at {path}; the course ships it as book/data/applications/{CORPUS_FILE}")
    data = path.read_bytes()
    if check:
        digest = hashlib.sha256(data).hexdigest()
        if digest != CORPUS_SHA256:
            raise ValueError(f"{path} has SHA-256 {digest}, not the shipped corpus's {CORPUS_SHA256}")
    return data.decode("utf-8")


def split_text(text, fractions=(0.9, 0.05, 0.05)):
    """Cut ``text`` into contiguous training, validation and test parts.

    Parameters
    ----------
    text : str
    fractions : tuple of 3 floats
        Positive, summing to 1; the cuts are at ``floor(len * cumulative fraction)``.

    Returns
    -------
    tuple of str
        ``(train, valid, test)``, whose concatenation is ``text``.

    Raises
    ------
    ValueError
        If ``fractions`` are not three positive numbers summing to 1, or a part would be empty.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    fractions = tuple(fractions)
    if len(fractions) != 3 or any(not f > 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    a = int(len(text) * fractions[0])
    b = int(len(text) * (fractions[0] + fractions[1]))
    parts = text[:a], text[a:b], text[b:]
    if not all(parts):
        raise ValueError(f"text of {len(text)} characters is too short to split into {fractions}")
    return parts


class Vocabulary:
    """The characters of a text, sorted, and the maps between characters and indices.

    Parameters
    ----------
    text : str
        Every character that will ever be encoded (a closed vocabulary).

    Attributes
    ----------
    chars : str
        The distinct characters, sorted.
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError("Vocabulary needs a non-empty str")
        self.chars = "".join(sorted(set(text)))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def __repr__(self):
        return f"Vocabulary({len(self)} characters)"

    def encode(self, text):
        """``text`` (str of length L) -> int64 array ``(L,)``; ``ValueError`` for a character not in the vocabulary."""
        try:
            return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        """Indices ``(L,)`` -> str; ``ValueError`` for an index outside ``0 .. len(self) - 1``."""
        ids = np.asarray(ids).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"indices must lie in 0 .. {len(self) - 1}")
        return "".join(self.chars[i] for i in ids)


class CharLM(nn.Module):
    """Embedding, a one-layer ``nn.LSTM`` and a linear read-out to next-character logits.

    Shapes: ``x`` of shape ``(N, T)``, int64, gives logits of shape ``(N, T, V)``;
    the state is ``(h, c)``, each of shape ``(1, N, H)``, as ``nn.LSTM`` keeps it.

    Parameters
    ----------
    vocab_size : int
        V, the number of characters.
    hidden_size : int
        H, the memory cells.
    embedding_size : int
        E, the size of a character's vector.
    dropout : float
        Probability of zeroing each entry of ``h_t`` before the read-out while
        training (Zaremba et al., 2014: dropout on the non-recurrent
        connection only); 0 for none.
    """

    def __init__(self, vocab_size, hidden_size=128, embedding_size=32, dropout=0.0):
        super().__init__()
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.vocab_size = check_int("vocab_size", vocab_size, 2)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.embedding_size = check_int("embedding_size", embedding_size, 1)
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.lstm = nn.LSTM(embedding_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, vocab_size)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, state=None, return_states=False):
        """Logits of shape (N, T, V) and the final state (h, c); with ``return_states``, also every h, of shape (N, T, H).

        Raises ``ValueError`` unless ``x`` is an integer tensor of shape (N, T) with entries from 0 to V - 1.
        """
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.dtype not in (torch.int64, torch.int32):
            raise ValueError("x must be an integer tensor of shape (N, T)")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.vocab_size):
            raise ValueError(f"x must hold character indices in 0 .. {self.vocab_size - 1}")
        h, state = self.lstm(self.embed(x), state)
        logits = self.readout(self.drop(h))
        return (logits, state, h) if return_states else (logits, state)

    def n_parameters(self):
        """The number of trained numbers."""
        return sum(p.numel() for p in self.parameters())


def stream_batches(ids, batch_size, bptt):
    """Cut a stream into ``batch_size`` contiguous streams and yield windows of ``bptt`` steps.

    Parameters
    ----------
    ids : array-like of int, shape (L,)
    batch_size : int
        B, the parallel streams: stream ``b`` is ``ids[b * S : (b + 1) * S + 1]``
        with ``S = (L - 1) // B``.
    bptt : int
        T, the steps of one window (the last window may be shorter).

    Yields
    ------
    (x, y) : torch.Tensor int64, each (B, T)
        Inputs and next characters; window ``k + 1`` of stream ``b`` continues window ``k``.

    Raises
    ------
    ValueError
        If the sizes are not positive integers or the stream is shorter than ``batch_size + 1``.
    """
    batch_size, bptt = check_int("batch_size", batch_size, 1), check_int("bptt", bptt, 1)
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.int64)
    if ids.dim() != 1:
        raise ValueError(f"ids must have shape (L,), got {tuple(ids.shape)}")
    S = (len(ids) - 1) // batch_size
    if S < 1:
        raise ValueError(f"a stream of {len(ids)} characters is too short for {batch_size} streams")
    x = ids[: batch_size * S].view(batch_size, S)
    y = ids[1: batch_size * S + 1].view(batch_size, S)
    for start in range(0, S, bptt):
        yield x[:, start:start + bptt], y[:, start:start + bptt]


def detach_state(state):
    """``(h, c)`` cut from the graph that computed them (the values stay; gradients stop here)."""
    return None if state is None else tuple(s.detach() for s in state)


def _bits(logits, y):
    """Summed cross-entropy in bits of logits (N, T, V) for targets (N, T)."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                       reduction="sum") / math.log(2)


@torch.no_grad()
def evaluate_bpc(model, ids, streams=8):
    """Bits per character of ``model`` on a held-out stream, read statefully.

    The stream is cut into ``streams`` contiguous pieces run in parallel, each
    from a zero state over its whole length (no truncation is needed without
    gradients).

    Parameters
    ----------
    model : CharLM
    ids : array-like of int, shape (L,)
    streams : int

    Returns
    -------
    float
        Mean of ``-log2 p(x_{t+1} | x_{<=t})`` over the predicted characters.
    """
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for x, y in stream_batches(ids, streams, 10 ** 9):
        logits, _ = model(x)
        total += float(_bits(logits, y))
        count += y.numel()
    model.train(was_training)
    return total / count


def train_stateful(model, ids, *, batch_size=32, bptt=100, lr=3e-3, decay=False, clip=1.0, seconds=None, epochs=None,
                   valid_ids=None, eval_every=None, stateful=True, keep_best=False, seed=0, log=None):
    """Train ``model`` by truncated BPTT over a stream, the state carried from window to window.

    Each window's loss is backpropagated through that window only: the state
    it starts from is the previous window's final state, detached. With
    ``stateful=False`` every window starts from zeros instead.

    Parameters
    ----------
    model : CharLM
    ids : array-like of int, shape (L,)
        The training stream.
    batch_size, bptt : int
        Parallel streams and window length (:func:`stream_batches`).
    lr : float
        Adam's learning rate.
    decay : bool
        Lower the learning rate along a cosine from ``lr`` to ``lr / 20``
        over the budget (the fraction of ``seconds`` or ``epochs`` done,
        whichever is further).
    clip : float or None
        Gradient-norm threshold.
    seconds : float, optional
        Stop after this much training time (evaluations not counted).
    epochs : float, optional
        Stop after this many passes over the stream (fractions allowed); one of
        ``seconds`` and ``epochs`` is needed.
    valid_ids : array-like of int, optional
        A held-out stream, evaluated every ``eval_every`` seconds of training
        and at the end.
    eval_every : float, optional
    stateful : bool
    keep_best : bool
        At the end, restore the weights of the evaluation with the lowest
        validation bpc (early stopping; needs ``valid_ids``).
    seed : int
        Seeds PyTorch before training (the weights are not re-initialised).
    log : callable, optional
        Called with one line per evaluation.

    Returns
    -------
    dict
        ``steps``, ``seconds`` (training time), ``chars`` (characters
        trained on), ``train_bpc`` (mean over the last 50 windows),
        ``curve``: a list of ``[seconds, chars, valid bpc]`` (empty without
        ``valid_ids``) and ``best``: the entry of ``curve`` whose weights the
        model holds at the end (the last one unless ``keep_best``).
    """
    if seconds is None and epochs is None:
        raise ValueError("give seconds or epochs (or both) to bound the training")
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    if epochs is not None and not epochs > 0:
        raise ValueError(f"epochs must be positive, got {epochs}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if keep_best and valid_ids is None:
        raise ValueError("keep_best needs valid_ids")
    torch.manual_seed(check_int("seed", seed, 0))
    ids = np.asarray(ids)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    windows_per_epoch = math.ceil(((len(ids) - 1) // batch_size) / bptt)
    max_steps = math.inf if epochs is None else max(1, round(epochs * windows_per_epoch))
    trained, steps, chars, next_eval, recent = 0.0, 0, 0, eval_every, []
    curve, best = [], {}

    def evaluate():
        if valid_ids is not None:
            bpc = evaluate_bpc(model, valid_ids)
            curve.append([round(trained, 2), chars, bpc])
            if keep_best and ("bpc" not in best or bpc < best["bpc"]):
                best.update(bpc=bpc, entry=curve[-1], weights={k: v.clone() for k, v in model.state_dict().items()})
            if log is not None:
                log(f"{trained:7.1f} s, {chars:,} characters: valid {bpc:.3f} bpc")

    model.train()
    done = False
    while not done:
        state = None
        for x, y in stream_batches(ids, batch_size, bptt):
            start = time.perf_counter()
            if decay:
                done_fraction = min(1.0, max(trained / seconds if seconds else 0.0,
                                             steps / max_steps if epochs else 0.0))
                for group in opt.param_groups:
                    group["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * done_fraction)))
            logits, state = model(x, state)
            state = detach_state(state) if stateful else None
            loss = _bits(logits, y) / y.numel()
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            trained += time.perf_counter() - start
            steps += 1
            chars += y.numel()
            recent = (recent + [loss.item()])[-50:]
            if steps >= max_steps or (seconds is not None and trained >= seconds):
                done = True
                break
            if eval_every is not None and trained >= next_eval:
                evaluate()
                next_eval += eval_every
    evaluate()
    if keep_best and best:
        model.load_state_dict(best["weights"])
    return {"steps": steps, "seconds": round(trained, 2), "chars": chars, "train_bpc": float(np.mean(recent)),
            "curve": curve, "best": best.get("entry", curve[-1] if curve else None)}


@torch.no_grad()
def sample(model, vocab, prime, length, temperature=1.0, seed=0):
    """Draw ``length`` characters after ``prime`` at a temperature.

    Each next character is drawn from ``softmax(logits / temperature)``:
    below 1 the distribution sharpens (toward the most likely character),
    above 1 it flattens (toward uniform).

    Parameters
    ----------
    model : CharLM
    vocab : Vocabulary
    prime : str
        At least one character; the model reads it first.
    length : int
    temperature : float
        Positive.
    seed : int
        Seeds a ``torch.Generator`` of its own.

    Returns
    -------
    str
        The ``length`` drawn characters (without the prime).
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    length = check_int("length", length, 0)
    if not prime:
        raise ValueError("prime must hold at least one character")
    gen = torch.Generator().manual_seed(check_int("seed", seed, 0))
    was_training = model.training
    model.eval()
    x = torch.as_tensor(vocab.encode(prime))[None]
    logits, state = model(x)
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].double() / temperature, dim=0)
        nxt = int(torch.multinomial(probs, 1, generator=gen))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]]), state)
    model.train(was_training)
    return vocab.decode(out)


@torch.no_grad()
def cell_values(model, vocab, text, kind="c"):
    """The cell states (or hidden states) after reading each character of ``text`` from a zero state.

    Parameters
    ----------
    model : CharLM
    vocab : Vocabulary
    text : str
        L characters.
    kind : {"c", "h"}

    Returns
    -------
    numpy.ndarray, shape (L, H)
        Row ``t`` is the state after reading ``text[t]``.
    """
    if kind not in ("c", "h"):
        raise ValueError(f"kind must be 'c' or 'h', got {kind!r}")
    ids = torch.as_tensor(vocab.encode(text))[None]
    lstm = model.lstm
    e = model.embed(ids)[0]
    h = torch.zeros(1, lstm.hidden_size)
    c = torch.zeros(1, lstm.hidden_size)
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size)
    cell.load_state_dict({"weight_ih": lstm.weight_ih_l0, "weight_hh": lstm.weight_hh_l0,
                          "bias_ih": lstm.bias_ih_l0, "bias_hh": lstm.bias_hh_l0})
    rows = []
    for t in range(len(text)):
        h, c = cell(e[t:t + 1], (h, c))
        rows.append((c if kind == "c" else h)[0])
    return torch.stack(rows).numpy() if rows else np.zeros((0, lstm.hidden_size), dtype=np.float32)


def text_features(text):
    """Interpretable state of source code after each character, computed from the text alone.

    Parameters
    ----------
    text : str
        L characters.

    Returns
    -------
    dict of str -> numpy.ndarray (L,)
        ``"in string"``: 1 inside a quoted string (single, double or triple
        quotes; the closing quote counts as outside), else 0;
        ``"bracket depth"``: open ``( [ {`` minus closed ones outside strings
        and comments, clipped at 0;
        ``"in comment"``: 1 from ``#`` (outside strings) to the end of the line;
        ``"column"``: characters since the last newline (0 right after one);
        ``"indentation"``: the leading spaces of the current line.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    L = len(text)
    in_string, depth, comment = np.zeros(L), np.zeros(L), np.zeros(L)
    column, indent = np.zeros(L), np.zeros(L)
    quote, d, in_comment, col, ind, leading, skip = None, 0, False, 0, 0, True, 0
    for i, ch in enumerate(text):
        if ch == "\n":
            col, ind, leading, in_comment, skip = 0, 0, True, False, 0
            if quote is not None and len(quote) == 1:
                quote = None  # an unclosed one-line string ends with its line
        else:
            col += 1
            if leading and ch == " ":
                ind += 1
            else:
                leading = False
            if skip:  # the rest of a triple quote, or an escaped character
                skip -= 1
            elif in_comment:
                pass
            elif quote is not None:
                if ch == "\\":
                    skip = 1
                elif text.startswith(quote, i):
                    skip, quote = len(quote) - 1, None
            elif ch == "#":
                in_comment = True
            elif ch in "\"'":
                quote = ch * 3 if text.startswith(ch * 3, i) else ch
                skip = len(quote) - 1
            elif ch in "([{":
                d += 1
            elif ch in ")]}":
                d = max(0, d - 1)
        in_string[i], depth[i], comment[i] = quote is not None, d, in_comment
        column[i], indent[i] = col, ind
    return {"in string": in_string, "bracket depth": depth, "in comment": comment, "column": column,
            "indentation": indent}


def correlate_cells(values, feature):
    """Pearson correlation of each cell's value with a feature, over the characters of a text.

    Parameters
    ----------
    values : array-like, shape (L, H)
        One row per character (:func:`cell_values`).
    feature : array-like, shape (L,)

    Returns
    -------
    numpy.ndarray, shape (H,)
        Correlations in [-1, 1]; 0 for a constant cell.

    Raises
    ------
    ValueError
        If the shapes do not match or the feature is constant.
    """
    values = np.asarray(values, dtype=np.float64)
    feature = np.asarray(feature, dtype=np.float64)
    if values.ndim != 2 or feature.ndim != 1 or values.shape[0] != feature.shape[0]:
        raise ValueError(f"values must be (L, H) and feature (L,), got {values.shape} and {feature.shape}")
    f = feature - feature.mean()
    if not np.any(f):
        raise ValueError("feature is constant over the text; a correlation is undefined")
    v = values - values.mean(axis=0)
    norms = np.linalg.norm(v, axis=0) * np.linalg.norm(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (f @ v) / norms
    return np.where(norms > 0, r, 0.0)
