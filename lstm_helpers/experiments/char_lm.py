"""The character-level language model, a task definition on :mod:`~lstm_helpers.experiments.runner`.

Run from the repository root; the stored result is::

    python -m lstm_helpers.experiments char_lm --out book/data/applications

which writes ``char_lm.json`` (and, with ``--save-weights lstm128``, the
trained weights of that model as ``char_lm_lstm128.pt``). Each model is a
:class:`~lstm_helpers.charlm.CharLM` of one size (``--models``, see
:data:`MODELS`), trained by stateful truncated BPTT
(:func:`~lstm_helpers.charlm.train_stateful`) on the training part of the
shipped corpus (:func:`~lstm_helpers.charlm.load_corpus`, cut 90/5/5 by
:func:`~lstm_helpers.charlm.split_text`) for a fixed number of seconds of
training time, with the validation bits per character measured every
``eval_every`` seconds (the learning curve); the weights of the measurement
with the lowest validation bpc are kept (early stopping) and their test bits
per character stored. The interpolated Kneser--Ney models of
:mod:`lstm_helpers.ngram` of orders 1 to ``max_order`` are the baselines,
measured on the same parts.

The stored file has ``task: "char_lm"``, ``ngram`` (per order: ``valid_bpc``,
``test_bpc``, ``discounts``), and per model ``model``, ``hidden``,
``parameters``, ``test_bpc``, ``valid_bpc`` (of the kept weights), ``best_at_seconds``, ``seconds`` and ``curve`` (a list
of ``[seconds, characters, valid bpc]``) in its run.
"""

from __future__ import annotations

import pathlib
import time
from dataclasses import asdict, dataclass

import torch

from .. import charlm
from .._checks import check_int, check_positive
from ..ngram import KneserNey
from ..utils import get_device
from . import runner
from .runner import store, summarize

__all__ = ["EXPERIMENT", "MODELS", "CharLMConfig", "default_config", "make_model", "run_model", "run_char_lm",
           "ngram_baselines"]

EXPERIMENT = "char_lm"
#: The model sizes: name -> hidden units H.
MODELS = {"lstm32": 32, "lstm64": 64, "lstm128": 128, "lstm256": 256}
#: Seconds of training time of each model in the stored run.
DEFAULT_SECONDS = {"lstm32": 60, "lstm64": 120, "lstm128": 240, "lstm256": 480}


@dataclass
class CharLMConfig:
    """Everything that defines one run of the character-model experiment.

    Attributes
    ----------
    seconds : dict of str -> float
        Training time of each model (evaluations not counted).
    embedding : int
        E, the size of a character's vector.
    dropout : float
        Dropout on ``h_t`` before the read-out (:class:`~lstm_helpers.charlm.CharLM`).
    batch_size : int
        Parallel streams of the training text.
    bptt : int
        Steps of one truncated-BPTT window.
    lr : float
        Adam's learning rate at the start.
    decay : bool
        Cosine decay of the learning rate to ``lr / 20`` over each model's seconds.
    clip : float
        Gradient-norm threshold.
    eval_every : float
        Seconds of training between two validation measurements.
    max_order : int
        The largest n-gram order of the baselines.
    save_weights : str or None
        A model of :data:`MODELS` whose trained weights (of the first seed) are
        stored beside the result as ``char_lm_<model>.pt``.
    """

    seconds: dict = None
    embedding: int = 32
    dropout: float = 0.2
    batch_size: int = 64
    bptt: int = 64
    lr: float = 4e-3
    decay: bool = True
    clip: float = 1.0
    eval_every: float = 15.0
    max_order: int = 5
    save_weights: str | None = None

    def __post_init__(self):
        if self.seconds is None:
            self.seconds = dict(DEFAULT_SECONDS)
        self.validate()

    def validate(self):
        """Raise ``ValueError`` naming the valid values unless every field is valid."""
        bad = [m for m in self.seconds if m not in MODELS]
        if bad:
            raise ValueError(f"seconds names unknown models {bad}; valid: {', '.join(MODELS)}")
        for name, value in [*self.seconds.items(), ("lr", self.lr), ("clip", self.clip),
                            ("eval_every", self.eval_every)]:
            check_positive(name, value)
        for name in ("embedding", "batch_size", "bptt", "max_order"):
            check_int(name, getattr(self, name), 1)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}")
        if self.save_weights is not None and self.save_weights not in MODELS:
            raise ValueError(f"save_weights must be None or one of {', '.join(MODELS)}; got {self.save_weights!r}")

    @property
    def name(self) -> str:
        """File stem of the stored result."""
        return EXPERIMENT


def default_config(quick=False):
    """The stored configuration, or (``quick``) a few seconds per model, for tests."""
    if quick:
        return CharLMConfig(seconds={m: 2.0 for m in MODELS}, eval_every=1.0, max_order=3, bptt=32)
    return CharLMConfig()


