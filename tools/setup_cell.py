"""The shared first code cell of every chapter, rendered from `_config.yml`.

    python tools/setup_cell.py --check   # exit 1 if a chapter's first code cell differs
    python tools/setup_cell.py --write   # rewrite the first code cell of every chapter

The repository URL is read from `_config.yml` (`repository.url`), the one place
it is set.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]

TEMPLATE = '''\
# Setup -- the same cell opens every chapter (Colab, JupyterLab, anywhere).
# Where the course's helper package `lstm_helpers` is missing (a fresh Colab
# runtime), fetch the course repository, which also holds the stored results
# some chapters plot, and install it. Locally this cell does nothing.
import importlib.util
import pathlib
import subprocess
import sys

if importlib.util.find_spec("lstm_helpers") is None:
    repo = pathlib.Path.home() / "lstm-step-by-step"
    if not repo.exists():
        subprocess.run(["git", "clone", "--depth", "1", "{url}", str(repo)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", str(repo)], check=True)
    sys.path.insert(0, str(repo))  # importable in this running kernel too'''

#: Cell tags of the setup cell: folded on the website.
TAGS = ["hide-input"]


def repository_url(config: pathlib.Path = ROOT / "_config.yml") -> str:
    """Return `repository.url` from the book configuration."""
    text = config.read_text()
    block = re.search(r"^repository:\s*\n((?:[ \t]+.*\n?)+)", text, re.M)
    if not block:
        raise ValueError(f"{config} has no repository: block")
    match = re.search(r"^\s+url:\s*(\S+)", block.group(1), re.M)
    if not match:
        raise ValueError(f"{config} has no repository.url")
    return match.group(1).strip("'\"")


def setup_cell_source() -> str:
    """The exact source of the shared setup cell."""
    return TEMPLATE.format(url=repository_url())


def chapters() -> list[pathlib.Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def first_code_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true")
    group.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    source = setup_cell_source()
    bad = []
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        cell = first_code_cell(nb)
        if cell is not None and cell.source == source and cell.metadata.get("tags") == TAGS:
            continue
        if args.check:
            bad.append(path.name)
            continue
        if cell is None:
            cell = nbformat.v4.new_code_cell(source)
            nb.cells.insert(0, cell)
        cell.source = source
        cell.metadata["tags"] = list(TAGS)
        nbformat.write(nb, path)
        print(f"updated {path.name}")
    if bad:
        print("setup cell differs in: " + ", ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
