"""The course's own conventions: setup cell, table of contents, stored notebooks, environment."""

import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import nbformat
import pytest
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


def test_chapters_are_numbered_consecutively_from_01():
    """Every notebook of notebooks/ is a chapter NN_name.ipynb, numbered 01, 02, ... without gaps or repeats."""
    names = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert names, "notebooks/ holds no chapter"
    numbers = []
    for name in names:
        match = re.fullmatch(r"(\d{2})_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)\.ipynb", name)
        assert match, f"{name} is not named NN_name.ipynb (two digits, an underscore, lower-case words)"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(1, len(names) + 1)), f"chapter numbers {numbers} are not 1..{len(names)} once each"
    assert [p.name for p in CHAPTERS] == names


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


def _setup_commands(**variables):
    """The commands `make setup` would run (a dry run, whatever the stamp says), with the given make variables."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TORCH_INDEX"}}
    args = ["make", "--no-print-directory", "-C", str(ROOT), "-n", "-B", "setup"]
    args += [f"{k}={v}" for k, v in variables.items()]
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return [line for line in result.stdout.splitlines() if " pip install " in line and "-e " in line]


def test_torch_pin_is_exact_and_the_readme_explains_which_wheel_pip_takes():
    """constraints.txt pins one torch version with ==; `make setup` installs under that pin, from PyPI
    or, given TORCH_INDEX, also from that index; the README says so; and this environment has that version."""
    torch_lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
                   if re.match(r"\s*torch\b(?![-_.\w])", line)]
    assert len(torch_lines) == 1, f"constraints.txt must pin torch once, found {torch_lines}"
    pin = re.fullmatch(r"torch==(\d+(?:\.\d+)*)", torch_lines[0].strip())
    assert pin, f"the torch pin must be exact (torch==X.Y.Z), got {torch_lines[0]!r}"
    version = pin.group(1)

    plain = _setup_commands()
    assert len(plain) == 1 and " -c constraints.txt " in plain[0], plain
    assert "--extra-index-url" not in plain[0] and "--index-url" not in plain[0], plain
    index = "https://download.pytorch.org/whl/cpu"
    with_index = _setup_commands(TORCH_INDEX=index)
    assert len(with_index) == 1 and " -c constraints.txt " in with_index[0], with_index
    assert f" --extra-index-url {index} " in with_index[0], with_index

    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"`constraints.txt` pins `torch=={version}`" in readme, f"the README does not state the pin torch=={version}"
    assert "depends on where pip looks" in readme, "the README explains that the index decides which wheel"
    assert f"`make test TORCH_INDEX={index}`" in readme, "the README names the TORCH_INDEX variable"

    import torch

    assert torch.__version__.split("+")[0] == version, \
        f"this environment has torch {torch.__version__}; constraints.txt pins {version} (run `make setup`)"


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


# ------------------------------------------------ the rule: compared outputs hold anywhere


def _top_level_calls(source: str):
    """Calls made by a cell's own top-level code (not inside the functions it defines)."""
    import ast

    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                yield node


def _call_name(call) -> str:
    import ast

    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


#: the package's functions that train networks, besides lstm_helpers.train.train
TRAINING_FUNCTIONS = {"run_long_lag", "long_lags", "run_ablation", "run_ablation_model"}


def _trains(source: str) -> bool:
    """A cell trains when its top-level code calls an optimiser's step() or a training function."""
    import ast

    for call in _top_level_calls(source):
        name = _call_name(call)
        mode_switch = name == "train" and isinstance(call.func, ast.Attribute) and not (call.args or call.keywords)
        if (name == "step" and not call.args) or (name.startswith("train") and not mode_switch) \
                or name in TRAINING_FUNCTIONS:
            return True
    return False


def _pins_one_thread(source: str) -> bool:
    import ast

    for call in _top_level_calls(source):
        if _call_name(call) == "pin_threads" and [ast.unparse(a) for a in call.args] == ["1"]:
            return True
    return False


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_every_training_cell_pins_its_threads(path):
    nb = nbformat.read(path, as_version=4)
    unpinned = [i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and _trains(c.source) and not _pins_one_thread(c.source)]
    assert not unpinned, f"cells {unpinned} train without calling pin_threads(1) (CONTRIBUTING.md, rule 5)"


def _assertion_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", [])
            and re.search(r"^\s*assert\b", c.source, re.M)]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_training_outcomes_come_with_assertions(path):
    """A chapter that shows outcomes without comparing them asserts its claims in hidden cells."""
    nb = nbformat.read(path, as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and "NBVAL_IGNORE_OUTPUT" in c.source]
    trains = any(c.cell_type == "code" and _trains(c.source) for c in nb.cells)
    if shown or trains:
        assert _assertion_cells(nb), "outcomes are shown but no claim is asserted (CONTRIBUTING.md, rule 3)"
    for cell in _assertion_cells(nb):
        assert not cell.outputs, f"an assertion cell prints something: {cell.source[:80]!r}"
        assert "NBVAL" not in cell.source, "assertion cells are compared (they print nothing)"


def test_the_training_cell_detector_works():
    assert _trains("pin_threads(1)\nfor _ in range(3):\n    opt.step()")
    assert _trains("history = train_agreement(5)")
    assert _trains("live = run_ablation(config, seeds=(0, 1))")
    assert _trains("lstm_helpers.train.train(model, batches, loss_fn, optimizer=opt, n_steps=3)")
    assert not _trains("model.train()  # a mode switch")
    assert not _trains("def train_agreement(k):\n    opt.step()")
    assert not _trains("scheduler_steps = 3\nprint(train_x.shape)")
    assert _pins_one_thread("pin_threads(1)\nopt.step()")
    assert not _pins_one_thread("pin_threads(2)\nopt.step()")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_has_no_control_characters(path):
    """A tab in markdown is almost always a "\\t" that was meant as "\\tanh"."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            bad = re.search(r"[\x00-\x08\x09\x0b\x0c\x0e-\x1f\x7f]", cell.source)
            assert not bad, f"cell {i}: control character {bad.group()!r} near {cell.source[max(0, bad.start() - 30):bad.end() + 30]!r}"


def test_pages_link_only_chapters_that_exist():
    """No page announces a chapter that is not in the book yet."""
    existing = {int(p.name[:2]) for p in CHAPTERS}
    texts = {p.name: p.read_text() for p in (ROOT / "book").glob("*.md")}
    texts["README.md"] = (ROOT / "README.md").read_text()
    for path in ALL_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        texts[path.name] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name, text in texts.items():
        for match in re.finditer(r"\b[Cc]hapters? (\d+)\b", text):
            assert int(match.group(1)) in existing, f"{name} mentions chapter {match.group(1)}, which does not exist"
        assert not re.search(r"\|\s*coming\s*\|", text), f"{name} announces a chapter as coming"


def test_package_docstring_and_api_page_list_every_module():
    import pkgutil

    import lstm_helpers

    modules = [m.name for m in pkgutil.iter_modules(lstm_helpers.__path__) if not m.name.startswith("_")]
    api = (ROOT / "book" / "api.md").read_text()
    for name in modules:
        assert f":mod:`lstm_helpers.{name}`" in lstm_helpers.__doc__, f"the package docstring omits {name}"
        assert f".. automodule:: lstm_helpers.{name}" in api, f"book/api.md omits lstm_helpers.{name}"


def test_ruff_is_clean():
    """The package, the tests and the notebooks' code follow the lint rules in pyproject.toml."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
