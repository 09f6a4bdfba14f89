"""Build, grade and time the course's autograded assignments (otter-grader).

    python tools/assignments.py build [--out _build/assignments] [NAME ...]
    python tools/assignments.py grade NAME SUBMISSION.ipynb [--out DIR]
    python tools/assignments.py bench [NAME ...]
    python tools/assignments.py summary [NAME ...]

Each assignment is a folder ``assignments/NN_name/`` holding the master notebook
``NN_name.ipynb`` in otter's format (questions, solutions, public and hidden tests) and
``mutants.yml``, the wrong answers its tests must catch (checked by
``tests/test_assignments.py``).

``build`` runs ``otter assign`` on each master and writes, under ``OUT/NN_name/``:

- ``student/NN_name.ipynb`` -- the notebook to hand out: stubs instead of solutions,
  public tests only (stored in the notebook), checks that report on the public tests;
- ``colab/NN_name.ipynb`` -- the same notebook with a first cell that installs what it
  needs on Colab and writes the public tests into ``tests/`` (where otter reads them there);
- ``autograder/NN_name-autograder.zip`` -- the autograder: hidden and public tests, the
  Gradescope set-up; ``otter run -a`` takes it on any machine, without Docker;
- ``solution/NN_name.ipynb`` -- the notebook with its solutions, for the instructor.

``grade`` builds the assignment into ``--out`` and grades one submission with its
autograder (``otter run`` does the same), printing the score of each question; ``bench`` times the grading of each assignment's
solution and prints a table; ``summary`` prints the table of the instructor page (questions,
points, public and hidden tests, wrong answers caught).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
DEFAULT_OUT = ROOT / "_build" / "assignments"

sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import repository_url, setup_cell_source  # noqa: E402

#: The otter-grader version the assignments are built and graded with (pinned in constraints.txt).
OTTER_VERSION = "7.0.0"

#: The init cell of the student notebook: otter's grader, wrapped so that a check reports
#: on the public tests only ("public tests passed", never "all tests passed").
INIT_CELL = '''\
# Initialize Otter: `grader.check("q1")` runs the public tests of question q1.
import otter

from lstm_helpers.grading import PublicChecks

grader = PublicChecks(otter.Notebook({where}))'''

#: What the Colab copy adds after the chapters' setup cell (tools/setup_cell.py): otter-grader
#: where it is missing, and this assignment's public tests written into tests/, where otter
#: reads them on Colab. Elsewhere only the tests are written.
COLAB_EXTRA = '''
# For this assignment, also: otter-grader where it is missing, and the public tests written
# into tests/, where otter reads them on Colab (this part runs everywhere).
if importlib.util.find_spec("otter") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "otter-grader=={otter}"],
                   check=True)
importlib.invalidate_caches()  # what pip just installed is importable in this kernel

PUBLIC_TESTS = {tests}
pathlib.Path("tests").mkdir(exist_ok=True)
for _name, _source in PUBLIC_TESTS.items():
    (pathlib.Path("tests") / f"{{_name}}.py").write_text(_source)'''


def assignments(names=None) -> list[pathlib.Path]:
    """The assignment folders ``assignments/NN_name``, all or those named (``01`` or ``01_rnn_numpy``)."""
    found = sorted(p for p in ASSIGNMENTS.glob("[0-9][0-9]_*") if p.is_dir())
    if not names:
        return found
    chosen = []
    for name in names:
        match = [p for p in found if p.name == name or p.name.split("_")[0] == name]
        if not match:
            valid = ", ".join(p.name for p in found)
            raise ValueError(f"no assignment {name!r}; the assignments are: {valid}")
        chosen.extend(match)
    return chosen


def _commit():
    """The commit of this checkout, or None outside a git clone."""
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def requirements() -> str:
    """What the autograder installs on Gradescope: CPU PyTorch and the course's package, at the
    commit the autograder is built from (the hidden tests compare with it)."""
    sha = _commit()
    return (
        "# Installed in the grading image (otter-grader merges this into its environment).\n"
        "--extra-index-url https://download.pytorch.org/whl/cpu\n"
        "torch==2.13.0\n"
        f"lstm-helpers @ git+{repository_url()}{'@' + sha if sha else ''}\n"
    )


def _assign(master: pathlib.Path, result: pathlib.Path):
    """``otter assign MASTER RESULT``, run in this process (one import of otter for all assignments)."""
    with contextlib.redirect_stdout(io.StringIO()) as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from otter.assign import main as otter_assign

        old = os.getcwd()
        os.chdir(master.parent)
        try:
            otter_assign(str(master), str(result))
        except Exception as err:
            raise RuntimeError(f"otter assign {master.name} failed:\n{out.getvalue()}") from err
        finally:
            os.chdir(old)


def _student_notebook(nb, name):
    """Wrap the grader of otter's student notebook in PublicChecks."""
    init = nb.cells[0]
    if "otter.Notebook(" not in init.source:
        raise RuntimeError(f"{name}: the first cell of otter's student notebook is not its init cell")
    init.source = INIT_CELL.format(where=f'"{name}.ipynb"')
    return nb


