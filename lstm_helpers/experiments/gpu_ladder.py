"""The speed ladder of one LSTM layer, a task definition on :mod:`~lstm_helpers.experiments.runner`.

Run from the repository root::

    python -m lstm_helpers.experiments gpu_ladder --device auto --out book/data/gpu

It runs :func:`lstm_helpers.cells.fast.ladder` at the shape of the device
(a GPU: ``T=100, B=64, H=512, I=512``; a CPU: ``T=50, B=32, H=128,
I=128``; ``--T``, ``--batch``, ``--hidden``, ``--input-size`` override it)
and :func:`lstm_helpers.cells.fast.compile_sweep` (the whole loop compiled
for ``T`` = 5, 10, 20, ``--compile-steps``; each compiled twice, the
shorter time counts, ``--compile-attempts``; always from scratch, without
``torch.compile``'s on-disk caches, unless ``--compile-cache``), and stores one JSON file named
after the device, ``<device type>_<device name>.json`` (e.g.
``cpu_intel_xeon_processor.json``, ``cuda_nvidia_h100_80gb_hbm3.json``;
a shape other than the device's default adds ``_T.._B.._H.._I..``, so a
quick run never overwrites the stored one). ``--models`` picks rungs of
:data:`~lstm_helpers.cells.fast.RUNGS` (``nn_lstm`` is always timed, the
ratios need it); ``--seeds`` seeds the weights and the input (default 0;
the compile sweep runs for the first seed only).

On a CPU the runs use ``--threads`` threads (the runner's default, 1: the
numbers do not depend on the core count nor on other work on the other
cores); on a GPU TF32 tensor cores are switched off (``--tf32`` allows them),
so every rung computes in true float32 and the % of peak is of the float32
peak.

How the ladder is stored
------------------------
The runner's: ``models: {rung: {"runs": [...], "summary": {...}}}``, one
run per seed. A run is what :func:`~lstm_helpers.cells.fast.ladder` returns
for that rung (``timing``, ``ms_per_step``, ``ratio_to_nn_lstm``,
``gflops_per_s``, ``percent_of_peak``, ``check``, ``unsynchronized``,
``first_step_seconds``, ``compile_seconds``) with its ``seed``. The
``summary`` is this module's own (:func:`summarize_rung`: medians over the
seeds of the timings, whether every check held), not
:func:`~lstm_helpers.experiments.runner.summarize`, which summarises
training runs. Besides: ``shape``, ``flops_per_step`` (useful FLOP of one
training step, :func:`lstm_helpers.bench.lstm_flops` with ``training=True``),
``forward_flops``, ``forward_bytes`` and ``arithmetic_intensity`` (of the
forward pass: :func:`~lstm_helpers.bench.lstm_flops`,
:func:`~lstm_helpers.bench.lstm_bytes`,
:func:`~lstm_helpers.bench.arithmetic_intensity`), ``peak``,
``compiler_startup_seconds``, ``compile_sweep``, ``device``, ``device_name``, ``software`` (torch, CUDA,
cuDNN, driver), ``hardware``, ``threads``, ``tf32``, ``version``,
``wall_seconds`` and ``command``.

The runner's own helpers look for stored files in ``book/data/gpu_ladder``
(the experiment's name); :func:`load_ladder` and :func:`stored_ladders` read
``book/data/gpu`` (:data:`DATA_FOLDER`), where the ladder is stored.
"""

from __future__ import annotations

import pathlib
import re
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass

import torch

from .._checks import check_int
from ..bench import arithmetic_intensity, lstm_bytes, lstm_flops
from ..cells import fast
from ..utils import data_dir, get_device
from . import runner
from .runner import store

__all__ = [
    "EXPERIMENT",
    "DATA_FOLDER",
    "QUICK_SHAPE",
    "LadderConfig",
    "default_config",
    "device_slug",
    "software",
    "summarize_rung",
    "run_ladder",
    "ladder_table",
    "load_ladder",
    "stored_ladders",
]

