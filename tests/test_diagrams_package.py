"""The layout of lstm_helpers.diagrams: one module per family, every public name re-exported, chapters draw through it."""

import importlib
import inspect
import json
import pathlib
import pkgutil
import re

import pytest

import lstm_helpers.diagrams as diagrams

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.iter_modules(diagrams.__path__) if not m.name.startswith("_"))

#: every name that ``from lstm_helpers.diagrams import X`` offered before the package was split
OLD_PUBLIC = ["COLORS", "draw_unrolled_rnn", "draw_sequence_patterns", "draw_lstm_cell", "draw_unrolled_lstm",
              "LSTM_CELL_XY", "LSTM_PART_COLORS", "LSTM_STAGES", "draw_lstm_variant", "draw_gru_cell",
              "PEEPHOLE_COLOR", "GRU_PART_COLORS"]


def test_the_families_are_modules():
    assert MODULES == ["lstm_cell", "lstm_unrolled", "rnn", "stacks", "trees", "variants"]


def test_old_names_still_import_from_the_package():
    for name in OLD_PUBLIC:
        assert name in diagrams.__all__ and getattr(diagrams, name) is not None


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_of_a_module_is_re_exported_and_documented(name):
    module = importlib.import_module(f"lstm_helpers.diagrams.{name}")
    assert module.__doc__
    for public in module.__all__:
        obj = getattr(module, public)
        assert getattr(diagrams, public) is obj and public in diagrams.__all__, public
        if callable(obj):
            doc = inspect.getdoc(obj)
            assert "Returns" in doc and "Raises" in doc and "ValueError" in doc, public
            assert ">>> " in doc, f"{public} shows no example"
    assert len(set(diagrams.__all__)) == len(diagrams.__all__)


@pytest.mark.parametrize("path", sorted((ROOT / "lstm_helpers" / "diagrams").glob("*.py")), ids=lambda p: p.name)
def test_no_module_is_long(path):
    assert len(path.read_text().splitlines()) <= 500


@pytest.mark.parametrize("chapter", ["02_bptt", "05_lstm_backward", "06_lstm_in_pytorch", "09_tree_lstm"])
def test_chapters_draw_networks_through_the_package(chapter):
    cells = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for pattern in (r"FancyArrowPatch", r"FancyBboxPatch", r"matplotlib\.patches", r"\.annotate\(",
                    r"\bax\w*\.arrow\(", r"from lstm_helpers\.diagrams import [^\n]*\b_\w+"):
        assert not re.search(pattern, code), (chapter, pattern)
