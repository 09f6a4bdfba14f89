"""Helpers of the course's autograded assignments (``assignments/``, built with otter-grader).

Two kinds of helpers live here:

- for the **student notebook**: :class:`PublicChecks` wraps otter's ``grader`` so that a
  check says what it knows -- the public tests passed, or which of them failed and why --
  and never "all tests passed" (hidden tests grade the question after submission);
- for the **tests** of an assignment: :func:`assert_close` and :func:`assert_raises_value_error`
  turn a failed comparison into a sentence a student can act on (which quantity, which
  shape, the largest difference and where it is), and :func:`random_arrays` draws the random
  problems the hidden tests use.

Nothing here imports otter: :class:`PublicChecks` only calls the ``check`` method of the
grader it wraps, so the package does not depend on otter-grader.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PublicChecks", "assert_close", "assert_raises_value_error", "random_arrays"]


def _public_cases(result):
    """The public test-case results of an otter ``TestFile`` result, as ``(name, passed, message)``."""
    rows = []
    for tcr in getattr(result, "test_case_results", []):
        case = tcr.test_case
        if getattr(case, "hidden", False):
            continue
        text = (tcr.message or "").strip()
        if not tcr.passed and case.failure_message:
            text = f"{case.failure_message}\n{text}".strip()
        rows.append((case.name, bool(tcr.passed), text))
    return rows


class PublicCheckResult:
    """What :meth:`PublicChecks.check` returns: the public tests of one question, summarised.

    Attributes
    ----------
    question : str
    cases : list of (name, passed, message)
        One row per public test case.
    """

    def __init__(self, question, cases):
        self.question = question
        self.cases = list(cases)

    @property
    def passed(self) -> bool:
        """Whether every public test of the question passed."""
        return all(ok for _, ok, _ in self.cases)

    def __str__(self):
        n_ok = sum(ok for _, ok, _ in self.cases)
        n = len(self.cases)
        if self.passed:
            return (
                f"{self.question}: public tests passed ({n_ok} of {n}). "
                "Hidden tests grade this question after you submit."
            )
        lines = [f"{self.question}: {n - n_ok} of {n} public tests failed."]
        for name, ok, message in self.cases:
            if not ok:
                lines.append(f"- {name}:")
                lines.extend("    " + line for line in message.splitlines())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


class PublicChecks:
    """Wrap an ``otter.Notebook`` grader: ``check`` reports on the public tests only.

    The student copy of an assignment holds only its public tests, so a passing check
    proves less than otter's own message ("All test cases passed!") says. This wrapper
    runs the same check and prints "public tests passed (k of k)", or the failures with
    their messages.

    Parameters
    ----------
    grader : otter.Notebook
        The grader of the notebook (``otter.Notebook("name.ipynb")``).

    Examples
    --------
    >>> class FakeCase:
    ...     def __init__(self, name):
    ...         self.name, self.hidden, self.failure_message = name, False, None
    >>> class FakeResult:
    ...     def __init__(self, name, passed):
    ...         self.test_case, self.passed, self.message = FakeCase(name), passed, "why"
    >>> class FakeGrader:
    ...     def check(self, question, global_env=None):
    ...         return type("R", (), {"test_case_results": [FakeResult("shape", True)]})()
    >>> PublicChecks(FakeGrader()).check("q1")
    q1: public tests passed (1 of 1). Hidden tests grade this question after you submit.
    """

    def __init__(self, grader):
        if not hasattr(grader, "check"):
            raise ValueError(
                f"grader must be an otter.Notebook (with a check method), got {type(grader).__name__}"
            )
        self.grader = grader

    def check(self, question, global_env=None):
        """Run the public tests of ``question`` in the caller's namespace (or ``global_env``)."""
        if global_env is None:
            import inspect

            global_env = inspect.currentframe().f_back.f_globals
        result = self.grader.check(question, global_env=global_env)
        return PublicCheckResult(question, _public_cases(result))

    def __getattr__(self, name):
        return getattr(self.grader, name)


def _describe(value):
    arr = np.asarray(value)
    return f"shape {arr.shape}, dtype {arr.dtype}"