EXPERIMENT = "gpu_ladder"
#: The folder of ``book/data`` the ladder is stored in.
DATA_FOLDER = "gpu"
#: The tiny shape of ``--quick``.
QUICK_SHAPE = fast.LadderShape(T=6, batch=4, hidden=8, input_size=8)


def device_slug(device_type, device_name):
    """The file stem of a device: its type and its name in lower case, ``(R)`` and ``(TM)`` dropped.

    Examples
    --------
    >>> device_slug("cpu", "Intel(R) Xeon(R) Processor")
    'cpu_intel_xeon_processor'
    >>> device_slug("cuda", "NVIDIA H100 80GB HBM3")
    'cuda_nvidia_h100_80gb_hbm3'
    """
    name = re.sub(r"\((r|tm)\)", "", str(device_name), flags=re.IGNORECASE)
    name = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "unknown"
    return f"{device_type}_{name}"


@dataclass
class LadderConfig:
    """Everything that defines one stored ladder.

    Attributes
    ----------
    device : str
        The device, resolved (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).
    device_name : str
        Its name (the GPU's, or the CPU's model name).
    T, batch, hidden, input_size : int
        The shape timed (:class:`~lstm_helpers.cells.fast.LadderShape`).
    rungs : tuple of str
        Names from :data:`~lstm_helpers.cells.fast.RUNGS`.
    repeats : int
        Timed training steps per rung.
    warmup : int
        Untimed training steps before them.
    compile_steps : tuple of int
        Sequence lengths of the whole-loop compile sweep (empty: no sweep).
    compile_attempts : int
        Fresh compilations per length of the sweep; the shortest counts.
    cold_compile : bool
        Compile without ``torch.compile``'s on-disk caches.
    tf32 : bool
        Allow TF32 tensor cores on a GPU.
    default_shape : tuple of int
        ``(T, batch, hidden, input_size)`` of the device's default; another
        shape adds it to :attr:`name`.
    """

    device: str = "cpu"
    device_name: str = "cpu"
    T: int = fast.CPU_SHAPE.T
    batch: int = fast.CPU_SHAPE.batch
    hidden: int = fast.CPU_SHAPE.hidden
    input_size: int = fast.CPU_SHAPE.input_size
    rungs: tuple = fast.RUNGS
    repeats: int = 20
    warmup: int = 3
    compile_steps: tuple = (5, 10, 20)
    compile_attempts: int = 2
    cold_compile: bool = True
    tf32: bool = False
    default_shape: tuple = tuple(asdict(fast.CPU_SHAPE).values())

    def __post_init__(self):
        self.rungs, self.compile_steps = tuple(self.rungs), tuple(self.compile_steps)
        self.default_shape = tuple(self.default_shape)
        self.validate()

    def validate(self):
        """Raise ``ValueError`` naming the valid values unless every field is valid (run at construction)."""
        for name in ("T", "batch", "hidden", "input_size", "repeats"):
            check_int(name, getattr(self, name), 1)
        check_int("warmup", self.warmup, 0)
        check_int("compile_attempts", self.compile_attempts, 1)
        bad = [r for r in self.rungs if r not in fast.RUNGS]
        if bad or not self.rungs:
            raise ValueError(f"rungs must be one or more of {', '.join(fast.RUNGS)}; "
                             f"got {', '.join(map(repr, bad)) or 'none'}")
        for T in self.compile_steps:
            check_int("every length of compile_steps", T, 1)
        if len(self.default_shape) != 4:
            raise ValueError(f"default_shape must be (T, batch, hidden, input_size), got {self.default_shape!r}")

    @property
    def shape(self):
        """The :class:`~lstm_helpers.cells.fast.LadderShape` timed."""
        return fast.LadderShape(self.T, self.batch, self.hidden, self.input_size)

    @property
    def name(self) -> str:
        """File stem: ``<device type>_<device name>``, plus ``_T.._B.._H.._I..`` for a non-default shape."""
        stem = device_slug(torch.device(self.device).type, self.device_name)
        if (self.T, self.batch, self.hidden, self.input_size) != self.default_shape:
            stem += f"_T{self.T}_B{self.batch}_H{self.hidden}_I{self.input_size}"
        return stem


