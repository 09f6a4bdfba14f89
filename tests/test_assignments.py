"""The autograded assignments: built, and proved to grade what they claim to grade.

For every assignment in ``assignments/`` (built by ``tools/assignments.py`` into a
temporary folder, as ``make assignments`` builds them):

- a submission holding the course's solutions scores full marks with the autograder
  (graded as ``otter run`` grades, in a kernel);
- the untouched student notebook runs top to bottom with only the stubs'
  ``NotImplementedError``, its checks never claim more than the public tests, and it
  scores zero on every autograded question;
- the student notebook holds no line of any solution and no line of any hidden test;
- every wrong answer of the assignment's ``mutants.yml`` loses points on the questions it
  names, and the failing tests say why (``tests/test_assignments_mutants.py``, a module of
  its own so that the two test workers share the grading).

A notebook with the solutions is graded as ``otter run`` grades (in a kernel); the untouched
student copy and the wrong answers are graded by ``tools/assignments.quick_grade``: the same
test files and scoring, the notebook run in this process, which is several times faster.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import assignments as tool  # noqa: E402

pytestmark = pytest.mark.build

FOLDERS = tool.assignments()
NAMES = [f.name for f in FOLDERS]


def _mutants(name):
    path = ROOT / "assignments" / name / "mutants.yml"
    return [(name, m) for m in yaml.safe_load(path.read_text())]


MUTANTS = [m for name in NAMES for m in _mutants(name)]


def test_there_are_five_assignments():
    assert len(NAMES) == 5, NAMES
    for folder in FOLDERS:
        assert (folder / f"{folder.name}.ipynb").exists()
        assert (folder / "mutants.yml").exists()


@pytest.mark.parametrize("name", NAMES)
def test_build_writes_every_copy(built, name):
    paths = built[name]
    for kind in ("student", "colab", "autograder", "solution"):
        assert paths[kind].exists(), kind
    colab = nbformat.read(paths["colab"], as_version=4)
    first = colab.cells[0].source
    assert "otter-grader==" + tool.OTTER_VERSION in first
    assert "PUBLIC_TESTS" in first


# -- what the student copy may hold ---------------------------------------------------------

def _code_lines(cell):
    """The stripped lines of a code cell, each with whether it lies in a BEGIN/END SOLUTION block
    (the marker lines themselves left out)."""
    inside = False
    for line in cell.source.splitlines():
        text = line.strip()
        if text.endswith("# END SOLUTION"):
            inside = False
        elif re.match(r"# BEGIN SOLUTION", text):
            inside = True
        else:
            yield text, inside


def _solution_lines(master):
    """Lines inside the BEGIN/END SOLUTION blocks of the master's solution cells, and every
    line of a markdown cell between raw BEGIN SOLUTION and END SOLUTION cells (a model answer)."""
    lines, in_block = set(), False
    for cell in master.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw":
            if text.startswith("# BEGIN SOLUTION"):
                in_block = True
            elif text.startswith("# END SOLUTION"):
                in_block = False
        elif cell.cell_type == "markdown" and in_block:
            lines.update(line.strip() for line in cell.source.splitlines() if len(line.strip()) > 20)
        elif cell.cell_type == "code":
            lines.update(t for t, inside in _code_lines(cell) if inside and t and not t.startswith("#"))
    return lines


def _hidden_test_lines(master):
    """Lines of the hidden test cells of the master, their TEST CONFIG blocks left out."""
    lines = set()
    for cell in master.cells:
        if cell.cell_type != "code" or not re.search(r"^hidden:\s*true", cell.source, re.M):
            continue
        config = False
        for line in cell.source.splitlines():
            text = line.strip()
            if "BEGIN TEST CONFIG" in text:
                config = True
            elif "END TEST CONFIG" in text:
                config = False
            elif text and not config:
                lines.add(text)
    return lines


def _public_lines(master):
    """Lines a student may see: every code line outside solution blocks and hidden tests."""
    seen = set()
    for cell in master.cells:
        if cell.cell_type == "code" and not re.search(r"^hidden:\s*true", cell.source, re.M):
            seen.update(t for t, inside in _code_lines(cell) if not inside)
    return seen


def _student_text(nb):
    """Every line of the student notebook: cell sources and the tests stored in its metadata."""
    texts = [c.source for c in nb.cells]
    texts += list(nb.metadata.get("otter", {}).get("tests", {}).values())
    lines = set()
    for text in texts:
        lines.update(line.strip() for line in text.splitlines())
    return lines


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_holds_no_solution_and_no_hidden_test(built, name):
    master = nbformat.read(ROOT / "assignments" / name / f"{name}.ipynb", as_version=4)
    student = nbformat.read(built[name]["student"], as_version=4)
    colab = nbformat.read(built[name]["colab"], as_version=4)
    public = _public_lines(master)
    solution = _solution_lines(master) - public
    hidden = _hidden_test_lines(master) - public
    assert solution, "no solution lines found: the scan would prove nothing"
    assert hidden, "no hidden test lines found: the scan would prove nothing"
    for copy in (student, colab):
        text = _student_text(copy) | {
            line.strip() for c in copy.cells for line in str(c.source).replace("\\n", "\n").splitlines()
        }
        leaked = sorted(solution & text)
        assert not leaked, f"solution lines in the student copy: {leaked[:5]}"
        leaked = sorted(hidden & text)
        assert not leaked, f"hidden-test lines in the student copy: {leaked[:5]}"
    stored = student.metadata["otter"]["tests"]
    for question, source in stored.items():
        assert "hidden=True" not in source, f"{question}: a hidden test case in the student copy"


# -- grading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks(built, name, tmp_path):
    paths = built[name]
    submission = tmp_path / f"{name}.ipynb"
    nbformat.write(tool.filled_student_notebook(paths["student"], paths["solution"]), submission)
    scores = tool.grade(submission, paths["autograder"])
    assert scores, "the autograder graded no question"
    short = {q: s for q, s in scores.items() if s[0] < s[1]}
    assert not short, f"the course's solution loses points: {short}"


@pytest.mark.parametrize("name", NAMES)
def test_untouched_student_notebook_scores_zero(built, name):
    """Graded with the autograder's tests and scoring, the notebook run in this process."""
    student = nbformat.read(built[name]["student"], as_version=4)
    scores = tool.quick_grade(student, built[name]["autograder"])
    assert scores
    scored = {q: s[:2] for q, s in scores.items() if s[0] > 0}
    assert not scored, f"the unanswered notebook scores points: {scored}"


