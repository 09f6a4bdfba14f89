"""The course's own conventions: setup cell, table of contents, stored notebooks, environment."""

import json
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest
import tomllib
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import TAGS, repository_url, setup_cell_source  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = CHAPTERS + sorted((ROOT / "book").glob("*.ipynb"))


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("sections", "chapters"):
                walk(entry.get(key, []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def test_there_are_chapters():
    assert len(CHAPTERS) >= 2


def test_every_chapter_is_in_the_toc():
    files = set(toc_files())
    for path in CHAPTERS:
        assert f"notebooks/{path.stem}" in files, f"{path.name} is missing from _toc.yml"


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_starts_with_the_shared_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source == setup_cell_source(), "run `make sync` to restore the shared setup cell"
    assert first.metadata.get("tags") == TAGS, "the setup cell is folded on the website (run `make sync`)"


def test_setup_cell_uses_the_configured_repository():
    url = repository_url()
    assert url.startswith("https://")
    assert f'"{url}"' in setup_cell_source()


def test_setup_cell_tool_check_passes():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "setup_cell.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_as_a_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run top to bottom (make execute)"
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"stored error in cell {cell.execution_count}"
            if out.output_type == "stream":
                assert out.name == "stdout", f"stderr output in cell {cell.execution_count}: {out.text[:200]}"
    assert path.stat().st_size < 3_000_000, "notebook over 3 MB: shrink figures"
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first.source.startswith("# "), "the first markdown cell carries the page title"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_exercises_with_folded_solutions(path):
    nb = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "markdown" and re.search(r"^#+ .*Exercises", c.source, re.M) for c in nb.cells)
    folded = [c for c in nb.cells if c.cell_type == "code" and "hide-cell" in c.metadata.get("tags", [])]
    assert len(folded) >= 2, "each chapter ends with exercises whose solutions are folded (tag hide-cell)"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_opt_outs_are_rare(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    ignored = [c for c in code if re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP)", c.source)]
    assert len(ignored) <= 0.25 * len(code)


def cited_keys():
    keys = set()
    sources = [p.read_text() for p in (ROOT / "book").glob("*.md")]
    for path in ALL_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        sources += [c.source for c in nb.cells if c.cell_type == "markdown"]
    for text in sources:
        for match in re.finditer(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            keys.update(k.strip() for k in match.group(1).split(","))
    return keys


def test_every_citation_is_in_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    defined = set(re.findall(r"@\w+\{([^,]+),", bib))
    missing = cited_keys() - defined
    assert not missing, f"cited but not in references.bib: {sorted(missing)}"


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in ("book", "dev"):
        wanted |= set(project["optional-dependencies"][extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {p for p in pip if not p.startswith("-e")}
    assert listed == wanted, f"only in pyproject: {wanted - listed}; only in environment.yml: {listed - wanted}"


def test_constraints_pin_the_cpu_torch():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_makefile_uses_the_constraints():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile


def test_notebook_kernels_are_python3():
    for path in ALL_NOTEBOOKS:
        meta = json.loads(path.read_text())["metadata"]
        assert meta["kernelspec"]["name"] == "python3", path.name