def _colab_notebook(nb):
    tests = nb.metadata["otter"]["tests"]
    body = "{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in sorted(tests.items())) + "}"
    source = setup_cell_source() + "\n" + COLAB_EXTRA.format(otter=OTTER_VERSION, tests=body)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["hide-input"]})
    colab = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    # On Colab the notebook is not a file in the working folder: otter reads the tests/ folder.
    colab.cells[0].source = INIT_CELL.format(where='tests_dir="tests"')
    colab.cells.insert(0, cell)
    return colab


def build_one(folder: pathlib.Path, out: pathlib.Path) -> dict:
    """Build one assignment into ``out/NN_name/``; return the paths written.

    Returns
    -------
    dict with keys ``student``, ``colab``, ``autograder``, ``solution`` (paths).
    """
    name = folder.name
    master = folder / f"{name}.ipynb"
    if not master.exists():
        raise ValueError(f"{folder} has no master notebook {master.name}")
    target = out / name
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        stage = pathlib.Path(tmp)
        shutil.copy(master, stage / master.name)
        (stage / "requirements.txt").write_text(requirements())
        _assign(stage / master.name, stage / "dist")
        dist = stage / "dist"
        student = nbformat.read(dist / "student" / master.name, as_version=4)
        student = _student_notebook(student, name)
        paths = {
            "student": target / "student" / master.name,
            "colab": target / "colab" / master.name,
            "autograder": target / "autograder" / f"{name}-autograder.zip",
            "solution": target / "solution" / master.name,
        }
        for path in paths.values():
            path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, paths["student"])
        nbformat.write(_colab_notebook(student), paths["colab"])
        (zip_path,) = (dist / "autograder").glob("*.zip")
        shutil.copy(zip_path, paths["autograder"])
        shutil.copy(dist / "autograder" / master.name, paths["solution"])
    return paths


def build(names=None, out=DEFAULT_OUT) -> dict:
    """Build the assignments named (all by default); return ``{name: paths}``."""
    out = pathlib.Path(out)
    return {folder.name: build_one(folder, out) for folder in assignments(names)}


