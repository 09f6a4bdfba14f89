"""The continual embedded Reber grammar (lstm_helpers.tasks.reber) and its experiment (lstm_helpers.experiments.ablation)."""

import json

import numpy as np
import pytest

from lstm_helpers.experiments import ablation
from lstm_helpers.experiments.ablation import AblationConfig, run_ablation, run_continual_model
from lstm_helpers.experiments.runner import load, main, summarize
from lstm_helpers.tasks import (
    REBER_SYMBOLS,
    ContinualReber,
    ReberStream,
    continual_embedded_reber,
    decode,
    embedded_reber_walk,
)

TINY = dict(task="continual_reber", T=8, hidden=3, n_steps=4, batch_size=2, test_size=12, record_every=2)


def _strings(x, starts):
    """The whole strings of one stream (its last, possibly cut, string left out) and where each begins."""
    text = decode(x, REBER_SYMBOLS)
    bounds = np.flatnonzero(starts)
    return [(a, text[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def test_shapes_and_one_hot_inputs():
    data = continual_embedded_reber(3, 200, np.random.default_rng(0))
    assert isinstance(data, ReberStream) and data._fields == ("x", "y", "starts")
    x, y, starts = data
    assert x.shape == y.shape == (3, 200, 7) and starts.shape == (3, 200) and starts.dtype == bool
    assert x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)  # one symbol at every step: no padding, no gap
    assert set(np.unique(y.sum(axis=2))) <= {1.0, 2.0}
    assert starts[:, 0].all() and (starts.sum(axis=1) >= 200 // 40).all()


def test_strings_follow_the_grammar_and_the_legal_sets_agree_with_the_walker():
    x, y, starts = continual_embedded_reber(2, 300, np.random.default_rng(1))
    index = {s: k for k, s in enumerate(REBER_SYMBOLS)}
    checked = 0
    for i in range(2):
        for a, string in _strings(x[i], starts[i]):
            assert string[0] == "B" and string[-1] == "E"
            legal = embedded_reber_walk(string)  # raises if the string breaks the grammar
            legal[-1] = "B"  # after the final E the next string begins
            for t, options in enumerate(legal):
                expected = np.zeros(7)
                expected[[index[s] for s in options]] = 1.0
                np.testing.assert_array_equal(y[i, a + t], expected, err_msg=f"stream {i}, step {a + t}")
            checked += 1
    assert checked >= 10


def test_windows_continue_the_streams():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    streams = ContinualReber(2, rng_a)
    parts = [streams.next(n) for n in (7, 1, 30)]
    whole = continual_embedded_reber(2, 38, rng_b)
    for k in range(3):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts], axis=1), whole[k])
    again = continual_embedded_reber(2, 38, np.random.default_rng(5))
    assert all(np.array_equal(a, b) for a, b in zip(again, whole))
    assert not np.array_equal(continual_embedded_reber(2, 38, np.random.default_rng(6)).x, whole.x)


