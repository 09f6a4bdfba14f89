"""Every wrong answer of every assignment loses points, and its failing tests say why.

Each entry of ``assignments/NN_name/mutants.yml`` replaces one piece of the course's
solution (``find``, which must occur exactly once in the answer cells) with a wrong one
(``replace``); the notebook is then graded with the autograder's tests
(``tools/assignments.quick_grade``), and every question in ``loses`` must lose points with a
failure message of more than a few words.
"""

from __future__ import annotations

import ast
import pathlib
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import assignments as tool  # noqa: E402

pytestmark = pytest.mark.build


def _mutants(name):
    path = ROOT / "assignments" / name / "mutants.yml"
    return [(name, m) for m in yaml.safe_load(path.read_text())]


MUTANTS = [m for folder in tool.assignments() for m in _mutants(folder.name)]


@pytest.mark.parametrize(
    "name, mutant", MUTANTS, ids=[f"{n}:{m['name']}" for n, m in MUTANTS]
)
def test_wrong_answer_loses_points(built, name, mutant):
    paths = built[name]
    nb = tool.filled_student_notebook(paths["student"], paths["solution"])
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    hits = [c for c in answers if mutant["find"] in c.source]
    assert len(hits) == 1 and hits[0].source.count(mutant["find"]) == 1, (
        f"{mutant['find']!r} must occur exactly once in the answer cells (found in {len(hits)})"
    )
    hits[0].source = hits[0].source.replace(mutant["find"], mutant["replace"])
    ast.parse(hits[0].source)
    scores = tool.quick_grade(nb, paths["autograder"], questions=mutant["loses"])
    for question in mutant["loses"]:
        score, possible, messages = scores[question]
        assert score < possible, f"{mutant['name']}: {question} keeps all {possible:g} points"
        assert any(len(m) > 40 for m in messages), f"{question} fails without saying why: {messages}"