def assert_close(what, got, expected, atol=1e-8, rtol=1e-6):
    """Assert ``got`` equals ``expected`` within tolerance, with a message a student can act on.

    Parameters
    ----------
    what : str
        What is compared, in words (``"dWh, the gradient of the recurrent weights"``).
    got, expected : array_like, same shape
        The student's value and the reference value.
    atol, rtol : float
        Absolute and relative tolerance, as in ``numpy.allclose``.

    Raises
    ------
    AssertionError
        If ``got`` is ``None``, not numeric, of another shape than ``expected``, or
        differs by more than the tolerance; the message names the largest difference and
        its index.

    Examples
    --------
    >>> assert_close("h", [1.0, 2.0], [1.0, 2.0])
    >>> assert_close("h", [1.0, 2.5], [1.0, 2.0])
    Traceback (most recent call last):
    ...
    AssertionError: h is wrong: largest difference 0.5 at index (1,) (got 2.5, expected 2); tolerance 1e-08 + 1e-06 * |expected|
    """
    if got is None:
        raise AssertionError(f"{what} is None: did the function return it?")
    got_arr = np.asarray(got)
    exp_arr = np.asarray(expected)
    if got_arr.dtype.kind not in "fiu":
        raise AssertionError(f"{what} must be a real-valued array, got {_describe(got_arr)}")
    if got_arr.shape != exp_arr.shape:
        raise AssertionError(
            f"{what} has shape {got_arr.shape}, expected {exp_arr.shape}"
        )
    diff = np.abs(got_arr.astype(np.float64) - exp_arr.astype(np.float64))
    bound = atol + rtol * np.abs(exp_arr.astype(np.float64))
    bad = ~(diff <= bound)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(np.isnan(diff), np.inf, diff)), diff.shape)
        raise AssertionError(
            f"{what} is wrong: largest difference {diff[worst]:.3g} at index {tuple(int(i) for i in worst)} "
            f"(got {got_arr[worst]:.6g}, expected {exp_arr[worst]:.6g}); "
            f"tolerance {atol:g} + {rtol:g} * |expected|"
        )


def assert_raises_value_error(what, fn, *args, **kwargs):
    """Assert that ``fn(*args, **kwargs)`` raises ``ValueError`` with a non-empty message.

    Parameters
    ----------
    what : str
        The bad input, in words (``"x with 3 features where Wx expects 4"``).
    fn : callable

    Raises
    ------
    AssertionError
        If ``fn`` returns normally, raises another exception, or raises ``ValueError``
        without a message.

    Examples
    --------
    >>> def f(x):
    ...     if x < 0:
    ...         raise ValueError("x must be >= 0")
    >>> assert_raises_value_error("a negative x", f, -1)
    >>> assert_raises_value_error("a negative x", f, 1)
    Traceback (most recent call last):
    ...
    AssertionError: a negative x must raise ValueError (naming what was expected); nothing was raised
    """
    try:
        fn(*args, **kwargs)
    except ValueError as err:
        if not str(err).strip():
            raise AssertionError(
                f"{what} raised ValueError without a message; say what was expected"
            ) from None
        return
    except NotImplementedError:
        raise AssertionError(f"{what}: the function is not written yet (NotImplementedError)") from None
    except Exception as err:  # noqa: BLE001 - any other exception is the failure reported
        raise AssertionError(
            f"{what} must raise ValueError, but raised {type(err).__name__}: {err}"
        ) from None
    raise AssertionError(
        f"{what} must raise ValueError (naming what was expected); nothing was raised"
    )


def random_arrays(seed, **shapes):
    """Draw standard-normal float64 arrays of the given shapes from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int
    **shapes : tuple of int
        ``name=shape`` for each array, drawn in the order given.

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    ValueError
        If a shape is not a tuple of non-negative integers.

    Examples
    --------
    >>> arrays = random_arrays(0, x=(2, 3), b=(3,))
    >>> {k: v.shape for k, v in arrays.items()}
    {'x': (2, 3), 'b': (3,)}
    """
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in shapes.items():
        if not isinstance(shape, tuple) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            raise ValueError(f"{name}: shape must be a tuple of non-negative integers, got {shape!r}")
        out[name] = rng.standard_normal(shape)
    return out
