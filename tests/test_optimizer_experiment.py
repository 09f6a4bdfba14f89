"""The optimiser comparison, lstm_helpers.experiments.optimizers: checks, one run per optimiser, the command line."""

import pathlib

import pytest
import torch

from lstm_helpers import optim
from lstm_helpers.experiments import long_lags
from lstm_helpers.experiments.optimizers import (
    DEFAULT_LRS,
    OPTIMIZERS,
    OptimizerConfig,
    default_config,
    model_name,
    run_optimizer,
)
from lstm_helpers.experiments.runner import EXPERIMENTS, SCHEMA_VERSION, load, main, summarize

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("make, match", [
    (lambda: OptimizerConfig(task="copying"), "task must be one of 'adding', 'reber'; got 'copying'"),
    (lambda: OptimizerConfig(model="gru"), "model must be one of 'rnn', 'lstm', .*; got 'gru'"),
    (lambda: OptimizerConfig(optimizers=("adam", "adagrad", "lbfgs")),
     "optimizers must be one or more of sgd, sgd_clip, momentum, rmsprop, rmsprop_momentum, rmsprop_centered, "
     "adam, adam_clip; got 'adagrad', 'lbfgs'"),
    (lambda: OptimizerConfig(max_error=0.0), "max_error must be a positive number, got 0.0"),
    (lambda: OptimizerConfig(optimizers=()), "optimizers must be one or more of .*; got none"),
    (lambda: OptimizerConfig(lrs=(0.01, 0.0)), "every learning rate of lrs must be a positive number, got 0.0"),
    (lambda: OptimizerConfig(lrs=(-1.0,)), "every learning rate of lrs must be a positive number, got -1.0"),
    (lambda: OptimizerConfig(lrs=("0.1",)), "every learning rate of lrs must be a positive number, got '0.1'"),
    (lambda: OptimizerConfig(lrs=()), "lrs must hold at least one learning rate"),
    (lambda: OptimizerConfig(T=5), "T must be an integer >= 10"),
    (lambda: OptimizerConfig(budget=0), "budget must be an integer >= 1"),
    (lambda: default_config(optimizers=("adamw",)), "got 'adamw'"),
    (lambda: default_config("temporal_order"), "task must be one of 'adding', 'reber'; got 'temporal_order'"),
])
def test_configuration_is_checked_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_defaults_are_those_of_the_long_lag_adding_problem():
    config, base = default_config(), long_lags.default_config("adding")
    assert (config.T, config.hidden, config.batch_size, config.budget, config.window, config.max_error) == \
        (base.T, base.hidden, base.batch_size, base.budget, base.window, base.max_error)
    assert config.optimizers == tuple(OPTIMIZERS) and config.name == "adding_T100_lstm_chrono"
    assert config.model == "lstm_chrono" and model_name("rmsprop", 0.01) == "rmsprop@0.01"


def test_the_reber_comparison_trains_the_rnn_with_the_lstms_budget():
    config, base = default_config("reber"), long_lags.default_config("reber")
    assert (config.model, config.name, config.budget, config.window, config.max_error) == \
        ("rnn", "reber_rnn", base.budget, base.window, None)
    assert config.budget == 39_740 and config.long_lag_config(0.01).rnn_budget == config.budget
    assert default_config("adding", model="lstm").name == "adding_T100_lstm"


class _Counted:
    """Wrap the classes of lstm_helpers.optim to count constructions and steps."""

    def __init__(self, monkeypatch):
        self.built, self.steps = [], []
        for name in ("SGD", "RMSprop", "Adam"):
            base = getattr(optim, name)
            counter = self

            class Counted(base):
                def __init__(self, params, **kwargs):
                    counter.built.append((type(self).__mro__[1].__name__, kwargs))
                    super().__init__(params, **kwargs)

                def step(self, *args, **kwargs):
                    counter.steps.append(type(self).__mro__[1].__name__)
                    return super().step(*args, **kwargs)

            monkeypatch.setattr(optim, name, Counted)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_run_trains_with_the_packages_optimizer(name, monkeypatch):
    counted = _Counted(monkeypatch)
    clips = []
    train = long_lags.train
    monkeypatch.setattr(long_lags, "train", lambda *a, **k: clips.append(k["clip"]) or train(*a, **k))
    config = default_config(quick=True)
    run = run_optimizer(config, name, 0.01, seed=0)
    cls, settings, clipped = OPTIMIZERS[name]
    assert counted.built == [(cls, {"lr": 0.01, **settings})]
    assert counted.steps == [cls] * run["updates_seen"] and run["updates_seen"] == config.budget // config.batch_size
    assert clips == [config.clip if clipped else None] and run["clip"] == clips[0]
    assert (run["optimizer"], run["lr"], run["reached"], run["updates_to_criterion"]) == (name, 0.01, False, None)
    assert {"wrong_test", "seconds", "curve", "sequences_seen"} <= set(run)


