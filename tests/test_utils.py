"""Seeding, device choice and the diagrams."""

import json
import pathlib

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


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"), (False, None, "cpu")],
    ids=["cuda+mps", "cuda", "mps", "neither", "torch-without-mps"],
)
def test_get_device_auto_prefers_cuda_then_mps_then_cpu(cuda, mps, expected, monkeypatch):
    """Every branch of device="auto", whatever the host has (mps=None: a torch without torch.backends.mps)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    if mps is None:
        monkeypatch.delattr(torch.backends, "mps", raising=False)
    else:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert lstm_helpers.get_device() == torch.device(expected)
    assert lstm_helpers.get_device("auto") == torch.device(expected)
    assert lstm_helpers.get_device("cpu") == torch.device("cpu")


def test_get_device_names_a_cuda_device_only_when_there_is_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for name in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match=f"device '{name}' was asked for but no CUDA device is available"):
            lstm_helpers.get_device(name)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert lstm_helpers.get_device("cuda") == torch.device("cuda")
    assert lstm_helpers.get_device("cuda:1") == torch.device("cuda", 1)


@pytest.mark.parametrize("bad", ["quantum", "", "cuda:x", 3.5])
def test_get_device_rejects_names_that_are_not_devices(bad):
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        lstm_helpers.get_device(bad)


def test_get_device_auto_on_this_host():
    mps = getattr(torch.backends, "mps", None)
    expected = ("cuda" if torch.cuda.is_available()
                else "mps" if mps is not None and mps.is_available() else "cpu")
    assert lstm_helpers.get_device().type == expected


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


def test_data_dir_and_load_stored():
    from lstm_helpers.utils import data_dir, load_stored

    folder = data_dir("long_lags")
    assert folder.parts[-3:] == ("book", "data", "long_lags") and folder.is_dir()
    assert folder.resolve() == pathlib.Path(__file__).resolve().parents[1] / "book" / "data" / "long_lags"
    stored = load_stored("long_lags", "adding_T100")
    assert stored == json.loads((folder / "adding_T100.json").read_text())
    assert stored["name"] == "adding_T100" and stored["experiment"] == "long_lags"
    with pytest.raises(ValueError, match="no stored result 'nope'.*stored: .*adding_T100"):
        load_stored("long_lags", "nope")


def test_load_stored_from_another_folder(tmp_path):
    from lstm_helpers.utils import data_dir, load_stored

    (tmp_path / "run.json").write_text(json.dumps({"loss": [0.5, 0.25]}))
    assert load_stored("anything", "run", folder=tmp_path) == {"loss": [0.5, 0.25]}
    with pytest.raises(ValueError, match=r"no stored curve 'other' in .*; stored: run$"):
        load_stored("anything", "other", what="curve", folder=tmp_path)
    missing = data_dir("no_such_folder")  # where it would be stored
    assert missing.parts[-3:] == ("book", "data", "no_such_folder") and not missing.exists()
    with pytest.raises(ValueError, match="stored: none$"):
        load_stored("no_such_folder", "run")


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
