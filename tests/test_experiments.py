"""Tests of the 1997 long-time-lag experiments, lstm_helpers.experiments.long_lags, on the runner."""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib

import numpy as np
import pytest
import torch
from _oracles import order_class, order_scores  # noqa: E402  (tests/ is on sys.path under pytest)

from lstm_helpers import __version__
from lstm_helpers.experiments import long_lag_tasks, paper, runner
from lstm_helpers.experiments import long_lags as experiments
from lstm_helpers.experiments.long_lags import (
    MODELS,
    TASKS,
    default_config,
    long_lags,
    make_model,
    make_task,
    run_long_lag,
)
from lstm_helpers.experiments.paper import PAPER, refresh_paper, results_table, seed_table
from lstm_helpers.experiments.runner import SCHEMA_VERSION, load, main, summarize
from lstm_helpers.train import count_parameters
from lstm_helpers.utils import data_dir


def load_results(name):
    return load("long_lags", name)

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_FIELDS = {"seed", "reached", "sequences_to_criterion", "updates_to_criterion", "sequences_seen", "wrong_test", "test_size", "seconds",
              "parameters", "curve"}
TOP_FIELDS = {"schema_version", "experiment", "name", "task", "config", "criterion", "optimizer", "seeds", "models", "paper", "device",
              "device_name", "hardware", "threads", "version", "wall_seconds", "command"}


