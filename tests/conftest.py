"""Shared pytest configuration."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "course", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_configure(config):
    config.addinivalue_line("markers", "build: builds the website (slow); run in one xdist group")



class _BuiltAssignments(dict):
    """The assignments built so far (``tools/assignments.py``), each built on first use."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def __missing__(self, name):
        import pathlib
        import sys

        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
        import assignments

        self[name] = assignments.build([name], self.out)[name]
        return self[name]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``built[name]``: the paths ``tools/assignments.build`` wrote for assignment ``name``."""
    return _BuiltAssignments(tmp_path_factory.mktemp("assignments"))
