"""Run notebooks top to bottom in a fresh kernel and store their outputs.

    python tools/execute_notebooks.py notebooks/*.ipynb

A notebook that raises, or that writes anything to stderr (a warning, a
progress bar left on stderr), fails the run and is not written back: stored
chapters are clean runs that nbval can reproduce in strict mode.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import setup_cell_source  # noqa: E402

KERNEL_ENV = {"PYTHONHASHSEED": "0", "PYTHONWARNINGS": "default", "TQDM_DISABLE": "0"}


def execute(path: pathlib.Path, timeout: int = 600) -> float:
    """Execute ``path`` in place; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    if path.parent.name == "notebooks":
        first = next(c for c in nb.cells if c.cell_type == "code")
        if first.source != setup_cell_source():
            raise SystemExit(f"{path}: first code cell is not the shared setup cell (run `make sync`)")
    os.environ.update(KERNEL_ENV)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i}: stderr: {out.text.strip()[:300]}")
    if problems:
        raise SystemExit(f"{path}: not stored, it wrote to stderr:\n  " + "\n  ".join(problems))
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--timeout", type=int, default=600, help="per cell, seconds")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        seconds = execute(path, args.timeout)
        print(f"{path}: executed in {seconds:.1f} s and stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
