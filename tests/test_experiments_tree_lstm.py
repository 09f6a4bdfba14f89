"""The Tree-LSTM comparison on ListOps, lstm_helpers.experiments.tree_lstm, on the runner."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstm_helpers.experiments import tree_lstm  # noqa: E402
from lstm_helpers.experiments.runner import EXPERIMENTS, SCHEMA_VERSION, load, main, summarize  # noqa: E402
from lstm_helpers.experiments.tree_lstm import (  # noqa: E402
    MODELS,
    TreeLSTMConfig,
    make_data,
    make_model,
    match_hidden_size,
    model_hidden_size,
)
from lstm_helpers.plots import plot_accuracy_by_depth  # noqa: E402
from lstm_helpers.tasks.listops import to_string  # noqa: E402
from lstm_helpers.train import count_parameters  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_FIELDS = {"model", "seed", "hidden", "parameters", "matched_to", "matched_parameters", "steps", "epochs",
              "best_step", "valid_accuracy", "plateaued", "test_accuracy", "test_accuracy_by_depth",
              "test_accuracy_by_operator", "curve_steps", "curve_valid_accuracy", "curve_train_loss", "seconds"}
TOP_FIELDS = {"schema_version", "experiment", "name", "config", "seeds", "data", "models", "device", "device_name",
              "hardware", "threads", "version", "wall_seconds", "command"}


def teardown_function():
    plt.close("all")


def test_the_experiment_is_registered():
    assert EXPERIMENTS["tree_lstm"].models == MODELS


@pytest.mark.parametrize("kwargs, match", [
    ({"n_train": 0}, "n_train must be an integer >= 1"),
    ({"max_args": 1}, "max_args must be an integer >= 2"),
    ({"hidden": 2.5}, "hidden must be an integer >= 1"),
    ({"lr": 0.0}, "lr must be a positive number"),
    ({"patience": 0}, "patience must be an integer >= 1"),
    ({"data_seed": -1}, "data_seed must be an integer >= 0"),
    ({"max_steps": 10, "eval_every": 20}, "max_steps must be at least eval_every = 20"),
])
def test_configurations_are_checked_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TreeLSTMConfig(**kwargs)


def test_match_hidden_size_picks_the_closest_count():
    assert match_hidden_size(1000, lambda H: H * H) == 32  # 961 is 39 away, 1024 only 24
    assert match_hidden_size(990, lambda H: H * H) == 31  # 961 is 29 away, 1024 is 34
    assert match_hidden_size(1, lambda H: 10 * H) == 1 and match_hidden_size(10**6, lambda H: H, max_hidden=50) == 50
    with pytest.raises(ValueError, match="target must be an integer >= 1"):
        match_hidden_size(0, lambda H: H)


def test_each_lstm_matches_its_tree_model_as_closely_as_a_hidden_size_can():
    D = 16

    def lstm_count(H):  # embedding of 17 tokens, nn.LSTM with two bias vectors, read-out to 10 classes
        return 17 * D + 4 * (D * H + H * H + 2 * H) + 10 * H + 10

    for tree, H_tree, H_lstm in (("child_sum", 32, 32), ("binary", 32, 47)):
        target = count_parameters(make_model(tree, D, H_tree))
        assert model_hidden_size(f"lstm_match_{tree}", D, H_tree) == H_lstm
        lstm = make_model(f"lstm_match_{tree}", D, H_tree)
        assert count_parameters(lstm) == lstm_count(H_lstm)
        gap = abs(lstm_count(H_lstm) - target)
        assert gap <= min(abs(lstm_count(H_lstm - 1) - target), abs(lstm_count(H_lstm + 1) - target))
    assert count_parameters(make_model("child_sum")) == 6906 and count_parameters(make_model("binary")) == 12986


def test_bad_model_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="model must be one of 'child_sum', 'binary'"):
        make_model("gru")


def test_the_three_data_sets_share_no_expression():
    config = TreeLSTMConfig(n_train=300, n_valid=100, n_test=100, max_depth=2)
    sets = [{to_string(t) for t in part.trees} for part in make_data(config)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


def test_the_models_read_trees_and_token_sequences():
    config = TreeLSTMConfig(n_train=16, n_valid=8, n_test=8, max_depth=3)
    data = make_data(config)
    for name in MODELS:
        batch = tree_lstm._inputs(tree_lstm._kind(name), data[2])
        scores = tree_lstm._scores(make_model(name, 4, 3), batch)
        assert scores.shape == (8, 10) and torch.isfinite(scores).all()


def test_quick_run_writes_the_stored_layout(tmp_path, capsys):
    models = ["child_sum", "lstm_match_binary"]
    assert main(["tree_lstm", "--models", ",".join(models), "--seeds", "0,1", "--quick", "--no-progress",
                 "--out", str(tmp_path)]) == 0
    data = load("tree_lstm", "listops", folder=tmp_path)
    assert TOP_FIELDS <= set(data) and data["schema_version"] == SCHEMA_VERSION
    assert data["seeds"] == [0, 1] and list(data["models"]) == models
    assert data["data"]["n_test"] == 32 and sum(data["data"]["test_by_depth"]) == 32
    for name, entry in data["models"].items():
        assert entry["summary"] == summarize(entry["runs"])
        for seed, run in zip((0, 1), entry["runs"]):
            assert RUN_FIELDS <= set(run) and run["seed"] == seed and run["model"] == name
            assert len(run["test_accuracy_by_depth"]) == 2 and run["best_step"] <= run["steps"] <= 8
            assert run["plateaued"] == (run["steps"] < 8) and run["curve_steps"][-1] == run["steps"]
            assert (run["matched_to"] is None) == (name in ("child_sum", "binary"))
    report = capsys.readouterr().out
    assert "lstm_match_binary" in report and "wrote" in report


def test_runs_repeat_exactly_under_a_seed():
    config = TreeLSTMConfig(n_train=32, n_valid=16, n_test=16, max_depth=2, embedding=4, hidden=3, batch_size=8,
                            eval_every=2, patience=2, max_steps=6)
    data = make_data(config)
    first, again = (tree_lstm.run_model(config, "binary", 3, data) for _ in range(2))
    first.pop("seconds"), again.pop("seconds")
    assert first == again


STORED = sorted((ROOT / "book" / "data" / "tree_lstm").glob("*.json"))


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_results_are_complete(path):
    data = load("tree_lstm", path.stem)
    assert TOP_FIELDS <= set(data) and data["name"] == path.stem
    for name, entry in data["models"].items():
        assert name in MODELS and [r["seed"] for r in entry["runs"]] == data["seeds"]
        assert entry["summary"] == summarize(entry["runs"])
        for run in entry["runs"]:
            assert RUN_FIELDS <= set(run)
            assert run["best_step"] <= run["steps"] <= data["config"]["max_steps"]
            assert len(run["test_accuracy_by_depth"]) == data["config"]["max_depth"]


def test_plot_accuracy_by_depth_draws_every_model_and_rejects_bad_shapes():
    acc = {"a": np.array([[0.9, 0.8], [0.8, 0.7], [1.0, 0.6]]), "b": [[0.5, 0.5]]}
    ax = plot_accuracy_by_depth(acc, depths=[1, 2], baseline=0.1)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["a (3 seeds)", "b (1 seeds)", "most common label"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.9, 0.7])  # the medians
    with pytest.raises(ValueError, match=r"must have shape \(S, L\)"):
        plot_accuracy_by_depth({"a": [0.5, 0.5]})
    with pytest.raises(ValueError, match=r"depths must have shape \(L,\) = \(2,\)"):
        plot_accuracy_by_depth(acc, depths=[1, 2, 3])
