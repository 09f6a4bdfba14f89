"""The one experiment runner, lstm_helpers.experiments.runner: checks, command line, summaries, storage."""

import json
import math

import pytest
import torch

from lstm_helpers.experiments import runner
from lstm_helpers.experiments.ablation import AblationConfig
from lstm_helpers.experiments.long_lags import LongLagConfig
from lstm_helpers.experiments.runner import (
    EXPERIMENTS,
    SCHEMA_VERSION,
    last_step,
    load,
    main,
    migrate,
    parse_models,
    parse_seeds,
    seeded,
    store,
    summarize,
)


def test_every_experiment_is_registered():
    assert {"long_lags", "ablation"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("make, match", [
    (lambda: LongLagConfig(task="copying"), "task must be one of 'adding', 'reber', 'temporal_order', "
                                            "'multiplication', 'very_long_lag', 'reber_fixed', 'adding_modern', "
                                            "'copy'; got 'copying'"),
    (lambda: LongLagConfig(T=5), "T must be an integer >= 10"),
    (lambda: LongLagConfig(n_relevant=4), r"n_relevant must be one of 2, 3"),
    (lambda: LongLagConfig(hidden=0), "hidden must be an integer >= 1"),
    (lambda: LongLagConfig(lr=0.0), "lr must be a positive number"),
    (lambda: LongLagConfig(max_error=-1.0), "max_error must be a positive number or None"),
    (lambda: LongLagConfig(dtype="float16"), "dtype must be one of 'float32', 'float64'"),
    (lambda: AblationConfig(task="reber"), "task must be one of 'adding', 'temporal_order'"),
    (lambda: AblationConfig(n_steps=0), "n_steps must be an integer >= 1"),
])
def test_configurations_are_checked_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_cli_parses_comma_lists_of_models_and_seeds():
    assert parse_models("a,b", ("a", "b", "c")) == ["a", "b"]
    assert parse_models(" c , a ", ("a", "b", "c")) == ["c", "a"]
    assert parse_models("all", ("a", "b")) == ["a", "b"]
    assert parse_seeds("0,1,2") == [0, 1, 2]
    with pytest.raises(ValueError, match="--models must be one or more of a, b"):
        parse_models("a,z", ("a", "b"))
    with pytest.raises(ValueError, match="--seeds must be comma-separated non-negative integers"):
        parse_seeds("0,-1")
    args = runner._parser().parse_args(["long_lags", "--task", "adding", "--models", "rnn,lstm", "--seeds", "0,1,2"])
    assert (args.models, args.seeds, args.quick) == ("rnn,lstm", "0,1,2", False)


def test_summary_counts_an_unreached_run_as_infinite():
    runs = [{"reached": True, "sequences_to_criterion": 320, "wrong_test": 0},
            {"reached": False, "sequences_to_criterion": None, "wrong_test": 5}]
    s = summarize(runs, batch_size=16)
    assert s["success_rate"] == 0.5
    assert s["sequences_to_criterion_median"] == math.inf and s["updates_to_criterion_median"] == math.inf
    s = summarize(runs + [{"reached": True, "sequences_to_criterion": 160, "wrong_test": 1}], batch_size=16)
    assert (s["sequences_to_criterion_median"], s["updates_to_criterion_median"]) == (320, 20)
    with pytest.raises(ValueError, match="at least one run"):
        summarize([])


def test_store_and_load_round_trip_with_schema_version(tmp_path):
    data = {"experiment": "long_lags", "name": "x",
            "models": {"lstm": {"runs": [{"seed": 0, "x": 1.5}], "summary": {"m": math.inf}}}}
    written = store(data, tmp_path / "x.json")
    assert SCHEMA_VERSION == 2
    assert list(written)[0] == "schema_version" and written["schema_version"] == SCHEMA_VERSION
    assert load("long_lags", "x", folder=tmp_path) == written
    for version in (1, 3, 99):
        (tmp_path / "old.json").write_text(json.dumps({**data, "schema_version": version}))
        with pytest.raises(ValueError, match=f"schema_version {version}; this package reads schema_version 2 only"):
            load("long_lags", "old", folder=tmp_path)
    (tmp_path / "none.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="schema_version None.*migrate"):
        load("long_lags", "none", folder=tmp_path)
    with pytest.raises(ValueError, match="experiment must be one of"):
        load("nope", "x", folder=tmp_path)


def test_migrate_adds_the_schema_version_and_keeps_the_runs(tmp_path):
    runs = [{"model": "NP", "seed": 0, "test_loss": 0.5, "test_accuracy": 0.25, "seconds": 1.0}]
    legacy = {"config": {"task": "adding", "T": 6}, "baseline": 1 / 6, "models": ["NP"], "seeds": [0],
              "runs": runs, "summary": {}, "seconds": 3.0}
    (tmp_path / "adding_T6.json").write_text(json.dumps(legacy))
    assert len(migrate(tmp_path, "ablation")) == 1 and migrate(tmp_path, "ablation") == []
    new = load("ablation", "adding_T6", folder=tmp_path)
    assert new["models"]["NP"]["runs"] == runs and new["wall_seconds"] == 3.0 and new["name"] == "adding_T6"
    assert new["models"]["NP"]["summary"]["test_loss_median"] == 0.5


def test_migrate_brings_an_ablation_of_version_1_to_the_layout_of_version_2(tmp_path):
    runs = [{"model": m, "seed": s, "test_loss": 0.25 * (k + 1) + s, "test_accuracy": 0.5, "seconds": 2.0}
            for k, m in enumerate(("NP", "GRU")) for s in (0, 1)]
    v1 = {"schema_version": 1, "experiment": "ablation", "name": "adding_T6", "config": {"task": "adding", "T": 6},
          "baseline": 1 / 6, "models": ["NP", "GRU"], "seeds": [0, 1], "runs": runs,
          "summary": {m: summarize([r for r in runs if r["model"] == m]) for m in ("NP", "GRU")},
          "wall_seconds": 5.0}
    (tmp_path / "adding_T6.json").write_text(json.dumps(v1))
    with pytest.raises(ValueError, match="schema_version 1; this package reads schema_version 2 only.*migrate"):
        load("ablation", "adding_T6", folder=tmp_path)
    assert main(["migrate", "--dir", str(tmp_path)]) == 0
    new = load("ablation", "adding_T6", folder=tmp_path)
    assert new["schema_version"] == 2 and "runs" not in new and "summary" not in new
    assert list(new["models"]) == ["NP", "GRU"]
    for m in ("NP", "GRU"):
        assert new["models"][m] == {"runs": [r for r in runs if r["model"] == m], "summary": v1["summary"][m]}
    assert {k: v for k, v in new.items() if k not in ("models", "schema_version")} == {
        k: v for k, v in v1.items() if k not in ("models", "runs", "summary", "schema_version")}
    assert migrate(tmp_path, "ablation") == []  # nothing left to do


def test_migrate_refuses_a_newer_schema(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "experiment": "ablation"}))
    with pytest.raises(ValueError, match=f"schema_version {SCHEMA_VERSION + 1}; this package knows 0 to 2"):
        migrate(tmp_path, "ablation")