def default_config(device="auto", quick=False):
    """The configuration for ``device``: the GPU shape on CUDA, the CPU shape elsewhere.

    ``quick`` takes a tiny shape (:data:`QUICK_SHAPE`), 2 timed steps after
    1 warm-up step, a sweep over ``T`` = 2 and 4 with one compilation each
    and ``torch.compile``'s on-disk caches, for tests.

    Raises
    ------
    ValueError
        If ``device`` is not a device name, or names CUDA where there is none.
    """
    dev = get_device(device)
    default = fast.GPU_SHAPE if dev.type == "cuda" else fast.CPU_SHAPE
    shape = QUICK_SHAPE if quick else default
    extra = dict(repeats=2, warmup=1, compile_steps=(2, 4), compile_attempts=1, cold_compile=False) if quick else {}
    return LadderConfig(device=str(dev), device_name=fast._device_name(dev), **shape.as_dict(),
                        default_shape=tuple(default.as_dict().values()), **extra)


def _driver():
    """The NVIDIA driver version from ``nvidia-smi``, or None."""
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def software(device):
    """The software that ran the ladder: ``torch``, and on CUDA ``cuda``, ``cudnn`` and ``driver``.

    ``cuda`` is ``torch.version.cuda`` (the CUDA PyTorch was built with),
    ``cudnn`` is ``torch.backends.cudnn.version()`` and ``driver`` the NVIDIA
    driver's version from ``nvidia-smi`` (None where it cannot be read).
    Off CUDA the three are None.
    """
    cuda = torch.device(device).type == "cuda"
    return {"torch": torch.__version__, "cuda": torch.version.cuda if cuda else None,
            "cudnn": torch.backends.cudnn.version() if cuda else None, "driver": _driver() if cuda else None}


def _median(values):
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


def summarize_rung(runs):
    """Summary of one rung over its runs (one per seed).

    Returns
    -------
    dict
        ``n_runs``, the medians over the runs of ``ms_per_step``,
        ``ratio_to_nn_lstm``, ``gflops_per_s``, ``percent_of_peak`` and
        ``compile_seconds`` (None where no run has one), and ``all_equal``
        (every run's check held).

    Raises
    ------
    ValueError
        If ``runs`` is empty.
    """
    if not runs:
        raise ValueError("runs must hold at least one run (a dict per seed)")
    summary = {"n_runs": len(runs)}
    for key in ("ms_per_step", "ratio_to_nn_lstm", "gflops_per_s", "percent_of_peak", "compile_seconds"):
        summary[f"{key}_median"] = _median([r[key] for r in runs])
    summary["all_equal"] = all(r["check"]["equal"] for r in runs)
    return summary


