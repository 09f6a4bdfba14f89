"""The variant ablation, lstm_helpers.experiments.ablation, on the runner: seeds, models, stored results, command line."""

import json

import numpy as np
import pytest
import torch
from _oracles import order_class, order_scores  # noqa: E402  (tests/ is on sys.path under pytest)

from lstm_helpers.experiments import ablation
from lstm_helpers.experiments.ablation import (
    MODELS,
    AblationConfig,
    make_model,
    run_ablation,
    run_ablation_model,
)
from lstm_helpers.experiments.runner import SCHEMA_VERSION, load, main, summarize
from lstm_helpers.utils import data_dir

TINY = dict(T=6, hidden=3, n_steps=6, batch_size=4, lr=0.05, test_size=16, record_every=3)


def test_models_are_the_nine_variants_and_the_gru():
    assert MODELS == ("vanilla", "NIG", "NFG", "NOG", "NIAF", "NOAF", "NP", "CIFG", "FGR", "GRU")
    net = make_model("CIFG", 2, 5, 1)
    assert net(torch.zeros(3, 7, 2)).shape == (3, 1)
    with pytest.raises(ValueError, match="model must be one of 'vanilla'.*'GRU'; got 'LSTM'"):
        make_model("LSTM", 2, 5, 1)


def test_readout_uses_the_last_valid_step():
    torch.manual_seed(0)
    net = make_model("NP", 2, 4, 1).double()
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    padded = torch.cat([x, torch.randn(2, 3, 2, dtype=torch.float64)], dim=1)
    torch.testing.assert_close(net(padded, torch.tensor([5, 5])), net(x))


@pytest.mark.parametrize("model", ["vanilla", "FGR", "GRU"])
def test_seeds_trained_together_equal_seeds_trained_alone(model):
    config = AblationConfig(**TINY, clip=0.05)  # a small clip so that clipping acts on every step
    together = run_ablation_model(config, model, [3, 4])
    alone = [run_ablation_model(config, model, [s])[0] for s in (3, 4)]
    for a, b in zip(together, alone):
        assert a["seed"] == b["seed"]
        np.testing.assert_allclose(a["test_loss"], b["test_loss"], rtol=1e-10)
        np.testing.assert_allclose(a["curve_loss"], b["curve_loss"], rtol=1e-10)
    assert together[0]["test_loss"] != together[1]["test_loss"]


def test_temporal_order_runs_and_reports_accuracy():
    config = AblationConfig(task="temporal_order", **{k: v for k, v in TINY.items() if k != "T"})
    (run,) = run_ablation_model(config, "NP", [0])
    right = run["test_accuracy"] * config.test_size  # a fraction of the 16 test sequences
    assert right == pytest.approx(round(right), abs=1e-9)
    assert run["curve_steps"] == [3, 6] and len(run["curve_loss"]) == 2
    assert config.baseline == pytest.approx(np.log(4))