@pytest.mark.parametrize("name", NAMES)
def test_untouched_student_notebook_raises_only_not_implemented(built, name):
    student = nbformat.read(built[name]["student"], as_version=4)
    checks = []
    for cell in student.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            var = f"_check_{len(checks)}"
            cell.source = f"{var} = {cell.source}"
            checks.append(var)
    namespace, errors = tool.run_in_process(student, built[name]["student"].parent)
    others = [(i, f"{type(e).__name__}: {e}") for i, e in errors if not isinstance(e, NotImplementedError)]
    assert not others, f"the student notebook raises more than NotImplementedError: {others}"
    assert errors, "no stub raised NotImplementedError"
    assert checks, "the student notebook has no check cell"
    for var in checks:
        report = str(namespace[var])
        assert "public tests failed" in report, report
        assert "All test cases passed" not in report


def test_public_checks_report_public_tests_only(built):
    """A solved notebook's checks say "public tests passed", never "all tests passed"."""
    name = NAMES[0]
    paths = built[name]
    nb = tool.filled_student_notebook(paths["student"], paths["solution"])
    check = next(c for c in nb.cells if c.source.startswith("grader.check("))
    check.source = "_report = " + check.source
    namespace, errors = tool.run_in_process(nb, paths["student"].parent)
    report = str(namespace["_report"])
    assert "public tests passed" in report and "Hidden tests" in report, report
    assert "All test cases passed" not in report


def test_colab_setup_cell_installs_what_is_missing(built, tmp_path, monkeypatch):
    """Where lstm_helpers and otter are missing (a fresh Colab runtime), the first cell clones
    the course, installs it and otter-grader, and writes the public tests."""
    import importlib.util
    import subprocess

    colab = nbformat.read(built[NAMES[0]]["colab"], as_version=4)
    calls = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(pathlib.Path, "home", classmethod(lambda cls: tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    exec(compile(colab.cells[0].source, "<colab setup>", "exec"), {"__name__": "__main__"})
    assert calls[0][:4] == ["git", "clone", "--depth", "1"] and calls[0][4] == tool.repository_url()
    assert calls[1][-2:] == ["-e", str(tmp_path / "home" / "lstm-step-by-step")]
    assert calls[2][-1] == f"otter-grader=={tool.OTTER_VERSION}"
    assert (tmp_path / "tests" / "q1.py").exists()


def test_colab_copy_checks_from_its_tests_folder(built, tmp_path):
    """On Colab the notebook is not a file in the working folder: its first cell writes the
    public tests into tests/, and the checks read them from there."""
    name = NAMES[0]
    paths = built[name]
    colab = nbformat.read(paths["colab"], as_version=4)
    nb = tool.filled_student_notebook(paths["student"], paths["solution"])
    nb.cells[0] = colab.cells[1]
    nb.cells.insert(0, colab.cells[0])
    reports = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            cell.source = f"_report_{len(reports)} = {cell.source}"
            reports.append(f"_report_{len(reports)}")
    namespace, errors = tool.run_in_process(nb, tmp_path)
    assert not errors, errors
    assert not list(tmp_path.glob("*.ipynb"))
    written = sorted(p.stem for p in (tmp_path / "tests").glob("*.py"))
    assert written == sorted(nbformat.read(paths["student"], as_version=4).metadata["otter"]["tests"])
    for var in reports:
        assert "public tests passed" in str(namespace[var]), namespace[var]


def test_mutants_are_described():
    for name, mutant in MUTANTS:
        assert set(mutant) == {"name", "find", "replace", "loses"}, (name, mutant)
        assert mutant["loses"], (name, mutant["name"])
    for name in NAMES:
        assert len(_mutants(name)) >= 3, f"{name} has fewer than three wrong answers"


def test_instructor_page_lists_every_assignment():
    """The table of book/for_instructors.md is the one `tools/assignments.py summary` prints."""
    page = (ROOT / "book" / "for_instructors.md").read_text()
    assert tool.summary_table() in page, "run: python tools/assignments.py summary, and paste the table"
    for info in map(tool.summary, FOLDERS):
        assert info["follows"].startswith("Follows chapter"), info
        assert all(q["public"] >= 1 or q["manual"] for q in info["questions"]), info
        assert all(q["hidden"] >= 1 or q["manual"] for q in info["questions"]), info


def test_make_assignments_is_an_entry_point():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^assignments:", makefile, re.M)
    assert "make assignments" in (ROOT / "README.md").read_text()
    json.dumps(NAMES)
