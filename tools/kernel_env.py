"""Print the CPU kernel selection under which `make test` compares stored outputs.

    python tools/kernel_env.py                      # print the selection (KEY=VALUE lines)
    python tools/kernel_env.py --run -- pytest ...  # run a command under it (what `make test` does)

Chapters are stored by `make execute` with the kernels each library picks by itself
on the storing machine. `make test` re-runs them with every library forced one step
below what this machine would pick, so the SIMD code paths differ from the stored run
on any x86-64 machine with AVX2 or better. It is a stand-in for another machine: a
compared output that depends on the last bits of a matrix product fails here.

The switches are the documented ones of each library:

- ``ATEN_CPU_CAPABILITY`` -- PyTorch's vectorised kernels (``default``, ``avx2``, ``avx512``);
- ``MKL_CBWR`` -- MKL's conditional numerical reproducibility branch (PyTorch's BLAS);
- ``ONEDNN_MAX_CPU_ISA`` -- the highest instruction set oneDNN may use (PyTorch's LSTM, convolutions);
- ``NPY_DISABLE_CPU_FEATURES`` -- NumPy's run-time dispatched SIMD targets.

``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are left as they are: some machines need
them set for older OpenBLAS builds to start at all.

Under ``--run`` the compiled kernels of ``torch.compile`` are cached in a folder of their
own for this selection (``TORCHINDUCTOR_CACHE_DIR``, unless it is set already): a kernel
compiled and cached under the native selection must not be loaded under the forced one,
whose vector instructions differ (the cache's key does not tell them apart).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile

# one step below, per library: (native-at-least, forced)
_ATEN = {"AVX512": "avx2", "AVX2": "default"}
_MKL = [("AVX512F", "AVX2"), ("AVX2", "SSE4_2")]
_ONEDNN = [("AVX512F", "AVX2"), ("AVX2", "SSE41")]


def _numpy_features():
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return __cpu_features__, list(__cpu_dispatch__)


def selection() -> tuple[dict[str, str], dict[str, str]]:
    """Return (the forced environment, what this machine picks natively)."""
    import torch

    features, dispatch = _numpy_features()
    native_aten = torch.backends.cpu.get_cpu_capability()
    env: dict[str, str] = {}
    native = {"ATEN_CPU_CAPABILITY": native_aten.lower()}
    if native_aten in _ATEN:
        env["ATEN_CPU_CAPABILITY"] = _ATEN[native_aten]
    if platform.machine().lower() in ("x86_64", "amd64"):
        for have, forced in _MKL:
            if features.get(have):
                env["MKL_CBWR"] = forced
                break
        else:
            env["MKL_CBWR"] = "COMPATIBLE"
        for have, forced in _ONEDNN:
            if features.get(have):
                env["ONEDNN_MAX_CPU_ISA"] = forced
                break
        native["MKL_CBWR"] = native["ONEDNN_MAX_CPU_ISA"] = "best available"
    used = [name for name in dispatch if features.get(name)]
    if used:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(used)
        native["NumPy dispatch"] = " ".join(used)
    return env, native


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="store_true",
                        help="run the command after -- with the selection in its environment")
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    env, native = selection()
    if not args.run:
        print("# this machine picks: " + ", ".join(f"{k}={v}" for k, v in native.items()))
        for key, value in env.items():
            print(f"{key}={value}")
        return 0
    if not command:
        parser.error("--run needs a command after --")
    print("CPU kernels for this run (stored outputs used the native ones): "
          + ", ".join(f"{k}={v}" for k, v in env.items()), flush=True)
    os.environ.update(env)
    if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        user = os.environ.get("USER") or str(os.getuid())
        tag = "_".join(v for k, v in env.items() if k != "NPY_DISABLE_CPU_FEATURES").lower()
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), f"torchinductor_{user}_{tag}")
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