def run_ladder(config, models=None, seeds=(0,), *, threads=1, out=None, log=print, command=None):
    """Run the ladder of ``config`` for each seed and the compile sweep; write and return the result.

    Parameters
    ----------
    config : LadderConfig
    models : sequence of str, optional
        Rungs to run instead of ``config.rungs``.
    seeds : sequence of int
        Seeds of the weights and the input.
    threads : int or None
        CPU threads (:func:`lstm_helpers.experiments.runner.threads`); None
        leaves them alone. Ignored on a GPU.
    out : str or pathlib.Path, optional
        Where to write the JSON (:func:`lstm_helpers.experiments.runner.store`).
    log : callable or None
        Called with one line per finished rung and sweep length.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        The layout described in the module docstring ("How the ladder is stored").

    Raises
    ------
    ValueError
        If a rung is unknown or a seed is not a non-negative integer.
    """
    if models is not None:
        config = LadderConfig(**{**asdict(config), "rungs": tuple(models)})
    config.validate()
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    dev = torch.device(config.device)
    cpu = dev.type == "cpu"
    start = time.perf_counter()
    shape = config.shape
    runs, sweep, first = {}, None, None
    with runner.threads(threads if cpu else None):
        n_threads = torch.get_num_threads() if cpu else None
        for seed in seeds:
            result = fast.ladder(shape, dev, rungs=config.rungs, repeats=config.repeats, warmup=config.warmup,
                                 seed=seed, cold_compile=config.cold_compile, tf32=config.tf32, log=log)
            first = first or result
            for rung, entry in result["rungs"].items():
                runs.setdefault(rung, []).append({"seed": seed, **entry})
        if config.compile_steps:
            sweep = {"batch": shape.batch, "hidden": shape.hidden, "input_size": shape.input_size,
                     "cold": config.cold_compile, "seed": seeds[0],
                     "attempts": config.compile_attempts,
                     "rows": fast.compile_sweep(shape, dev, config.compile_steps, attempts=config.compile_attempts,
                                                seed=seeds[0], cold=config.cold_compile, tf32=config.tf32,
                                                log=log)}
    models_out = {rung: {"runs": r, "summary": summarize_rung(r)} for rung, r in runs.items()}
    data = {
        "schema_version": runner.SCHEMA_VERSION,
        "experiment": EXPERIMENT,
        "name": config.name,
        "config": asdict(config),
        "seeds": seeds,
        "shape": shape.as_dict(),
        "training_step": "gradients set to None, forward, loss mean(output ** 2), backward; no optimiser",
        "dtype": "float32",
        "flops_per_step": first["flops_per_step"],
        "forward_flops": lstm_flops(shape.batch, shape.hidden, shape.input_size, steps=shape.T),
        "forward_bytes": lstm_bytes(shape.batch, shape.hidden, shape.input_size, steps=shape.T),
        "arithmetic_intensity": arithmetic_intensity(shape.batch, shape.hidden, shape.input_size),
        "peak": first["peak"],
        "compiler_startup_seconds": first["compiler_startup_seconds"],
        "models": models_out,
        "compile_sweep": sweep,
        "software": software(dev),
        "tf32": config.tf32,
        **runner.provenance(dev, n_threads, start, command),
        "device_name": first["device_name"],
    }
    if out is not None:
        data = store(data, pathlib.Path(out))
    return data


def ladder_table(data):
    """The stored ladder as a text table: rung, ms per training step, ratio to nn.LSTM, GFLOP/s, % of peak.

    Parameters
    ----------
    data : dict
        A result of :func:`run_ladder` or :func:`load_ladder`.

    Returns
    -------
    str
    """
    s = data["shape"]
    lines = [f"{data['device_name']} ({data['device']}, {data['threads'] or '-'} threads), T={s['T']}, "
             f"B={s['batch']}, H={s['hidden']}, I={s['input_size']}; one training step (forward + backward)",
             f"{'rung':<16}{'ms/step':>10}{'x nn.LSTM':>11}{'GFLOP/s':>10}{'% peak':>8}{'equal':>7}"]
    for rung, entry in data["models"].items():
        m = entry["summary"]
        peak = "-" if m["percent_of_peak_median"] is None else f"{m['percent_of_peak_median']:.1f}"
        lines.append(f"{rung:<16}{m['ms_per_step_median']:>10.2f}{m['ratio_to_nn_lstm_median']:>11.2f}"
                     f"{m['gflops_per_s_median']:>10.1f}{peak:>8}{str(m['all_equal']):>7}")
    if data.get("compiler_startup_seconds") is not None:
        compiled = data["models"]["fused_compiled"]["summary"]["compile_seconds_median"]
        lines.append(f"fused_compiled: compile {compiled:.1f} s after the compiler's start-up "
                     f"({data['compiler_startup_seconds']:.1f} s)")
    if data.get("compile_sweep"):
        for row in data["compile_sweep"]["rows"]:
            lines.append(f"whole loop compiled, T={row['T']:>3}: compile {row['compile_seconds']:6.1f} s, "
                         f"then {row['ms_per_step']:.2f} ms/step, equal {row['equal']}")
    return "\n".join(lines)


