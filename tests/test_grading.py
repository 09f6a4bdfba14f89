"""lstm_helpers.grading: the helpers of the assignments' tests and of the student's checks."""

import numpy as np
import pytest

from lstm_helpers.grading import (
    PublicCheckResult,
    PublicChecks,
    assert_close,
    assert_raises_value_error,
    random_arrays,
)


class _Case:
    def __init__(self, name, hidden=False, failure_message=None):
        self.name, self.hidden, self.failure_message = name, hidden, failure_message


class _CaseResult:
    def __init__(self, case, passed, message=""):
        self.test_case, self.passed, self.message = case, passed, message


class _Grader:
    """Stands in for otter.Notebook: returns fixed case results, records the namespace."""

    def __init__(self, results):
        self.results = results
        self.env = None

    def check(self, question, global_env=None):
        self.env = global_env
        return type("TestFile", (), {"test_case_results": self.results})()


def test_check_reports_public_tests_only():
    grader = _Grader([_CaseResult(_Case("shape"), True), _CaseResult(_Case("secret", hidden=True), False)])
    report = PublicChecks(grader).check("q1")
    assert report.passed
    assert str(report) == (
        "q1: public tests passed (1 of 1). Hidden tests grade this question after you submit."
    )
    assert "All test cases passed" not in str(report)


def test_check_lists_failures_with_their_messages():
    grader = _Grader([
        _CaseResult(_Case("shape"), True),
        _CaseResult(_Case("value", failure_message="compare with chapter 1"), False, "h is wrong: 0.5"),
    ])
    report = PublicChecks(grader).check("q2")
    assert not report.passed
    text = str(report)
    assert text.startswith("q2: 1 of 2 public tests failed.")
    assert "- value:" in text and "compare with chapter 1" in text and "h is wrong: 0.5" in text
    assert "shape" not in text.split("\n", 1)[1]


def test_check_runs_in_the_callers_namespace():
    grader = _Grader([])
    marker = object()
    globals()["_marker_for_check"] = marker
    PublicChecks(grader).check("q1")
    assert grader.env["_marker_for_check"] is marker
    env = {"x": 1}
    PublicChecks(grader).check("q1", global_env=env)
    assert grader.env is env


def test_public_checks_needs_a_grader():
    with pytest.raises(ValueError, match="otter.Notebook"):
        PublicChecks(object())


def test_result_repr_is_the_report():
    result = PublicCheckResult("q3", [("a", True, "")])
    assert repr(result) == str(result)


def test_assert_close_messages():
    assert_close("h", np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(AssertionError, match=r"h has shape \(3, 2\), expected \(2, 3\)"):
        assert_close("h", np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(AssertionError, match="did the function return it"):
        assert_close("dWx", None, np.ones(2))
    with pytest.raises(AssertionError, match="real-valued"):
        assert_close("h", np.array(["a"]), np.ones(1))
    got = np.zeros((2, 2))
    got[1, 0] = 1e-3
    with pytest.raises(AssertionError, match=r"at index \(1, 0\)"):
        assert_close("h", got, np.zeros((2, 2)))
    with pytest.raises(AssertionError, match="largest difference"):
        assert_close("h", np.array([np.nan, 0.0]), np.zeros(2))


def test_assert_close_tolerances():
    assert_close("x", [1.0 + 1e-9], [1.0])
    assert_close("x", [1000.0 + 1e-4], [1000.0])  # within rtol
    with pytest.raises(AssertionError):
        assert_close("x", [1.0 + 1e-4], [1.0])
    assert_close("x", [1.0 + 1e-4], [1.0], atol=1e-3)


def test_assert_raises_value_error():
    def strict(x):
        if x < 0:
            raise ValueError("x must be >= 0")

    def silent(x):
        if x < 0:
            raise ValueError()

    def stub(x):
        raise NotImplementedError

    def other(x):
        raise TypeError("no")

    assert_raises_value_error("x = -1", strict, -1)
    with pytest.raises(AssertionError, match="nothing was raised"):
        assert_raises_value_error("x = 1", strict, 1)
    with pytest.raises(AssertionError, match="without a message"):
        assert_raises_value_error("x = -1", silent, -1)
    with pytest.raises(AssertionError, match="not written yet"):
        assert_raises_value_error("x = -1", stub, -1)
    with pytest.raises(AssertionError, match="raised TypeError: no"):
        assert_raises_value_error("x = -1", other, -1)


def test_random_arrays_are_seeded_and_shaped():
    a = random_arrays(3, x=(2, 3), b=(4,))
    b = random_arrays(3, x=(2, 3), b=(4,))
    assert list(a) == ["x", "b"]
    assert a["x"].shape == (2, 3) and a["b"].shape == (4,) and a["x"].dtype == np.float64
    np.testing.assert_array_equal(a["x"], b["x"])
    assert not np.array_equal(random_arrays(4, x=(2, 3))["x"], a["x"])
    for bad in [(2, -1), [2, 3], (2.0,), (True,)]:
        with pytest.raises(ValueError, match="shape must be a tuple"):
            random_arrays(0, x=bad)
