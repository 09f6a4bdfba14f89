"""Translation with gender agreement (chapter 13), a task definition on :mod:`~lstm_helpers.experiments.runner`.

Run from the repository root; the stored result is::

    python -m lstm_helpers.experiments translation --out book/data/applications

which writes ``translation.json``. Each run (one model, one seed) draws a
training and a disjoint test set of the generated English -> Czech-like
corpus (:func:`lstm_helpers.tasks.translation.translation_split`, the seed's
data shared by every model), trains an encoder-decoder of
:mod:`lstm_helpers.seq2seq` with teacher forcing and Adam, and measures on
the test set:

- ``exact_match``: the share of greedy translations equal to the reference,
  over the test sentences whose gap also occurs in training (``0 ...
  max_gap``); ``exact_match_unseen`` over those with longer gaps (``max_gap
  + 1 ... max_test_gap``, distances never seen in training);
  ``exact_match_by_gap`` per gap;
- ``exact_match_beam`` and ``exact_match_greedy_subset``: with beam search
  and greedily, on the first ``beam_sentences`` test sentences with a gap
  seen in training;
- ``agreement_by_distance``: per distance between the subject and a word
  that must agree with its gender, the share of such words at which the
  model (teacher forced) scores the right form above the same word in the
  other gender (:func:`~lstm_helpers.seq2seq.agreement_choice_by_distance`);
- ``word_by_distance``: the share at which the greedy output holds exactly
  the right word in the right form (:func:`~lstm_helpers.seq2seq.agreement_by_distance`);
- ``probe_cell`` (LSTMs) and ``probe_hidden``: the test accuracy of a linear
  probe (:func:`~lstm_helpers.seq2seq.probe_accuracy`) that reads the
  subject's gender from the encoder's state after each source word (by the
  word's position in the English sentence; the subject is word 1; a model
  that reads backwards has read the subject only once it reaches word 1, so
  its probe is at chance from word 2 on);
- ``test_loss`` (cross-entropy per target token, teacher forced), the
  training curve, the seconds it took.

The models (:data:`MODELS`): ``lstm`` (Sutskever et al. 2014 without the
reversal), ``lstm_reversed`` (the source read backwards), ``lstm_attention``
(Bahdanau et al. 2015's additive attention), ``gru`` and ``gru_attention``.
Each stored model entry holds ``model``, ``exact_match``,
``exact_match_unseen``, ``exact_match_beam``, ``exact_match_by_gap``,
``agreement_by_distance`` and ``word_by_distance`` (means over the seeds;
keys of the maps are strings, as JSON requires), ``runs`` and
``summary``. Distances up to ``max_gap + 9`` occur in training.
"""

from __future__ import annotations

import math
import pathlib
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .. import seq2seq
from .._checks import check_choice, check_int, check_positive
from ..tasks import translation as corpus
from ..utils import get_device
from . import runner
from .runner import seeded, store, summarize

__all__ = ["EXPERIMENT", "MODELS", "DEFAULT_MODELS", "TranslationConfig", "default_config", "make_model",
           "run_translation", "run_translations"]

EXPERIMENT = "translation"

#: The models compared: settings of :class:`lstm_helpers.seq2seq.Seq2Seq`.
MODELS = {
    "lstm": {"cell": "lstm"},
    "lstm_reversed": {"cell": "lstm", "reverse_source": True},
    "lstm_attention": {"cell": "lstm", "attention": True},
    "gru": {"cell": "gru"},
    "gru_attention": {"cell": "gru", "attention": True},
}
DEFAULT_MODELS = ("lstm", "lstm_reversed", "lstm_attention", "gru")


