"""Seeding, device choice and the diagrams."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import lstm_helpers  # noqa: E402
from lstm_helpers import diagrams  # noqa: E402


def test_set_seed_is_reproducible():
    a = lstm_helpers.set_seed(7)
    t1 = torch.rand(3)
    n1 = np.random.rand(2)
    b = lstm_helpers.set_seed(7)
    assert torch.equal(t1, torch.rand(3))
    np.testing.assert_array_equal(n1, np.random.rand(2))
    assert a.integers(1000) == b.integers(1000)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None, True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        lstm_helpers.set_seed(bad)


def test_get_device():
    assert lstm_helpers.get_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert lstm_helpers.get_device().type == "cuda"
    elif not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        assert lstm_helpers.get_device().type == "cpu"
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda'"):
        lstm_helpers.get_device("quantum")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            lstm_helpers.get_device("cuda")


@pytest.mark.parametrize("kwargs", [{}, {"show_outputs": False}, {"show_folded": False}, {"tokens": ["a"]}])
def test_draw_unrolled_rnn(kwargs):
    ax = diagrams.draw_unrolled_rnn(**kwargs)
    texts = [t.get_text() for t in ax.texts]
    tokens = kwargs.get("tokens", ("The", "cat", "sat"))
    assert all(f"\u201c{w}\u201d" in texts for w in tokens)
    assert ("$y_{1}$" in texts) == kwargs.get("show_outputs", True)
    ax.figure.canvas.draw()
    plt.close(ax.figure)


def test_draw_unrolled_rnn_needs_tokens():
    with pytest.raises(ValueError, match="at least one"):
        diagrams.draw_unrolled_rnn(())


def test_draw_sequence_patterns():
    axes = diagrams.draw_sequence_patterns()
    assert len(axes) == 4
    axes[0].figure.canvas.draw()
    fig, four = plt.subplots(1, 4)
    assert diagrams.draw_sequence_patterns(axes=four) is not None
    with pytest.raises(ValueError, match="4"):
        diagrams.draw_sequence_patterns(axes=four[:2])
    plt.close("all")


def test_data_dir_and_load_stored(tmp_path, monkeypatch):
    from lstm_helpers.utils import data_dir, load_stored

    assert data_dir("long_lags").parts[-3:] == ("book", "data", "long_lags")
    assert load_stored("long_lags", "adding_T100")["version"] == lstm_helpers.__version__
    with pytest.raises(ValueError, match="no stored result 'nope'.*stored: .*adding_T100"):
        load_stored("long_lags", "nope")


def test_pin_threads_sets_and_restores_torch_threads():
    before = torch.get_num_threads()
    with lstm_helpers.pin_threads(1) as pinned:
        assert torch.get_num_threads() == 1
        assert repr(pinned) == "pin_threads(1)"
    assert torch.get_num_threads() == before
    lstm_helpers.pin_threads(1)
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)


def test_pin_threads_limits_numpy_blas():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with lstm_helpers.pin_threads(1):
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)


@pytest.mark.parametrize("bad", [0, -2, 1.0, "1", None, True])
def test_pin_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="positive integer"):
        lstm_helpers.pin_threads(bad)