def load_ladder(name, folder=None):
    """Load one stored ladder, e.g. ``load_ladder("cpu_intel_xeon_processor")``.

    Parameters
    ----------
    name : str
        File stem (:attr:`LadderConfig.name`; :func:`stored_ladders` lists them).
    folder : str or pathlib.Path, optional
        Default ``book/data/gpu`` (:data:`DATA_FOLDER`, :func:`lstm_helpers.utils.data_dir`).

    Raises
    ------
    ValueError
        If there is no such file (the message lists the stored ones) or its
        schema is not the runner's :data:`~lstm_helpers.experiments.runner.SCHEMA_VERSION`.
    """
    return runner.load(EXPERIMENT, name, folder=data_dir(DATA_FOLDER) if folder is None else folder)


def stored_ladders(folder=None):
    """The file stems of the stored ladders in ``folder`` (default ``book/data/gpu``), sorted."""
    folder = data_dir(DATA_FOLDER) if folder is None else pathlib.Path(folder)
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


# --------------------------------------------------------------------------- command line


def _parse_steps(text):
    if str(text).strip().lower() == "none":
        return ()
    try:
        steps = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        steps = None
    if not steps or any(T < 1 for T in steps):
        raise ValueError(f"--compile-steps must be comma-separated positive sequence lengths such as 5,10,20, "
                         f"or none; got {text!r}")
    return tuple(dict.fromkeys(steps))


def _add_arguments(p):
    p.add_argument("--T", type=int, help="time steps (default: 100 on a GPU, 50 on a CPU)")
    p.add_argument("--batch", type=int, help="sequences per batch (default: 64 on a GPU, 32 on a CPU)")
    p.add_argument("--hidden", type=int, help="memory cells (default: 512 on a GPU, 128 on a CPU)")
    p.add_argument("--input-size", type=int, help="features per step (default: 512 on a GPU, 128 on a CPU)")
    p.add_argument("--repeats", type=int, help="timed training steps per rung (default 20)")
    p.add_argument("--warmup", type=int, help="untimed training steps first (default 3)")
    p.add_argument("--compile-steps", default=None,
                   help="sequence lengths of the whole-loop compile sweep, e.g. 5,10,20 (default), or none")
    p.add_argument("--compile-attempts", type=int,
                   help="fresh compilations per length of the sweep, the shortest counts (default 2)")
    p.add_argument("--compile-cache", action="store_true",
                   help="let torch.compile use its on-disk caches (default: measure a cold compile)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 tensor cores on a GPU (default: true float32)")


def _make_config(args):
    config = default_config(args.device, quick=args.quick)
    config = runner.override(config, args, ("T", "batch", "hidden", "input_size", "repeats", "compile_attempts"))
    changes = {}
    if args.warmup is not None:
        changes["warmup"] = check_int("--warmup", args.warmup, 0)
    if args.compile_steps is not None:
        changes["compile_steps"] = _parse_steps(args.compile_steps)
    if args.compile_cache:
        changes["cold_compile"] = False
    if args.tf32:
        changes["tf32"] = True
    return LadderConfig(**{**asdict(config), **changes})


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    # the device was resolved into the configuration (and its file name) by _make_config
    return run_ladder(config, models, seeds, threads=threads, out=out, log=log, command=command)


def _report(data):
    return ladder_table(data)


runner.register(runner.Experiment(
    name=EXPERIMENT, help="the speed ladder of one LSTM layer: from a Python loop to nn.LSTM, each rung "
                          "checked equal to nn.LSTM, then timed (stored in book/data/gpu)",
    models=fast.RUNGS, default_models=fast.RUNGS, default_seeds=(0,),
    add_arguments=_add_arguments, make_config=_make_config, run=_run, report=_report))