class FixedAnswer(torch.nn.Module):
    """A model whose output is a fixed function of its input: training cannot change it
    (its one parameter gets a zero gradient), so its test accuracy is known in advance."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, lengths=None):
        return self.answer(x) + 0.0 * self.unused


def adding_sum(x):
    """The right answer of the modern adding problem: the sum of the two marked values."""
    return (x[..., 0] * x[..., 1]).sum(dim=1, keepdim=True)


def test_the_oracles_know_the_answers():
    import lstm_helpers.tasks as tasks

    assert tasks.TEMPORAL_ORDER_SYMBOLS[5] == "Y"
    x, y, _ = tasks.temporal_order(50, np.random.default_rng(0), n_relevant=2)
    assert torch.equal(order_class(torch.as_tensor(x)), torch.as_tensor(y))
    x, y, _ = tasks.adding_problem(50, 6, np.random.default_rng(0), variant="modern")
    np.testing.assert_allclose(adding_sum(torch.as_tensor(x))[:, 0].numpy(), y, rtol=1e-12)


def _test_targets(task, seed, n):
    """The targets of the test set of ``seed`` (drawn from seed + 10000, as run_ablation_model documents)."""
    import lstm_helpers.tasks as tasks

    rng = np.random.default_rng(seed + 10_000)
    if task == "adding":
        return tasks.adding_problem(n, TINY["T"], rng, variant="modern")[1]
    return tasks.temporal_order(n, rng, n_relevant=2)[1]


@pytest.mark.parametrize("task, answer, expected", [
    ("adding", adding_sum, lambda y: 1.0),
    ("adding", lambda x: torch.ones(x.shape[0], 1, dtype=x.dtype), lambda y: np.mean(np.abs(1.0 - y) < 0.04)),
    ("adding", lambda x: 2.0 - adding_sum(x), lambda y: np.mean(np.abs(2.0 - 2 * y) < 0.04)),
    ("temporal_order", lambda x: order_scores(order_class(x), x), lambda y: 1.0),
    ("temporal_order", lambda x: order_scores(torch.zeros(x.shape[0], dtype=torch.long), x),
     lambda y: np.mean(y == 0)),  # always "XX": right for the quarter of the test set that is XX
    ("temporal_order", lambda x: order_scores(3 - order_class(x), x), lambda y: 0.0),  # 3 - k != k
], ids=["adding-right", "adding-mean", "adding-mirrored", "order-right", "order-always-XX", "order-reversed"])
def test_reported_accuracy_is_the_fraction_of_the_test_set_answered_right(task, answer, expected, monkeypatch):
    monkeypatch.setattr(ablation, "make_model", lambda *args, **kwargs: FixedAnswer(answer))
    config = AblationConfig(task=task, **{**TINY, "test_size": 200})
    seeds = [0, 5]
    runs = run_ablation_model(config, "NP", seeds)
    for seed, run in zip(seeds, runs):
        y = _test_targets(task, seed, config.test_size)
        assert run["test_accuracy"] == pytest.approx(expected(y), abs=1e-12), (task, seed)


def test_run_is_reproducible_and_leaves_global_state_alone():
    config = AblationConfig(**TINY)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    first = run_ablation(config, ["NP", "GRU"], seeds=[0, 1])
    assert torch.equal(torch.rand(1), before)
    second = run_ablation(config, ["NP", "GRU"], seeds=[0, 1])
    for m in ("NP", "GRU"):
        assert [r["test_loss"] for r in first["models"][m]["runs"]] == [r["test_loss"] for r in second["models"][m]["runs"]]
    assert list(first["models"]) == ["NP", "GRU"]
    assert first["models"]["NP"]["summary"]["n_runs"] == 2
    assert [r["seed"] for r in first["models"]["GRU"]["runs"]] == [0, 1]
    assert first["models"]["NP"]["runs"][0]["parameters"] == 4 * 3 * (2 + 3 + 2) + 3 + 1


def test_summary_statistics():
    runs = [{"model": "A", "test_loss": v, "test_accuracy": 0.5} for v in (0.3, 0.1, 0.2)]
    s = summarize(runs)
    assert (s["n_runs"], s["test_loss_median"], s["test_loss_min"], s["test_loss_max"]) == (3, 0.2, 0.1, 0.3)
    assert s["test_loss_mean"] == pytest.approx(0.2) and s["test_accuracy_mean"] == 0.5


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "copy"}, "task must be one of 'adding', 'temporal_order'"),
    ({"T": 1}, "T must be an integer >= 2"),
    ({"hidden": 0}, "hidden must be an integer >= 1"),
    ({"lr": -1.0}, "lr must be a positive number"),
    ({"dtype": "float16"}, "dtype must be one of"),
])
def test_bad_configurations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AblationConfig(**kwargs)


def test_bad_runs():
    config = AblationConfig(**TINY)
    with pytest.raises(ValueError, match="model must be one of"):
        run_ablation(config, ["NP", "peephole"])
    with pytest.raises(ValueError, match="must not be empty"):
        run_ablation(config, ["NP"], seeds=[])


def test_command_line_writes_json_and_load_reads_it(tmp_path, capsys):
    folder = tmp_path / "book" / "data" / "ablation"
    args = ["ablation", "--task", "adding", "--T", "6", "--hidden", "3", "--steps", "4", "--batch-size", "4",
            "--test-size", "8", "--record-every", "2", "--models", "NP,CIFG", "--seeds", "0,1", "--quiet",
            "--out", str(folder)]
    assert main(args) == 0
    stored = json.loads((folder / "adding_T6.json").read_text())
    assert list(stored["models"]) == ["NP", "CIFG"] and stored["seeds"] == [0, 1]
    assert "runs" not in stored and "summary" not in stored  # the layout of every experiment
    for m, entry in stored["models"].items():
        assert [(r["model"], r["seed"]) for r in entry["runs"]] == [(m, 0), (m, 1)]
        assert entry["summary"] == summarize(entry["runs"])
    assert stored["schema_version"] == SCHEMA_VERSION and stored["experiment"] == "ablation"
    assert stored["config"]["T"] == 6 and stored["command"].endswith(str(folder))
    assert "CIFG" in capsys.readouterr().out
    assert load("ablation", "adding_T6", folder=folder) == stored
    with pytest.raises(ValueError, match="no stored ablation result 'nope'.*stored: adding_T6"):
        load("ablation", "nope", folder=folder)


def test_command_line_rejects_bad_models(capsys):
    with pytest.raises(SystemExit):
        main(["ablation", "--models", "NP,LSTM", "--steps", "1"])
    assert "--models must be one or more of vanilla" in capsys.readouterr().err


def test_stored_results_are_complete():
    folder = data_dir("ablation")
    assert folder.is_dir(), f"{folder} is missing: the stored ablation results belong to the repository"
    stored = sorted(folder.glob("*.json"))
    # chapter 8 reads adding_T50, lr_sweep_adding_T50 and continual_reber (load("ablation", name))
    assert {"adding_T50.json", "lr_sweep_adding_T50.json", "continual_reber.json"} <= {p.name for p in stored}, \
        f"stored ablation results: {[p.name for p in stored]}"
    for path in stored:
        data = load("ablation", path.stem)
        config = AblationConfig(**data["config"])
        assert data["schema_version"] == SCHEMA_VERSION and data["name"] == path.stem == config.name, path.name
        assert len(data["seeds"]) >= 3
        models = list(data["models"])
        assert models == [m for m in MODELS if m in models], path.name  # in the order of the run
        # the full ablation and the sweep: every model; the continual Reber task: at least these six
        needed = {"vanilla", "NFG", "NOAF", "NP", "CIFG", "GRU"} if config.task == "continual_reber" else set(MODELS)
        assert needed <= set(models), path.name
        slices = [(s, lr) for lr in config.lrs for s in data["seeds"]] if config.lrs else \
            [(s, config.lr) for s in data["seeds"]]
        for m, entry in data["models"].items():
            assert [(r["model"], r["seed"]) for r in entry["runs"]] == [(m, s) for s, _ in slices], (path.name, m)
            if config.lrs:
                assert [r["lr"] for r in entry["runs"]] == [lr for _, lr in slices], (path.name, m)
                assert [e["lr"] for e in entry["by_lr"]] == list(config.lrs)
            assert all(np.isfinite(r["test_loss"]) and r["seconds"] > 0 for r in entry["runs"])
            assert entry["summary"] == summarize(entry["runs"]), (path.name, m)
        # chapter 8 prints the wall time, the hardware and the command of the stored run
        assert data["wall_seconds"] > 0 and {"cpu", "cpu_count", "torch"} <= set(data["hardware"]), path.name
        # the command as typed when the file was stored (adding_T50 under the runner's earlier name)
        prefix = "python -m lstm_helpers.ablation " if path.stem == "adding_T50" else \
            "python -m lstm_helpers.experiments ablation "
        assert data["command"].startswith(prefix), path.name
        assert ablation.upgrade(data) == data, path.name  # migrate leaves it alone


def test_a_sweep_trains_each_learning_rate_as_if_alone():
    config = AblationConfig(**TINY, clip=0.05, lrs=(0.01, 0.2))
    runs = run_ablation_model(config, "CIFG", [3, 4])
    assert [(r["seed"], r["lr"]) for r in runs] == [(3, 0.01), (4, 0.01), (3, 0.2), (4, 0.2)]
    alone = run_ablation_model(AblationConfig(**TINY, clip=0.05, lrs=(0.2,)), "CIFG", [4])[0]
    np.testing.assert_allclose(runs[3]["test_loss"], alone["test_loss"], rtol=1e-10)
    np.testing.assert_allclose(runs[3]["curve_loss"], alone["curve_loss"], rtol=1e-10)
    # one learning rate per slice: Adam's step with rate 1, scaled; the same run as Adam with that rate
    plain = run_ablation_model(AblationConfig(**{**TINY, "lr": 0.2}, clip=0.05), "CIFG", [4])[0]
    np.testing.assert_allclose(alone["test_loss"], plain["test_loss"], rtol=1e-8)


def test_results_do_not_depend_on_the_default_dtype():
    config = AblationConfig(**TINY)
    first = run_ablation_model(config, "NP", [0])[0]["test_loss"]
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        second = run_ablation_model(config, "NP", [0])[0]["test_loss"]
    finally:
        torch.set_default_dtype(previous)
    assert first == second


def _flat(models, seeds):
    """A result of schema version 1: a list of names, one flat list of runs, a separate summary."""
    runs = [{"model": m, "seed": s, "parameters": 10 + k, "test_loss": 0.1 * (k + 1) + 0.01 * s,
             "test_accuracy": 0.5, "curve_steps": [1, 2], "curve_loss": [0.3, 0.2], "seconds": 1.5}
            for k, m in enumerate(models) for s in seeds]
    return {"schema_version": 1, "experiment": "ablation", "name": "adding_T6",
            "config": {**TINY, "task": "adding"}, "baseline": 1 / 6, "models": list(models), "seeds": list(seeds),
            "runs": runs, "summary": {m: summarize([r for r in runs if r["model"] == m]) for m in models},
            "hardware": {"cpu": "x"}, "version": "0", "command": "c", "wall_seconds": 9.0}


def test_upgrade_groups_the_flat_runs_by_model_and_changes_no_value():
    old = _flat(["GRU", "NP"], [0, 1, 2])
    new = ablation.upgrade(json.loads(json.dumps(old)))
    assert "runs" not in new and "summary" not in new
    assert list(new["models"]) == ["GRU", "NP"]  # the stored order, not MODELS' order
    for m, entry in new["models"].items():
        assert entry["runs"] == [r for r in old["runs"] if r["model"] == m]
        assert entry["summary"] == old["summary"][m]
    assert [r for e in new["models"].values() for r in e["runs"]] == old["runs"]
    assert {k: v for k, v in new.items() if k != "models"} == {
        k: v for k, v in old.items() if k not in ("models", "runs", "summary")}
    assert ablation.upgrade(new) == new  # a file in the current layout comes back unchanged


def test_report_reads_the_layout_of_every_experiment():
    data = ablation.upgrade(_flat(["NP", "GRU"], [0, 1]))
    lines = ablation._report(data).splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["NP", "GRU"]
    assert lines[1].split()[1:3] == ["2", "0.1050"]  # two runs, median test loss (0.10 + 0.11) / 2