@dataclass
class TranslationConfig:
    """Everything that defines the translation experiment.

    Attributes
    ----------
    n_train, n_test : int
        Sentences of the training and the test set (disjoint).
    max_gap : int
        Gaps (adverbs between the object and the main verb) of the training
        sentences are drawn from ``0 ... max_gap``.
    max_test_gap : int
        Those of the test sentences from ``0 ... max_test_gap`` (at least ``max_gap``).
    p_person : float
        Probability that the object is a person (a possible attractor).
    embedding, hidden : int
        Sizes of the embeddings and of the RNN states.
    batch_size : int
        Sentences per update.
    steps : int
        Weight updates (Adam).
    lr : float
        Learning rate.
    clip : float
        Threshold of the gradient norm.
    beam_size : int
        Beam of the beam-search evaluation.
    beam_sentences : int
        Test sentences decoded with beam search (the first ones).
    max_len : int
        Most tokens of a decoded sentence.
    """

    n_train: int = 20_000
    n_test: int = 1000
    max_gap: int = 8
    max_test_gap: int = 16
    p_person: float = 0.5
    embedding: int = 32
    hidden: int = 64
    batch_size: int = 64
    steps: int = 3000
    lr: float = 3e-3
    clip: float = 1.0
    beam_size: int = 4
    beam_sentences: int = 200
    max_len: int = 30

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise ``ValueError`` naming the valid values unless every field is valid (run at construction)."""
        for name in ("n_train", "n_test", "embedding", "hidden", "batch_size", "steps", "beam_size",
                     "beam_sentences", "max_len"):
            check_int(name, getattr(self, name), 1)
        check_int("max_gap", self.max_gap, 0)
        check_int("max_test_gap", self.max_test_gap, self.max_gap)
        if self.n_train + self.n_test > corpus.n_sentences(range(self.max_gap + 1)):
            raise ValueError(f"n_train + n_test = {self.n_train + self.n_test} exceeds the "
                             f"{corpus.n_sentences(range(self.max_gap + 1))} different sentences with gaps "
                             f"0 ... {self.max_gap}")
        if isinstance(self.p_person, bool) or not 0.0 <= float(self.p_person) <= 1.0:
            raise ValueError(f"p_person must be a probability in [0, 1], got {self.p_person!r}")
        for name in ("lr", "clip"):
            check_positive(name, getattr(self, name))
        if self.max_len < self.max_test_gap + 12:
            raise ValueError(f"max_len must be at least max_test_gap + 12 = {self.max_test_gap + 12} (the "
                             f"longest target), got {self.max_len}")

    @property
    def name(self) -> str:
        """File stem of the stored result: ``"translation"``."""
        return "translation"

    @property
    def gaps(self):
        """The gaps of the training sentences."""
        return range(self.max_gap + 1)

    @property
    def test_gaps(self):
        """The gaps of the test sentences."""
        return range(self.max_test_gap + 1)

    def split(self, seed):
        """The training and the test set of ``seed`` (:func:`lstm_helpers.tasks.translation.translation_split`)."""
        return corpus.translation_split(self.n_train, self.n_test, np.random.default_rng(seed), self.gaps,
                                        self.p_person, test_gaps=self.test_gaps)


def default_config(quick=False):
    """The stored configuration, or (``quick``) a tiny one for tests."""
    if quick:
        return TranslationConfig(n_train=200, n_test=40, max_gap=2, max_test_gap=3, embedding=8, hidden=8,
                                 batch_size=16, steps=3, beam_size=2, beam_sentences=4, max_len=15)
    return TranslationConfig()


def make_model(name, src_vocab=None, tgt_vocab=None, embedding=32, hidden=64):
    """The encoder-decoder ``name`` of :data:`MODELS`, for the corpus's vocabularies by default.

    Raises
    ------
    ValueError
        If ``name`` is unknown or a size is invalid.
    """
    check_choice("model", name, tuple(MODELS))
    src_vocab = len(corpus.source_vocabulary()) if src_vocab is None else src_vocab
    tgt_vocab = len(corpus.target_vocabulary()) if tgt_vocab is None else tgt_vocab
    return seq2seq.Seq2Seq(src_vocab, tgt_vocab, embedding=embedding, hidden=hidden, pad=corpus.PAD,
                           bos=corpus.BOS, eos=corpus.EOS, **MODELS[name])


def _tensors(data, device, rows=slice(None)):
    return tuple(torch.as_tensor(np.ascontiguousarray(a[rows]), device=device)
                 for a in (data.src, data.src_lengths, data.tgt))


def _keys(d):
    return {str(k): v for k, v in d.items()}


def _probe(model, data, device):
    src, lengths, _ = _tensors(data, device)
    h, c = seq2seq.encoder_states(model, src, lengths)
    out = {}
    for key, states in (("probe_hidden", h), ("probe_cell", c)):
        if states is None:
            continue
        if model.reverse_source:  # back to the English word order
            index = seq2seq._reverse(torch.arange(states.shape[1]).expand(len(src), -1), lengths)
            states = states.gather(1, index[:, :, None].expand_as(states))
        acc = seq2seq.probe_accuracy(states, data.gender, lengths=data.src_lengths)
        out[key] = [None if math.isnan(a) else round(float(a), 4) for a in acc]
    return out


def run_translation(config, model="lstm", seed=0, device="cpu", threads=1, progress=False, data=None):
    """Train one model with one seed and measure it on the test set.

    Parameters
    ----------
    config : TranslationConfig
    model : str
        A key of :data:`MODELS`.
    seed : int
        Seeds the data (unless ``data`` is given), the weights and the order of the batches.
    device : str or torch.device
    threads : int or None
        CPU threads (None: leave as is).
    progress : bool
        Unused (kept for the runner's convention).
    data : (ParallelSentences, ParallelSentences), optional
        The training and test set (default: drawn from ``seed``).

    Returns
    -------
    dict
        ``seed``, ``exact_match``, ``exact_match_unseen``,
        ``exact_match_by_gap``, ``exact_match_beam``,
        ``exact_match_greedy_subset``, ``beam_log_prob_gain``,
        ``agreement_by_distance``, ``word_by_distance``, ``probe_hidden`` (and for LSTMs
        ``probe_cell``), ``test_loss``, ``test_accuracy`` (= ``exact_match``),
        ``train_loss`` (mean of the last 100 updates), ``curve`` (mean loss of
        each block of 100 updates), ``parameters``, ``seconds``.
    """
    check_choice("model", model, tuple(MODELS))
    seed = check_int("seed", seed, 0)
    config.validate()
    device = torch.device(device)
    start = time.perf_counter()
    train, test = config.split(seed) if data is None else data
    with runner.threads(threads), seeded(seed, isolated=True):
        net = make_model(model, embedding=config.embedding, hidden=config.hidden).to(device)
        losses = seq2seq.fit(net, train, steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                             clip=config.clip, seed=seed)
        net.eval()
        src, lengths, tgt = _tensors(test, device)
        with torch.no_grad():
            logits = net(src, lengths, seq2seq.shift_right(tgt, net.bos))
            test_loss = float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                                tgt.reshape(-1), ignore_index=net.pad))
        greedy = seq2seq.greedy_decode(net, src, lengths, config.max_len)
        seen = torch.as_tensor(test.gap <= config.max_gap)
        by_gap = {int(g): seq2seq.exact_match(greedy.tokens[torch.as_tensor(test.gap == g)],
                                              tgt[torch.as_tensor(test.gap == g)], net.eos)
                  for g in np.unique(test.gap)}
        rows = torch.nonzero(seen).squeeze(1)[:config.beam_sentences]
        beam = seq2seq.beam_decode(net, src[rows], lengths[rows], config.beam_size, config.max_len)
        run = {
            "seed": seed,
            "exact_match": seq2seq.exact_match(greedy.tokens[seen], tgt[seen], net.eos),
            "exact_match_unseen": (seq2seq.exact_match(greedy.tokens[~seen], tgt[~seen], net.eos)
                                   if bool((~seen).any()) else None),
            "exact_match_by_gap": _keys(by_gap),
            "exact_match_beam": seq2seq.exact_match(beam.tokens, tgt[rows], net.eos),
            "exact_match_greedy_subset": seq2seq.exact_match(greedy.tokens[rows], tgt[rows], net.eos),
            "beam_log_prob_gain": round(float((beam.log_prob - greedy.log_prob[rows]).mean()), 6),
            "agreement_by_distance": _keys(seq2seq.agreement_choice_by_distance(logits, tgt, test.other,
                                                                                test.distance)),
            "word_by_distance": _keys(seq2seq.agreement_by_distance(greedy.tokens, tgt, test.distance)),
            **_probe(net, test, device),
            "test_loss": test_loss,
        }
    run["test_accuracy"] = run["exact_match"]
    run["train_loss"] = float(np.mean(losses[-100:]))
    run["curve"] = [round(float(np.mean(losses[i:i + 100])), 5) for i in range(0, len(losses), 100)]
    run["parameters"] = sum(p.numel() for p in net.parameters())
    run["seconds"] = round(time.perf_counter() - start, 1)
    return run


def _mean_maps(maps):
    keys = sorted({k for m in maps for k in m}, key=int)
    return {k: float(np.mean([m[k] for m in maps if k in m])) for k in keys}


def run_translations(config, models=DEFAULT_MODELS, seeds=(0, 1, 2), *, device="auto", threads=1, out=None,
                     progress=True, log=print, command=None):
    """Run every model with several seeds; write and return the results.

    Parameters
    ----------
    config : TranslationConfig
    models : sequence of str
        Keys of :data:`MODELS`.
    seeds : sequence of int
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    threads : int or None
        CPU threads of every run.
    out : str or pathlib.Path, optional
        Where to write the JSON (:func:`lstm_helpers.experiments.runner.store`).
    progress : bool
        Unused (the runs print no bars).
    log : callable or None
        Called with one line per finished run.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        ``schema_version``, ``experiment``, ``name``, ``task`` (``"translation"``),
        ``config``, ``models`` (per model: ``model``, ``settings``,
        ``exact_match``, ``exact_match_unseen``, ``exact_match_beam``,
        ``exact_match_by_gap``, ``agreement_by_distance``,
        ``word_by_distance``, ``runs``, ``summary``), ``max_seen_distance``,
        ``seeds``, ``example`` (one test sentence and its reference), and the
        provenance of :func:`lstm_helpers.experiments.runner.provenance`.
    """
    for m in models:
        check_choice("model", m, tuple(MODELS))
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds or not models:
        raise ValueError("models and seeds must each hold at least one entry")
    dev = get_device(device)
    start = time.perf_counter()
    datasets = {s: config.split(s) for s in seeds}
    results = {}
    for name in models:
        runs = []
        for s in seeds:
            run = run_translation(config, name, s, device=dev, threads=threads if dev.type == "cpu" else None,
                                  data=datasets[s])
            if log is not None:
                agree = run["agreement_by_distance"]
                far = max(agree, key=int)
                log(f"translation {name} seed {s}: exact match {run['exact_match']:.3f} (beam "
                    f"{run['exact_match_beam']:.3f}), agreement at distance 2 {agree['2']:.3f}, at {far} "
                    f"{agree[far]:.3f}; {run['seconds']:.1f} s")
            runs.append(run)
        results[name] = {
            "model": name,
            "settings": MODELS[name],
            "exact_match": float(np.mean([r["exact_match"] for r in runs])),
            "exact_match_unseen": (None if runs[0]["exact_match_unseen"] is None
                                   else float(np.mean([r["exact_match_unseen"] for r in runs]))),
            "exact_match_beam": float(np.mean([r["exact_match_beam"] for r in runs])),
            "exact_match_by_gap": _mean_maps([r["exact_match_by_gap"] for r in runs]),
            "agreement_by_distance": _mean_maps([r["agreement_by_distance"] for r in runs]),
            "word_by_distance": _mean_maps([r["word_by_distance"] for r in runs]),
            "runs": runs,
            "summary": summarize(runs),
        }
    test = datasets[seeds[0]][1]
    data = {
        "schema_version": runner.SCHEMA_VERSION,
        "experiment": EXPERIMENT,
        "name": config.name,
        "task": "translation",
        "config": asdict(config),
        "seeds": seeds,
        "max_seen_distance": config.max_gap + 9,
        "example": {"source": corpus.decode_translation(test.src[0], "en"),
                    "reference": corpus.decode_translation(test.tgt[0], "cs")},
        "models": results,
        **runner.provenance(dev, threads, start, command),
    }
    if out is not None:
        data = store(data, pathlib.Path(out))
    return data


# --------------------------------------------------------------------------- command line


_OPTIONS = {
    "n-train": "training sentences", "n-test": "test sentences (disjoint from training)",
    "max-gap": "longest gap (adverbs) of the training sentences", "max-test-gap": "longest gap of the test sentences",
    "hidden": "units of the RNNs", "embedding": "size of the token embeddings", "batch-size": "sentences per update",
    "steps": "weight updates (Adam)", "beam-size": "beam of the beam-search evaluation",
    "beam-sentences": "test sentences decoded with beam search",
}


def _add_arguments(p):
    defaults = TranslationConfig()
    for opt, text in _OPTIONS.items():
        p.add_argument(f"--{opt}", type=int, help=f"{text} (default {getattr(defaults, opt.replace('-', '_'))})")
    p.add_argument("--lr", type=float, help=f"learning rate (default {defaults.lr})")


def _make_config(args):
    config = default_config(quick=args.quick)
    if args.max_gap is not None and args.max_gap < 0:
        raise ValueError(f"--max-gap must be >= 0, got {args.max_gap}")
    from dataclasses import replace

    if args.max_gap is not None or args.max_test_gap is not None:
        max_gap = config.max_gap if args.max_gap is None else args.max_gap
        max_test_gap = max(max_gap, config.max_test_gap) if args.max_test_gap is None else args.max_test_gap
        config = replace(config, max_gap=max_gap, max_test_gap=max_test_gap,
                         max_len=max(config.max_len, max_test_gap + 12))
    return runner.override(config, args, ("n_train", "n_test", "hidden", "embedding", "batch_size", "steps",
                                          "beam_size", "beam_sentences", "lr"))


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    return run_translations(config, models, seeds, device=device, threads=threads, out=out, progress=progress,
                            log=log, command=command)


def _report(data):
    distances = sorted({d for e in data["models"].values() for d in e["agreement_by_distance"]}, key=int)
    width = max(len("model"), *(len(m) for m in data["models"])) + 2
    lines = [f"exact match (greedy; gaps seen in training, longer gaps, beam of {data['config']['beam_size']}) and "
             f"agreement (right gender) by distance; distances above {data['max_seen_distance']} never occur "
             "in training",
             f"{'model':<{width}}{'exact':>7}{'unseen':>7}{'beam':>7}  " + " ".join(f"{d:>5}" for d in distances)]
    for name, e in data["models"].items():
        agree = " ".join(f"{e['agreement_by_distance'][d]:5.3f}" for d in distances)
        unseen = "" if e["exact_match_unseen"] is None else f"{e['exact_match_unseen']:.3f}"
        lines.append(f"{name:<{width}}{e['exact_match']:7.3f}{unseen:>7}{e['exact_match_beam']:7.3f}  {agree}")
    return "\n".join(lines)


runner.register(runner.Experiment(
    name=EXPERIMENT, help="English -> Czech-like translation with gender agreement at a distance "
                          "(encoder-decoder LSTM, reversed, with attention, GRU)",
    models=tuple(MODELS), default_models=DEFAULT_MODELS, default_seeds=(0, 1, 2),
    add_arguments=_add_arguments, make_config=_make_config, run=_run, report=_report))