def test_graves_rmsprop_is_centered_with_momentum_and_eps_inside_the_root():
    assert OPTIMIZERS["rmsprop_centered"][1] == {"alpha": 0.95, "eps": 1e-4, "momentum": 0.9, "centered": True,
                                                 "eps_inside_sqrt": True}


def test_quick_cli_run_stores_one_model_per_optimizer_and_learning_rate(tmp_path, capsys):
    assert "optimizers" in EXPERIMENTS
    main(["optimizers", "--models", "adam,rmsprop", "--seeds", "0,1", "--lrs", "0.01,0.1", "--quick",
          "--device", "cpu", "--no-progress", "--quiet", "--out", str(tmp_path)])
    assert "rmsprop@0.1" in capsys.readouterr().out
    data = load("optimizers", "adding_T20_lstm_chrono", folder=tmp_path)
    assert (data["schema_version"], data["experiment"], data["seeds"]) == (SCHEMA_VERSION, "optimizers", [0, 1])
    assert list(data["models"]) == ["adam@0.01", "adam@0.1", "rmsprop@0.01", "rmsprop@0.1"]
    assert data["config"]["optimizers"] == ["adam", "rmsprop"] and data["config"]["lrs"] == [0.01, 0.1]
    for name, entry in data["models"].items():
        assert [r["seed"] for r in entry["runs"]] == [0, 1]
        assert {r["optimizer"] + "@" + f"{r['lr']:g}" for r in entry["runs"]} == {name}
        assert entry["summary"] == summarize(entry["runs"], data["config"]["batch_size"])
    assert "--quick" in data["command"]


@pytest.mark.parametrize("argv, message", [
    (["--lrs", "0.1,-1"], "--lrs must be comma-separated positive learning rates"),
    (["--lrs", "fast"], "--lrs must be comma-separated positive learning rates"),
    (["--models", "adam,adagrad"], "--models must be one or more of sgd, sgd_clip"),
])
def test_cli_rejects_bad_options(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["optimizers", "--quick", "--out", str(tmp_path), *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    (dict(clip=0.0), "clip must be a positive number"),
    (dict(clip="yes"), "clip must be a positive number"),
    (dict(optimizer="adam"), "optimizer must be a callable"),
])
def test_run_long_lag_checks_its_optimizer_and_clip(kwargs, message):
    config = long_lags.default_config("adding", quick=True)
    with pytest.raises(ValueError, match=message):
        long_lags.run_long_lag(config, "lstm_chrono", 0, **kwargs)


def test_run_long_lag_defaults_to_adam_with_the_configs_clip(monkeypatch):
    seen = []
    train = long_lags.train
    monkeypatch.setattr(long_lags, "train", lambda *a, **k: seen.append((type(k["optimizer"]), k["clip"])) or train(*a, **k))
    config = long_lags.default_config("adding", quick=True)
    long_lags.run_long_lag(config, "lstm_chrono", 0)
    assert seen == [(torch.optim.Adam, config.clip)]


def test_a_reber_run_trains_the_rnn_for_the_whole_budget():
    config = default_config("reber", quick=True)
    run = run_optimizer(config, "momentum", 0.1, seed=0)
    assert run["updates_seen"] == -(-config.budget // config.batch_size) and run["parameters"] == \
        long_lags.count_parameters(long_lags.make_model("rnn", 7, config.hidden, 7))
    assert 0 <= run["wrong_test"] <= run["test_size"] and run["test_loss"] > 0


STORED = sorted((ROOT / "book" / "data" / "optimizers").glob("*.json"))


def test_both_comparisons_are_stored():
    assert [p.name for p in STORED] == ["adding_T100_lstm_chrono.json", "reber_rnn.json"]


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_comparisons_are_complete(path):
    data = load("optimizers", path.stem)
    config = data["config"]
    assert (data["schema_version"], data["experiment"], data["name"]) == (SCHEMA_VERSION, "optimizers", path.stem)
    assert config["optimizers"] == list(OPTIMIZERS) and config["lrs"] == list(DEFAULT_LRS)
    assert list(data["models"]) == [model_name(o, lr) for o in OPTIMIZERS for lr in DEFAULT_LRS]
    assert data["seeds"] == [0, 1, 2] and data["device_name"] and data["command"]
    for name, (cls, settings, clipped) in OPTIMIZERS.items():
        assert data["optimizers"][name] == {"class": f"lstm_helpers.optim.{cls}", **settings,
                                            "clip": config["clip"] if clipped else None}
    for name, entry in data["models"].items():
        assert [r["seed"] for r in entry["runs"]] == data["seeds"]
        for run in entry["runs"]:
            assert model_name(run["optimizer"], run["lr"]) == name
            assert run["reached"] == (run["sequences_to_criterion"] is not None)
            assert run["sequences_seen"] <= config["budget"] + config["batch_size"]
            assert {"wrong_test", "test_loss", "curve", "updates_seen"} <= set(run)
        assert entry["summary"] == summarize(entry["runs"], config["batch_size"])