@pytest.mark.parametrize("call, match", [
    (lambda: continual_embedded_reber(0, 10, np.random.default_rng(0)), "n must be an integer >= 1"),
    (lambda: continual_embedded_reber(2, 0, np.random.default_rng(0)), "length must be an integer >= 1"),
    (lambda: continual_embedded_reber(2, 10, 0), "rng must be a numpy.random.Generator"),
    (lambda: ContinualReber(2, np.random.default_rng(0)).next(2.5), "length must be an integer >= 1"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_config_names_and_checks():
    assert AblationConfig(task="continual_reber").name == "continual_reber"
    assert AblationConfig(task="continual_reber").baseline is None
    assert AblationConfig(T=50, lrs=[0.01, 0.1]).name == "lr_sweep_adding_T50"
    assert AblationConfig(T=50, lrs=[0.01, 0.1]).lrs == (0.01, 0.1)
    for lrs, match in [((0.1, -1.0), "lrs must hold positive numbers"), ("0.1", "lrs must be a sequence"),
                       ((0.1, 0.1), "lrs must not repeat")]:
        with pytest.raises(ValueError, match=match):
            AblationConfig(lrs=lrs)
    with pytest.raises(ValueError, match="task must be one of 'adding', 'temporal_order', 'continual_reber'"):
        AblationConfig(task="reber")
    with pytest.raises(ValueError, match="needs task='continual_reber'"):
        run_continual_model(AblationConfig(), "NP", [0])


def test_continual_runs_are_reproducible_and_seeds_together_equal_seeds_alone():
    config = AblationConfig(**TINY)
    together = run_continual_model(config, "NFG", [0, 1])
    alone = run_continual_model(config, "NFG", [1])[0]
    np.testing.assert_allclose(together[1]["test_loss"], alone["test_loss"], rtol=1e-10)
    np.testing.assert_allclose(together[1]["cell_median"], alone["cell_median"], rtol=1e-10)
    run = together[0]
    assert 0 <= run["strings_before_error"] <= config.test_size and len(run["block_accuracy"]) == 10
    assert run["cell_steps"][-1] == run["test_steps"] and run["curve_steps"] == [2, 4]


def test_strings_are_counted_after_the_warm_up_string(monkeypatch):
    """Every step right except one step of the 5th counted string: 5 strings right before the first error."""
    config = AblationConfig(**TINY)
    x, y, starts = ablation._test_stream(config.test_size + 1, 0)
    wrong_at = np.flatnonzero(starts)[1 + 5] + 2  # step 2 of string 5 (string 0 is the warm-up)

    def fake(scores, targets):
        right = np.ones(len(scores), dtype=bool)
        if len(scores) == len(x):
            right[wrong_at] = False
        return right

    monkeypatch.setattr(ablation, "_steps_right", fake)
    (run,) = run_continual_model(config, "GRU", [0])
    assert run["strings_before_error"] == 5 and run["test_accuracy"] == pytest.approx(11 / 12)
    assert run["test_steps"] == len(x) and sum(run["block_accuracy"]) == pytest.approx(9.0)


def test_sweep_trains_every_learning_rate_from_the_same_start():
    config = AblationConfig(task="continual_reber", **{k: v for k, v in TINY.items() if k != "task"} | {"lrs": (0.01, 0.3)})
    runs = run_continual_model(config, "GRU", [0, 1])
    assert [(r["seed"], r["lr"]) for r in runs] == [(0, 0.01), (1, 0.01), (0, 0.3), (1, 0.3)]
    single = run_continual_model(AblationConfig(**{**TINY, "lrs": (0.3,)}), "GRU", [1])[0]
    np.testing.assert_allclose(runs[3]["test_loss"], single["test_loss"], rtol=1e-10)
    assert runs[0]["test_loss"] != runs[2]["test_loss"]


def test_command_line_quick_run(tmp_path, capsys):
    folder = tmp_path / "ablation"
    assert main(["ablation", "--quick", "--task", "continual_reber", "--models", "NFG,GRU", "--seeds", "0,1",
                 "--quiet", "--no-progress", "--out", str(folder)]) == 0
    stored = json.loads((folder / "continual_reber.json").read_text())
    assert list(stored["models"]) == ["NFG", "GRU"] and stored["baseline"] is None
    for m, entry in stored["models"].items():
        assert [r["seed"] for r in entry["runs"]] == [0, 1]
        assert entry["summary"] == summarize(entry["runs"])
    assert load("ablation", "continual_reber", folder=folder) == stored
    assert ablation.upgrade(stored) == stored
    assert "before the first error" in capsys.readouterr().out


def test_run_ablation_stores_a_summary_per_learning_rate():
    config = AblationConfig(T=6, hidden=3, n_steps=4, batch_size=4, test_size=8, record_every=2, lrs=(0.003, 0.03))
    result = run_ablation(config, ["NP"], seeds=[0, 1])
    entry = result["models"]["NP"]
    assert [e["lr"] for e in entry["by_lr"]] == [0.003, 0.03]
    for e in entry["by_lr"]:
        assert {k: v for k, v in e.items() if k != "lr"} == summarize([r for r in entry["runs"] if r["lr"] == e["lr"]])
    assert ablation.upgrade(json.loads(json.dumps(result))) == json.loads(json.dumps(result))