@pytest.mark.parametrize("models, match", [
    (None, "a stored result needs 'models'"),
    (["NP", "GRU"], "models of a stored result must be a dict"),
    ({"NP": {"summary": {}}}, r"models\['NP'\] of a stored result must be a dict with 'runs'"),
    ({"NP": {"runs": []}}, r"models\['NP'\] of a stored result must be a dict with 'runs'"),
])
def test_store_refuses_any_other_layout(models, match, tmp_path):
    data = {"experiment": "ablation", "name": "x"} | ({} if models is None else {"models": models})
    with pytest.raises(ValueError, match=match):
        store(data, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def test_seeded_isolated_leaves_the_callers_random_state():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    with seeded(0, isolated=True):
        inside = torch.rand(1)
    assert torch.equal(torch.rand(3), expected)
    with seeded(0):
        assert torch.equal(torch.rand(1), inside)


def test_last_step_reads_each_sequences_own_end():
    h = torch.arange(24.0).reshape(2, 4, 3)
    torch.testing.assert_close(last_step(h), h[:, -1])
    torch.testing.assert_close(last_step(h, torch.tensor([2, 4])), torch.stack([h[0, 1], h[1, 3]]))


@pytest.mark.parametrize("argv", [
    ["long_lags", "--task", "adding", "--models", "rnn,lstm"],
    ["ablation", "--models", "NP,GRU"],
], ids=["long_lags", "ablation"])
def test_quick_run_of_each_experiment_writes_into_a_folder(argv, tmp_path, capsys):
    assert main([*argv, "--seeds", "0,1", "--quick", "--device", "cpu", "--no-progress", "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.json")
    data = load(argv[0], path.stem, folder=tmp_path)
    assert data["experiment"] == argv[0] and data["seeds"] == [0, 1]
    # one layout for every experiment: per model its runs, one per seed, and their summary
    assert list(data["models"]) == argv[argv.index("--models") + 1].split(",") and "runs" not in data and "summary" not in data
    batch = data["config"].get("batch_size") if argv[0] == "long_lags" else None
    for entry in data["models"].values():
        assert [r["seed"] for r in entry["runs"]] == [0, 1]
        assert entry["summary"] == summarize(entry["runs"], batch)
    assert f"wrote {path}" in capsys.readouterr().out


def test_stored_results_are_standard_json_and_infinity_round_trips(tmp_path):
    import glob
    import json
    import math
    import pathlib

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    root = pathlib.Path(__file__).resolve().parents[1]
    files = glob.glob(str(root / "book" / "data" / "*" / "*.json"))
    assert files
    for path in files:
        json.loads(pathlib.Path(path).read_text(), parse_constant=refuse)
    from lstm_helpers.experiments import runner

    data = {"experiment": "long_lags", "name": "x", "median": math.inf, "runs": [1.5, -math.inf], "models": {}}
    runner.store(data, tmp_path / "x.json")
    json.loads((tmp_path / "x.json").read_text(), parse_constant=refuse)
    back = runner._loads((tmp_path / "x.json").read_text())
    assert back["median"] == math.inf and back["runs"] == [1.5, -math.inf]


def test_provenance_closes_every_stored_result():
    import time

    import torch

    from lstm_helpers import __version__
    from lstm_helpers.experiments.runner import hardware, provenance

    record = provenance(torch.device("cpu"), 1, time.perf_counter() - 2.0, "python -m x")
    assert record["device"] == "cpu" and record["threads"] == 1 and record["command"] == "python -m x"
    assert record["hardware"] == hardware("cpu") and record["device_name"] == record["hardware"]["cpu"]
    assert record["version"] == __version__ and 2.0 <= record["wall_seconds"] < 60
    assert list(record) == ["device", "device_name", "hardware", "threads", "version", "wall_seconds", "command"]