def grade(submission, autograder_zip) -> dict:
    """Grade one submission with the autograder, as ``otter run`` does; return ``{question: (score, possible)}``."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        # otter's own deprecation notices (traitlets, pandas) are not the submission's
        warnings.simplefilter("ignore")
        from otter.api import grade_submission

        results = grade_submission(str(submission), str(autograder_zip), quiet=True)
    return {
        name: (float(results.get_score(name)), float(results.results[name].possible))
        for name in sorted(results.results)
    }


def summary(folder: pathlib.Path) -> dict:
    """What an assignment holds, read from its master and its ``mutants.yml``.

    Returns
    -------
    dict with ``name``, ``title``, ``follows`` (the italic line under the title),
    ``questions`` (list of dicts: ``name``, ``points``, ``manual``, ``public``, ``hidden``
    -- the numbers of public and hidden test cells) and ``mutants`` (their number).
    """
    import yaml

    master = nbformat.read(folder / f"{folder.name}.ipynb", as_version=4)
    title = follows = None
    questions, current, in_tests = [], None, False
    for cell in master.cells:
        text = cell.source.strip()
        if cell.cell_type == "markdown" and title is None and text.startswith("# "):
            title = text.splitlines()[0][2:].strip()
            paragraphs = text.split("\n\n")
            italic = len(paragraphs) > 1 and paragraphs[1].startswith("*")
            follows = " ".join(paragraphs[1].replace("*", "").split()) if italic else ""
        if cell.cell_type == "raw":
            if text.startswith("# BEGIN QUESTION"):
                config = yaml.safe_load(text.split("\n", 1)[1])
                current = {"name": config["name"], "points": config.get("points"),
                           "manual": bool(config.get("manual", False)), "public": 0, "hidden": 0}
                questions.append(current)
            elif text.startswith("# BEGIN TESTS"):
                in_tests = True
            elif text.startswith("# END TESTS"):
                in_tests = False
        elif cell.cell_type == "code" and in_tests and current is not None:
            hidden = re.search(r"^hidden:\s*true", cell.source, re.M) is not None
            current["hidden" if hidden else "public"] += 1
    mutants = yaml.safe_load((folder / "mutants.yml").read_text())
    return {"name": folder.name, "title": title, "follows": follows, "questions": questions,
            "mutants": len(mutants)}


def summary_table(names=None) -> str:
    """A markdown table of the assignments: what each covers, its questions and points, its tests."""
    rows = ["| assignment | follows, expected time | questions (points) | public / hidden tests | wrong answers caught |",
            "|---|---|---|---|---|"]
    for folder in assignments(names):
        info = summary(folder)
        qs = ", ".join(
            f"{q['name']} ({q['points']:g}{', by hand' if q['manual'] else ''})" for q in info["questions"]
        )
        total = sum(q["points"] for q in info["questions"])
        public = sum(q["public"] for q in info["questions"])
        hidden = sum(q["hidden"] for q in info["questions"])
        rows.append(
            f"| **{info['title']}** (`{info['name']}`) | {info['follows']} | {qs}; total {total:g} "
            f"| {public} / {hidden} | {info['mutants']} |"
        )
    return "\n".join(rows)


# -- the quick grader the mutation tests use -----------------------------------------------


def filled_student_notebook(student_path, solution_path):
    """The student notebook with every answer cell replaced by the solution's cell.

    This is what a student who wrote the course's solutions would submit.
    """
    student = nbformat.read(student_path, as_version=4)
    solution = nbformat.read(solution_path, as_version=4)
    answers = [c for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    solved = [c for c in solution.cells if "otter_assign_solution_cell" in c.metadata.get("tags", [])]
    if len(answers) != len(solved):
        raise RuntimeError(f"{len(answers)} answer cells but {len(solved)} solution cells")
    for answer, cell in zip(answers, solved):
        answer.source = cell.source
    return student


def run_in_process(nb, cwd) -> tuple[dict, list]:
    """Run the code cells of ``nb`` in one namespace, in this process, with ``cwd`` as working folder.

    Errors do not stop the run (as in otter's grading). Returns the namespace and the list of
    ``(cell index, exception)`` raised, in order.
    """
    import matplotlib

    matplotlib.use("Agg")
    namespace = {"__name__": "__main__"}
    errors = []
    old = os.getcwd()
    os.chdir(cwd)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(source, f"<cell {index}>", "exec"), namespace)
            except Exception as err:  # noqa: BLE001 - recorded, as a notebook run records it
                errors.append((index, err))
    finally:
        os.chdir(old)
        import matplotlib.pyplot as plt

        plt.close("all")
    return namespace, errors


def quick_grade(nb, autograder_zip, questions=None) -> dict:
    """Grade ``nb`` with the autograder's tests, running it in this process (no kernel).

    The same test files and the same scoring as ``otter run``; the notebook runs top to
    bottom first, and every question (or those in ``questions``) is then checked against
    the final namespace. Warnings of the submission's code are not shown.
    Returns ``{question: (score, possible, messages)}``.
    """
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        with zipfile.ZipFile(autograder_zip) as archive:
            archive.extractall(tmp / "autograder")
        nbformat.write(nb, tmp / "submission.ipynb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            namespace, _ = run_in_process(nb, tmp)
        scores = {}
        for test_path in sorted((tmp / "autograder" / "tests").glob("*.py")):
            if questions is not None and test_path.stem not in questions:
                continue
            test = create_test_file(str(test_path), NBMetadataConfig())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test.run(namespace)
            messages = [
                f"{r.test_case.name}: {(r.message or '').strip()}"
                for r in test.test_case_results
                if not r.passed
            ]
            scores[test_path.stem] = (float(test.score), float(test.possible), messages)
    return scores


def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(h).ljust(w) for h, w in zip(header, widths))]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build student, Colab and autograder copies")
    p_build.add_argument("names", nargs="*")
    p_build.add_argument("--out", default=str(DEFAULT_OUT))
    p_grade = sub.add_parser("grade", help="grade one submission")
    p_grade.add_argument("name")
    p_grade.add_argument("submission")
    p_grade.add_argument("--out", default=str(DEFAULT_OUT))
    p_bench = sub.add_parser("bench", help="time the grading of each assignment's solution")
    p_bench.add_argument("names", nargs="*")
    p_summary = sub.add_parser("summary", help="print a markdown table of the assignments")
    p_summary.add_argument("names", nargs="*")
    args = parser.parse_args(argv)

    if args.command == "summary":
        print(summary_table(args.names))
        return 0

    if args.command == "build":
        for name, paths in build(args.names, args.out).items():
            print(f"{name}:")
            for kind, path in paths.items():
                print(f"  {kind:10s} {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return 0
    if args.command == "grade":
        (folder,) = assignments([args.name])
        # built afresh (it takes a second), so that the autograder is the master's of now
        zip_path = build([folder.name], args.out)[folder.name]["autograder"]
        scores = grade(args.submission, zip_path)
        rows = [(q, f"{s:g}", f"{p:g}") for q, (s, p) in scores.items()]
        total = sum(s for s, _ in scores.values()), sum(p for _, p in scores.values())
        print(_table(rows + [("total", f"{total[0]:g}", f"{total[1]:g}")], ("question", "score", "points")))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in assignments(args.names):
            paths = build_one(folder, pathlib.Path(tmp))
            submission = pathlib.Path(tmp) / f"{folder.name}-solved.ipynb"
            nbformat.write(filled_student_notebook(paths["student"], paths["solution"]), submission)
            start = time.perf_counter()
            scores = grade(submission, paths["autograder"])
            seconds = time.perf_counter() - start
            got = sum(s for s, _ in scores.values())
            possible = sum(p for _, p in scores.values())
            rows.append((folder.name, len(scores), f"{got:g} / {possible:g}", f"{seconds:.1f}"))
    print(_table(rows, ("assignment", "questions", "solution scores", "grading seconds")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
