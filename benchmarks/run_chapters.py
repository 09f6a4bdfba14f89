"""Benchmark: run every chapter in a fresh kernel; print seconds, peak memory and what is compared.

    python benchmarks/run_chapters.py [notebooks ...] [--budget 60]

The notebooks are executed on a copy (nothing is stored). Wall time covers the
kernel start and every cell; peak memory is the largest resident set size of
the kernel process (and any children), sampled every 20 ms. Chapters over the
time budget are marked, and the exit status is 1 when any is over. The cell
columns count code cells, the cells whose output nbval compares (no
``NBVAL_IGNORE_OUTPUT``/``NBVAL_SKIP``), and the hidden assertion cells that
check the claims about the outputs that are not compared (CONTRIBUTING.md).

A second table lists the experiments too large for a chapter, whose stored
results (``book/data/<experiment>/*.json``) the chapters render: the command
that made each, its runs, the wall time it took and the device it ran on. They
are not re-run here; run a command to repeat one.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import re
import sys
import threading
import time

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


class PeakRSS(threading.Thread):
    """Sample the resident memory of a process tree until stopped."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self):
        try:
            proc = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            except psutil.Error:
                break
            self.peak = max(self.peak, rss)
            time.sleep(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()


def cell_counts(nb) -> tuple[int, int, int]:
    """(code cells, cells whose output nbval compares, hidden assertion cells) of a notebook."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    compared = [c for c in code if not re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP)", c.source)]
    asserting = [c for c in code if "remove-cell" in c.metadata.get("tags", [])
                 and re.search(r"^\s*assert\b", c.source, re.M)]
    return len(code), len(compared), len(asserting)


def run_one(path: pathlib.Path, timeout: int = 900):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        sampler = PeakRSS(client.km.provisioner.process.pid)
        sampler.start()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        finally:
            sampler.stop()
    seconds = time.perf_counter() - start
    return seconds, sampler.peak / 2**20


def stored_experiments(folder=ROOT / "book" / "data"):
    """Rows (experiment, name, runs, wall seconds, device, command) of the stored experiment results."""
    import json

    rows = []
    for path in sorted(folder.glob("*/*.json")):
        data = json.loads(path.read_text())
        runs = sum(len(entry.get("runs", [])) for entry in data.get("models", {}).values())
        rows.append((path.parent.name, path.stem, runs, data.get("wall_seconds"), data.get("device_name") or data.get("hardware", {}).get("cpu", ""),
                     data.get("command") or ""))
    return rows


def print_stored_experiments():
    print()
    print("Stored experiments (commands of `python -m lstm_helpers.experiments`; not re-run here):")
    print()
    print("| experiment | result | runs | wall seconds | device | command |")
    print("|---|---|---:|---:|---|---|")
    for experiment, name, runs, wall, device, command in stored_experiments():
        wall = f"{wall:,.0f}" if isinstance(wall, (int, float)) else "-"
        print(f"| {experiment} | {name} | {runs} | {wall} | {device} | `{command}` |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds allowed per chapter")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}")
    print()
    print("| chapter | code cells | compared | assertion cells | seconds | peak memory (MiB) | within budget |")
    print("|---|---:|---:|---:|---:|---:|:---:|")
    over = 0
    total = 0.0
    for path in paths:
        seconds, peak = run_one(path)
        total += seconds
        ok = seconds <= args.budget
        over += not ok
        code, compared, asserting = cell_counts(nbformat.read(path, as_version=4))
        print(f"| {path.stem} | {code} | {compared} | {asserting} | {seconds:.1f} | {peak:.0f} | "
              f"{'yes' if ok else 'NO'} |", flush=True)
    print(f"| **total** | | | | {total:.1f} | | |")
    print_stored_experiments()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