def test_quick_cli_run_writes_every_field(tmp_path, capsys):
    out = tmp_path / "adding_T20.json"
    status = main(["long_lags", "--task", "adding", "--T", "20", "--models", "rnn,lstm,lstm_bf1",
                   "--seeds", "0,1", "--device", "cpu", "--quick", "--no-progress", "--out", str(tmp_path)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "adding_T20 lstm seed 1" in printed and f"wrote {out}" in printed
    data = json.loads(out.read_text())
    assert TOP_FIELDS <= set(data)
    assert data["name"] == "adding_T20" and data["seeds"] == [0, 1]
    assert data["version"] == __version__ and data["device"] == "cpu" and data["schema_version"] == SCHEMA_VERSION
    assert data["hardware"]["torch"] == torch.__version__ and data["hardware"]["cpu_count"] >= 1
    assert list(data["models"]) == ["rnn", "lstm", "lstm_bf1"]
    for entry in data["models"].values():
        assert len(entry["runs"]) == 2
        for run in entry["runs"]:
            assert RUN_FIELDS <= set(run)
            assert run["test_size"] == 32 and isinstance(run["wrong_test"], int)
            assert run["sequences_seen"] <= 64 + 16
            assert len(run["curve"]["seen"]) == len(run["curve"]["loss"]) == len(run["curve"]["recent_correct"])
        assert {"success_rate", "sequences_median", "wrong_test_median"} <= set(entry["summary"])
        assert entry["summary"]["wrong_test_median"] == np.median([r["wrong_test"] for r in entry["runs"]])
    assert data["models"]["rnn"]["runs"][0]["sequences_seen"] == 32  # the RNN's own (smaller) budget
    assert "--quick" in data["command"]


@pytest.mark.parametrize("task", ["reber", "temporal_order"])
def test_quick_runs_of_the_other_tasks(task, tmp_path):
    config = default_config(task, quick=True)
    data = long_lags(config, models=["lstm_chrono", "lstm_nofg"], seeds=[3], device="cpu",
                     out=tmp_path / "r.json", progress=False, log=None)
    assert json.loads((tmp_path / "r.json").read_text())["models"].keys() == {"lstm_chrono", "lstm_nofg"}
    assert data["paper"] == PAPER[config.name]


class FixedAnswer(torch.nn.Module):
    """A model whose output is a fixed function of its input: training cannot change it
    (its one parameter gets a zero gradient), so the number of test sequences it gets wrong is known."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, lengths=None, every_step=False):
        return self.answer(x) + 0.0 * self.unused


def adding_target(x):
    """The right answer of the 1997 adding problem: 0.5 + (X1 + X2) / 4, X1 and X2 the values marked 1."""
    return 0.5 + (x[..., 0] * (x[..., 1] == 1)).sum(dim=1, keepdim=True) / 4


def test_the_oracles_know_the_answers():
    import lstm_helpers.tasks as tasks

    assert tasks.TEMPORAL_ORDER_SYMBOLS[5] == "Y"
    x, y, _ = tasks.temporal_order(50, np.random.default_rng(0), n_relevant=2)
    assert torch.equal(order_class(torch.as_tensor(x)), torch.as_tensor(y))
    x, y, _ = tasks.adding_problem(50, 20, np.random.default_rng(0), variant="1997")
    np.testing.assert_allclose(adding_target(torch.as_tensor(x))[:, 0].numpy(), y, rtol=1e-12)


def _test_targets(config, seed):
    """The targets of the test set of ``seed`` (its own generator, np.random.default_rng([seed, 2]))."""
    import lstm_helpers.tasks as tasks

    rng = np.random.default_rng([seed, 2])
    if config.task == "adding":
        return tasks.adding_problem(config.test_size, config.T, rng, variant="1997")[1]
    return tasks.temporal_order(config.test_size, rng, n_relevant=config.n_relevant)[1]


def _mismatch(a, b):
    """|a - b| >= 0.04 in float32, as the training loop judges a float32 run of the adding problem."""
    return np.abs(np.float32(a) - np.float32(b)) >= np.float32(0.04)


@pytest.mark.parametrize("task, answer, expected_wrong", [
    ("adding", adding_target, lambda y: 0),
    ("adding", lambda x: torch.full((x.shape[0], 1), 0.5, dtype=x.dtype), lambda y: int(np.sum(_mismatch(0.5, y)))),
    ("adding", lambda x: 1.0 - adding_target(x), lambda y: int(np.sum(_mismatch(1.0 - y, y)))),
    ("temporal_order", lambda x: order_scores(order_class(x), x), lambda y: 0),
    ("temporal_order", lambda x: order_scores(torch.zeros(x.shape[0], dtype=torch.long), x),
     lambda y: int(np.sum(y != 0))),  # always "XX": wrong on every other class
    ("temporal_order", lambda x: order_scores(3 - order_class(x), x), lambda y: len(y)),  # 3 - k != k
], ids=["adding-right", "adding-constant", "adding-mirrored", "order-right", "order-always-XX", "order-reversed"])
def test_wrong_test_counts_the_test_sequences_answered_wrong(task, answer, expected_wrong, monkeypatch):
    monkeypatch.setattr(experiments, "make_model", lambda *args, **kwargs: FixedAnswer(answer))
    config = default_config(task, quick=True)
    for seed in (0, 5):
        run = run_long_lag(config, "lstm", seed=seed)
        assert run["test_size"] == 32
        assert run["wrong_test"] == expected_wrong(_test_targets(config, seed)), (task, seed)


@pytest.mark.parametrize("answer, expected_wrong", [(adding_target, 0), (lambda x: adding_target(x) + 1.0, 600)],
                         ids=["always-right", "always-wrong"])
def test_wrong_test_adds_up_over_the_chunks_of_a_large_test_set(answer, expected_wrong, monkeypatch):
    monkeypatch.setattr(experiments, "make_model", lambda *args, **kwargs: FixedAnswer(answer))
    config = default_config("adding", quick=True)
    config.test_size = 600  # tested in chunks of at most 512 sequences
    assert run_long_lag(config, "lstm", seed=0)["wrong_test"] == expected_wrong


def test_a_perfect_predictor_meets_the_criterion_after_one_window(monkeypatch):
    monkeypatch.setattr(experiments, "make_model", lambda *args, **kwargs: FixedAnswer(adding_target))
    config = default_config("adding", quick=True)
    run = run_long_lag(config, "lstm", seed=0)
    assert run["reached"] and run["sequences_to_criterion"] == config.window == 16
    assert run["wrong_test"] == 0


def test_models_run_one_at_a_time_are_merged(tmp_path):
    config = default_config("adding", T=10, quick=True)
    out = tmp_path / "m.json"
    long_lags(config, models=["lstm"], seeds=[0], device="cpu", out=out, progress=False, log=None)
    long_lags(config, models=["rnn"], seeds=[0], device="cpu", out=out, progress=False, log=None)
    assert list(json.loads(out.read_text())["models"]) == ["rnn", "lstm"]
    config.hidden = 5  # a different configuration replaces the file
    long_lags(config, models=["rnn"], seeds=[0], device="cpu", out=out, progress=False, log=None)
    assert list(json.loads(out.read_text())["models"]) == ["rnn"]


def test_runs_repeat_exactly_under_a_seed():
    config = default_config("temporal_order", quick=True)
    a = run_long_lag(config, "lstm", seed=4)
    b = run_long_lag(config, "lstm", seed=4)
    a.pop("seconds"), b.pop("seconds")
    assert a == b


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["long_lags", "--task", "addition"], "invalid choice: 'addition' (choose from 'adding', 'reber', 'temporal_order', "),
        (["long_lags", "--task", "adding", "--models", "gru"],
         "--models must be one or more of rnn, lstm, lstm_bf1, lstm_chrono, lstm_nofg, lstm1997 (comma separated), or all; "
         "got gru"),
        (["long_lags", "--task", "adding", "--seeds", "0,x"], "--seeds must be comma-separated non-negative integers"),
        (["long_lags", "--task", "adding", "--T", "5"], "T must be an integer >= 10"),
        (["long_lags", "--task", "temporal_order", "--n-relevant", "4"], "invalid choice: 4 (choose from 2, 3)"),
        (["long_lags", "--task", "adding", "--hidden", "0"], "--hidden must be positive"),
        (["copy"], "invalid choice: 'copy'"),
    ],
)
def test_cli_errors_list_the_valid_choices(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err


def test_model_all_means_every_model():
    assert runner.parse_models("all", MODELS) == list(MODELS)
    assert runner.parse_models("lstm,rnn,lstm", MODELS) == ["lstm", "rnn"]


def test_bad_names_in_functions_raise_value_errors():
    with pytest.raises(ValueError, match="task must be one of 'adding', 'reber', 'temporal_order'"):
        default_config("copying")
    with pytest.raises(ValueError, match="model must be one of 'rnn', 'lstm'"):
        make_model("gru", 2, 4, 1)
    with pytest.raises(ValueError, match="model must be one of"):
        run_long_lag(default_config("adding", quick=True), "transformer")


def test_forget_gate_initialisations():
    H = 8
    bf1 = make_model("lstm_bf1", 2, H, 1)
    forget = bf1.rnn.bias_ih_l0[H:2 * H] + bf1.rnn.bias_hh_l0[H:2 * H]
    torch.testing.assert_close(forget, torch.ones(H))
    chrono = make_model("lstm_chrono", 2, H, 1, chrono_T=100, rng=np.random.default_rng(0))
    b_f = (chrono.rnn.bias_ih_l0[H:2 * H] + chrono.rnn.bias_hh_l0[H:2 * H]).detach()
    b_i = (chrono.rnn.bias_ih_l0[:H] + chrono.rnn.bias_hh_l0[:H]).detach()
    assert torch.all(b_f >= 0) and torch.all(b_f <= np.log(99) + 1e-6)
    torch.testing.assert_close(b_i, -b_f)


def test_no_forget_gate_model_keeps_its_forget_gate_open_while_training():
    H = 4
    net = make_model("lstm_nofg", 3, H, 1)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    before = {n: p.detach().clone() for n, p in net.rnn.named_parameters()}
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(5, 7, 3))[:, 0].pow(2).sum().backward()
        opt.step()
    for name, p in net.rnn.named_parameters():
        torch.testing.assert_close(p[H:2 * H], before[name][H:2 * H])  # forget rows frozen
        assert not torch.equal(p[:H], before[name][:H])  # the other gates learn
    # no input reaches the forget gate, and its bias makes it exactly 1 in float32
    assert torch.all(net.rnn.weight_ih_l0[H:2 * H] == 0) and torch.all(net.rnn.weight_hh_l0[H:2 * H] == 0)
    assert torch.all(torch.sigmoid(net.rnn.bias_ih_l0[H:2 * H] + net.rnn.bias_hh_l0[H:2 * H]) == 1.0)


def test_read_out_after_each_sequences_own_last_step():
    net = make_model("lstm", 2, 5, 1)
    x = torch.randn(3, 9, 2)
    lengths = torch.tensor([9, 4, 6])
    out = net(x, lengths)
    for i, L in enumerate(lengths):
        torch.testing.assert_close(out[i], net(x[i:i + 1, :L])[0])
    assert net(x, every_step=True).shape == (3, 9, 1)


@pytest.mark.parametrize("task", TASKS)
def test_tasks_judge_perfect_and_wrong_answers(task):
    config = default_config(task)
    problem = make_task(config)
    batch = problem.sample(6, np.random.default_rng(0))
    batch = {k: torch.as_tensor(v) for k, v in batch.items()}

    class Oracle(torch.nn.Module):
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def parameters(self):
            return iter([torch.zeros(1, dtype=torch.float64)])

        def forward(self, x, lengths=None, every_step=False):
            if task in ("adding", "multiplication", "adding_modern"):
                return (batch["y"] + (0.0 if self.scale > 0 else 0.5))[:, None]
            if task in ("temporal_order", "very_long_lag"):
                return 20.0 * self.scale * torch.nn.functional.one_hot(batch["y"], problem.output_size).double()
            if task == "copy":
                return 20.0 * self.scale * torch.nn.functional.one_hot(batch["y"], problem.output_size).double()
            return self.scale * (2 * batch["targets"] - 1)

    _, correct, _ = problem.evaluate(Oracle(1.0), batch)
    assert correct.all()
    _, correct, _ = problem.evaluate(Oracle(-1.0), batch)
    assert not correct.any()


def test_every_task_has_a_criterion_sentence_and_sizes():
    for task in TASKS:
        config = default_config(task, quick=True)
        problem = make_task(config)
        assert problem.describe and problem.input_size >= 2 and problem.output_size >= 1
        sentence = problem.criterion.format(**dataclasses.asdict(config))  # what long_lags stores
        assert "{" not in sentence and str(config.window if task != "reber_fixed" else config.check_every) in sentence


def test_the_multiplication_window_tolerates_the_papers_share_of_wrong_sequences():
    config = default_config("multiplication")
    assert (config.window, config.tolerated_wrong, config.max_error) == (2000, 54, None)
    assert config.tolerated_wrong / config.window <= PAPER["multiplication_T100"]["wrong_test"] / 2560 / 2
    w = long_lag_tasks._Window(10, max_error=None, tolerated_wrong=2)
    w.add([True] * 8 + [False] * 2, [0.0] * 10)
    assert w.satisfied()
    w.add([False], [0.0])
    assert not w.satisfied()


def test_the_fixed_reber_protocol_judges_every_fixed_string():
    problem = make_task(default_config("reber_fixed", quick=True))
    rng = np.random.default_rng(0)
    first = problem.sample(256, rng)
    assert first["x"].shape[0] == 256
    second = problem.sample(256, rng)  # one pass is a permutation of the 256 training strings
    key = lambda b: sorted(map(bytes, np.ascontiguousarray(b["x"].argmax(axis=2)).astype(np.uint8)))  # noqa: E731
    assert key(first) == key(second) and len(set(key(first))) > 50  # short strings repeat

    class Perfect(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

        def forward(self, x, lengths=None, every_step=False):
            return self.truth[: x.shape[0], : x.shape[1]]

    net = Perfect()
    fixed_rng = np.random.default_rng([0, 1997])
    from lstm_helpers.tasks import embedded_reber

    train, test = embedded_reber(256, fixed_rng), embedded_reber(256, fixed_rng)
    width = max(train.x.shape[1], test.x.shape[1])
    pad = lambda a: np.pad(a, [(0, 0), (0, width - a.shape[1]), (0, 0)])  # noqa: E731
    net.truth = torch.as_tensor(np.concatenate([pad(train.y), pad(test.y)]) * 2 - 1)
    assert problem.judge(net) == (True, 0)
    net.truth = -net.truth
    assert problem.judge(net) == (False, 512)


def test_window_criterion():
    w = long_lag_tasks._Window(4, max_error=0.01)
    w.add([True] * 3, [0.0] * 3)
    assert not w.satisfied()  # not full yet
    w.add([True], [0.001])
    assert w.satisfied()
    w.add([False], [0.0])
    assert not w.satisfied() and w.fraction_correct() == 0.75
    w.add([True] * 4, [0.02] * 4)
    assert not w.satisfied()  # all correct, but the mean error is too large


def test_summarize():
    runs = [{"reached": True, "sequences_to_criterion": 100, "wrong_test": 1, "seconds": 1.0},
            {"reached": False, "sequences_to_criterion": None, "wrong_test": 9, "seconds": 2.0},
            {"reached": True, "sequences_to_criterion": 300, "wrong_test": 0, "seconds": 3.0}]
    s = summarize(runs, batch_size=10)
    assert s["success_rate"] == pytest.approx(2 / 3)
    assert (s["sequences_median"], s["sequences_min"], s["sequences_max"]) == (200, 100, 300)
    # over every run, the unreached one counted as infinite: median of 100, 300, inf
    assert (s["sequences_to_criterion_median"], s["updates_to_criterion_median"]) == (300, 30)
    assert s["wrong_test_median"] == 1 and s["seconds_total"] == 6.0
    with pytest.raises(ValueError, match="at least one run"):
        summarize([])


def test_an_unreached_majority_makes_the_median_infinite():
    runs = [{"reached": False, "sequences_to_criterion": None, "wrong_test": 9}] * 2 + \
           [{"reached": True, "sequences_to_criterion": 160, "wrong_test": 0}]
    s = summarize(runs, batch_size=16)
    assert s["sequences_to_criterion_median"] == math.inf and s["updates_to_criterion_median"] == math.inf
    assert s["sequences_median"] == 160  # over the runs that reached it


def test_results_live_in_the_repository():
    assert data_dir("long_lags") == ROOT / "book" / "data" / "long_lags"


def test_load_results_names_what_is_stored():
    with pytest.raises(ValueError, match="no stored long_lags result 'nothing'"):
        load_results("nothing")


def test_results_table_shows_the_paper_and_missing_results(tmp_path, monkeypatch):
    monkeypatch.setattr(paper, "load_results", lambda name: load("long_lags", name, folder=tmp_path))  # nothing stored
    table = results_table(["adding_T1000"])
    assert "paper (mean)" in table and "853,000" in table and "not run here" in table
    assert "1997 (Table 7), online" in table


def test_paper_numbers_cite_the_tables_of_the_1997_paper():
    # Hochreiter & Schmidhuber (1997): Table 1 embedded Reber, Table 3 very long lags (Task 2c),
    # Table 7 adding, Table 8 multiplication, Table 9 temporal order
    expected = {"reber": "Table 1", "adding": "Table 7", "temporal_order": "Table 9", "very_long_lag": "Table 3",
                "multiplication": "Table 8"}
    for name, entry in PAPER.items():
        task = next(t for t in expected if name.startswith(t))
        assert entry["table"] == expected[task], name
    assert PAPER["reber"]["sequences"] < PAPER["reber"]["sequences_max"]


def _write_result(folder, name, models):
    """A small stored result: models maps a name to (reached, sequences_seen, wrong_test) per seed."""
    runs = {m: [{"seed": s, "reached": r, "sequences_to_criterion": n if r else None, "sequences_seen": n,
                 "wrong_test": w, "seconds": 1.0} for s, (r, n, w) in enumerate(v)] for m, v in models.items()}
    data = {"schema_version": SCHEMA_VERSION, "experiment": "long_lags", "name": name, "config": {"batch_size": 16, "test_size": 2560},
            "seeds": list(range(len(next(iter(models.values()))))),
            "models": {m: {"runs": r, "summary": summarize(r)} for m, r in runs.items()},
            "paper": {"table": "Table 99"}}
    (folder / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
    return data


def test_seed_table_counts_updates_per_batch_and_wrong_sequences(tmp_path, monkeypatch):
    _write_result(tmp_path, "adding_T100", {"lstm": [(True, 160, 1), (False, 320, 2000), (True, 480, 0)],
                                            "rnn": [(False, 320, 2100)] * 3})
    monkeypatch.setattr(paper, "load_results", lambda name: load("long_lags", name, folder=tmp_path))
    updates = seed_table("adding_T100").splitlines()
    assert updates[0].startswith("adding_T100: weight updates to criterion (batches of 16)")
    assert updates[2].split() == ["lstm", "10", "-", "30", "20"]  # 160 / 16, not met, 480 / 16; median 20
    assert updates[3].split() == ["rnn", "-", "-", "-", "-"]
    assert seed_table("adding_T100", "sequences").splitlines()[2].split() == ["lstm", "160", "-", "480", "320"]
    wrong = seed_table("adding_T100", "wrong", models=["lstm"]).splitlines()
    assert len(wrong) == 3 and wrong[2].split() == ["lstm", "1", "2,000", "0", "1"]
    with pytest.raises(ValueError, match="quantity must be one of"):
        seed_table("adding_T100", "seconds")


def test_refresh_paper_rewrites_only_the_papers_entry(tmp_path):
    data = _write_result(tmp_path, "reber", {"lstm": [(True, 160, 0)]})
    (tmp_path / "other.json").write_text('{"experiment": "ablation"}\n')
    assert refresh_paper(tmp_path) == ["reber"]
    new = json.loads((tmp_path / "reber.json").read_text())
    assert new["paper"] == PAPER["reber"] and new["models"] == data["models"]
    assert refresh_paper(tmp_path) == []  # nothing left to change
    assert (tmp_path / "other.json").read_text() == '{"experiment": "ablation"}\n'


STORED = sorted((ROOT / "book" / "data" / "long_lags").glob("*.json"))


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_results_are_complete(path):
    data = load_results(path.stem)
    assert TOP_FIELDS <= set(data)
    assert data["name"] == path.stem and data["config"]["test_size"] == 2560
    for model, entry in data["models"].items():
        assert model in MODELS
        assert [r["seed"] for r in entry["runs"]] == data["seeds"]
        for run in entry["runs"]:
            assert RUN_FIELDS <= set(run)
            assert run["reached"] == (run["sequences_to_criterion"] is not None)
        assert entry["summary"] == summarize(entry["runs"], data["config"]["batch_size"])
    assert data["paper"] == PAPER.get(path.stem)  # up to date (python -m lstm_helpers.experiments migrate)
    assert data["schema_version"] == SCHEMA_VERSION


def test_the_tasks_live_in_their_own_module():
    assert experiments.make_task is long_lag_tasks.make_task and experiments.TASKS is long_lag_tasks.TASKS
    problem = long_lag_tasks.make_task(default_config("temporal_order", quick=True))
    assert (problem.input_size, problem.output_size, problem.chrono_T) == (8, 4, 110)


def test_best_configuration_and_the_comparison_with_the_paper(tmp_path, monkeypatch):
    _write_result(tmp_path, "adding_T100", {"lstm": [(True, 16_000, 0), (True, 20_000, 1), (True, 18_000, 0)],
                                            "lstm_nofg": [(True, 1_000, 0), (False, 74_000, 9), (True, 1_000, 0)],
                                            "rnn": [(False, 18_500, 2100)] * 3})
    _write_result(tmp_path, "temporal_order_2", {"lstm": [(False, 31_390, 2560)] * 3})
    monkeypatch.setattr(paper, "load_results", lambda name: load("long_lags", name, folder=tmp_path))
    best = paper.best_configuration("adding_T100")  # lstm_nofg is faster but missed one seed
    assert best["model"] == "lstm" and best["sequences_median"] == 18_000 and best["sequences_max"] == 20_000
    assert best["fraction"] == pytest.approx(18_000 / 74_000) and best["goal_met"] is True
    assert paper.best_configuration("temporal_order_2") is None
    rows = paper.comparison_table(["adding_T100", "temporal_order_2", "adding_T1000"]).splitlines()
    assert rows[2].split()[:7] == ["adding_T100", "74,000", "18,500", "lstm", "3", "18,000", "1,125"]
    assert rows[2].endswith("met") and "no model met the criterion" in rows[3] and "not run here" in rows[4]


@pytest.mark.parametrize("kind", ["lstm", "lstm_nofg", "rnn"])
def test_a_network_on_symbol_indices_is_the_one_hot_network(kind):
    torch.manual_seed(0)
    indexed = make_model(kind, 9, 4, 2, chrono_T=50, symbols=True).double()
    one_hot = make_model(kind, 9, 4, 2, chrono_T=50).double()
    with torch.no_grad():  # the embedding's row k is column k of the one-hot network's weight_ih
        one_hot.rnn.weight_ih_l0.copy_(indexed.embed.weight.T)
        for name in ("weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(one_hot.rnn, name).copy_(getattr(indexed.rnn, name))
        one_hot.readout.load_state_dict(indexed.readout.state_dict())
    idx = torch.randint(0, 9, (3, 7))
    a, b = indexed(idx), one_hot(torch.nn.functional.one_hot(idx, 9).double())
    torch.testing.assert_close(a, b)
    a.sum().backward()
    b.sum().backward()
    torch.testing.assert_close(indexed.embed.weight.grad, one_hot.rnn.weight_ih_l0.grad.T)
    assert count_parameters(indexed) == count_parameters(one_hot)
    with pytest.raises(ValueError, match=r"symbol indices, an int64 tensor \(N, L\)"):
        indexed(torch.zeros(3, 7, 9))


def test_every_task_and_the_1997_protocol_store_through_the_runner(tmp_path):
    for task in TASKS:
        config = default_config(task, quick=True)
        data = long_lags(config, models=["lstm_nofg"], seeds=[0], device="cpu", out=tmp_path / f"{config.name}.json",
                         progress=False, log=None)
        assert "{" not in data["criterion"] and data["optimizer"].startswith("Adam"), task
        assert RUN_FIELDS <= set(data["models"]["lstm_nofg"]["runs"][0]), task
    config = default_config("reber_fixed", quick=True, protocol="1997")
    data = long_lags(config, models=["lstm1997"], seeds=[0], device="cpu", out=tmp_path / "reber_fixed_1997.json",
                     progress=False, log=None)
    assert data["name"] == "reber_fixed_1997" and data["optimizer"].startswith("plain gradient descent (lr 0.5), online")
    assert "wrong_fixed" in data["models"]["lstm1997"]["runs"][0]


def test_the_fixed_reber_protocol_tests_on_fresh_strings():
    problem = make_task(default_config("reber_fixed", quick=True))
    train_rows = problem.sample(256, np.random.default_rng(0))
    def key(b):
        symbols = b["x"].argmax(axis=2).astype(np.uint8)
        return {bytes(row[:length]) for row, length in zip(symbols, b["lengths"])}

    fresh = problem.test_sample(2560, np.random.default_rng(1))
    assert len(key(train_rows)) < 150 and key(problem.sample(2560, np.random.default_rng(2))) == key(train_rows)
    assert len(key(fresh) - key(train_rows)) > 50  # strings the training set does not hold