def make_model(name, vocab_size, embedding=32, dropout=0.0):
    """The :class:`~lstm_helpers.charlm.CharLM` of size ``name`` (:data:`MODELS`)."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {name!r}")
    return charlm.CharLM(vocab_size, MODELS[name], embedding, dropout)


def ngram_baselines(train, valid, test, vocab, max_order=5):
    """Bits per character of the Kneser--Ney models of orders 1 to ``max_order``.

    Returns
    -------
    dict
        ``{str(n): {"valid_bpc", "test_bpc", "discounts"}}``.
    """
    out = {}
    for n in range(1, check_int("max_order", max_order, 1) + 1):
        model = KneserNey(train, n, vocab=vocab)
        out[str(n)] = {"valid_bpc": model.bits_per_char(valid), "test_bpc": model.bits_per_char(test),
                       "discounts": list(model.discounts)}
    return out


def run_model(config, name, seed, parts, vocab, *, threads=1, log=None, weights=None):
    """Train one model with one seed; return its run (see the module docstring).

    ``parts`` are the encoded ``(train, valid, test)`` streams; ``weights``, a
    path, saves the trained ``state_dict`` there.
    """
    train, valid, test = parts
    with runner.threads(threads), runner.seeded(seed, isolated=True):
        model = make_model(name, len(vocab), config.embedding, config.dropout)
        fit = charlm.train_stateful(model, train, batch_size=config.batch_size, bptt=config.bptt, lr=config.lr,
                                    decay=config.decay,
                                    clip=config.clip, seconds=config.seconds[name], valid_ids=valid,
                                    eval_every=config.eval_every, keep_best=True, seed=seed,
                                    log=None if log is None else (lambda line: log(f"{name} seed {seed}: {line}")))
        test_bpc = charlm.evaluate_bpc(model, test)
    if weights is not None:
        pathlib.Path(weights).parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), weights)
    return {"seed": seed, "model": name, "hidden": MODELS[name], "embedding": config.embedding,
            "parameters": model.n_parameters(), "test_bpc": test_bpc, "valid_bpc": fit["best"][2],
            "best_at_seconds": fit["best"][0],
            "test_loss": test_bpc, "seconds": fit["seconds"], "steps": fit["steps"], "chars": fit["chars"],
            "train_bpc": fit["train_bpc"], "curve": fit["curve"]}


def run_char_lm(config, models=None, seeds=(0,), *, device="cpu", threads=1, out=None, progress=False, log=print,
                command=None):
    """Train every model of ``models`` with every seed and measure the n-gram baselines; return (and store) the result."""
    models = list(config.seconds) if models is None else list(models)
    dev = get_device(device)
    if dev.type != "cpu":
        raise ValueError("the char_lm experiment runs on the CPU (its budget is seconds of CPU training)")
    start = time.perf_counter()
    text = charlm.load_corpus()
    vocab = charlm.Vocabulary(text)
    train, valid, test = charlm.split_text(text)
    parts = tuple(vocab.encode(p) for p in (train, valid, test))
    ngram = ngram_baselines(train, valid, test, vocab.chars, config.max_order)
    if log is not None:
        log("n-gram test bpc: " + ", ".join(f"n={n} {v['test_bpc']:.3f}" for n, v in ngram.items()))
    results = {}
    for name in models:
        runs = []
        for s in seeds:
            weights = None
            if config.save_weights == name and s == seeds[0] and out is not None:
                weights = pathlib.Path(out).parent / f"char_lm_{name}.pt"
            run = run_model(config, name, s, parts, vocab, threads=threads, log=log, weights=weights)
            if log is not None:
                log(f"{name} seed {s}: test {run['test_bpc']:.3f} bpc after {run['seconds']:.0f} s, "
                    f"{run['parameters']:,} parameters")
            runs.append(run)
        results[name] = {"runs": runs, "summary": summarize(runs)}
    data = {
        "schema_version": runner.SCHEMA_VERSION,
        "experiment": EXPERIMENT,
        "name": config.name,
        "task": "char_lm",
        "corpus": {"file": f"book/data/applications/{charlm.CORPUS_FILE}", "sha256": charlm.CORPUS_SHA256,
                   "characters": len(text), "vocabulary": len(vocab),
                   "split": [len(train), len(valid), len(test)]},
        "config": asdict(config),
        "seeds": list(seeds),
        "ngram": ngram,
        "models": results,
        "weights": None if config.save_weights is None else f"char_lm_{config.save_weights}.pt",
        **runner.provenance(dev, threads, start, command),
    }
    if out is not None:
        data = store(data, pathlib.Path(out))
    return data


# --------------------------------------------------------------------------- command line


def _add_arguments(p):
    p.add_argument("--seconds", type=float, help="training seconds of every model (default: per model)")
    p.add_argument("--bptt", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--eval-every", type=float)
    p.add_argument("--max-order", type=int)
    p.add_argument("--save-weights", choices=tuple(MODELS), help="store this model's trained weights beside the JSON")


def _make_config(args):
    config = default_config(args.quick)
    if args.save_weights is not None:
        config.save_weights = args.save_weights
        config.validate()
    if args.seconds is not None:
        if not args.seconds > 0:
            raise ValueError(f"--seconds must be positive, got {args.seconds}")
        config.seconds = {m: args.seconds for m in MODELS}
    return runner.override(config, args, ("bptt", "batch_size", "eval_every", "max_order"))


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    return run_char_lm(config, models, seeds, device="cpu" if device == "auto" else device, threads=threads, out=out,
                       progress=progress, log=log, command=command)


def _report(data):
    lines = [f"{'model':<10}{'parameters':>12}{'test bpc':>10}{'seconds':>9}"]
    for name, entry in data["models"].items():
        r = entry["runs"][0]
        lines.append(f"{name:<10}{r['parameters']:>12,}{r['test_bpc']:>10.3f}{r['seconds']:>9.0f}")
    lines += [f"{n}-gram (Kneser-Ney){'':<3}{v['test_bpc']:>10.3f}" for n, v in data["ngram"].items()]
    return "\n".join(lines)


runner.register(runner.Experiment(
    name=EXPERIMENT, help="a character-level LSTM language model on the course's own source, against n-grams",
    models=tuple(MODELS), default_models=tuple(MODELS), default_seeds=(0,),
    add_arguments=_add_arguments, make_config=_make_config, run=_run, report=_report))
