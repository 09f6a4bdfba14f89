"""The stored speed ladder, lstm_helpers.experiments.gpu_ladder: configuration, a quick run, the stored file."""

import pathlib

import pytest
import torch

from lstm_helpers.cells.fast import CPU_SHAPE, GPU_SHAPE, RUNGS
from lstm_helpers.experiments import gpu_ladder  # importing registers the experiment
from lstm_helpers.experiments.gpu_ladder import (
    QUICK_SHAPE,
    LadderConfig,
    default_config,
    device_slug,
    ladder_table,
    load_ladder,
    software,
    stored_ladders,
    summarize_rung,
)
from lstm_helpers.experiments.runner import EXPERIMENTS, SCHEMA_VERSION, main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_experiment_is_registered_with_every_rung():
    exp = EXPERIMENTS["gpu_ladder"]
    assert exp.models == RUNGS and exp.default_models == RUNGS and exp.default_seeds == (0,)


@pytest.mark.parametrize("make, match", [
    (lambda: LadderConfig(rungs=("fused", "triton")), "rungs must be one or more of naive, course, fused, "
                                                        "fused_compiled, nn_lstm; got 'triton'"),
    (lambda: LadderConfig(rungs=()), "rungs must be one or more of .*; got none"),
    (lambda: LadderConfig(T=0), "T must be an integer >= 1, got 0"),
    (lambda: LadderConfig(repeats=0), "repeats must be an integer >= 1"),
    (lambda: LadderConfig(warmup=-1), "warmup must be an integer >= 0"),
    (lambda: LadderConfig(compile_steps=(5, 0)), "every length of compile_steps must be an integer >= 1"),
    (lambda: default_config("tpu"), "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
])
def test_configuration_is_checked_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_the_file_is_named_after_the_device_and_a_non_default_shape():
    config = default_config("cpu")
    assert (config.T, config.batch, config.hidden, config.input_size) == tuple(CPU_SHAPE.as_dict().values())
    assert config.name == device_slug("cpu", config.device_name) and config.cold_compile
    quick = default_config("cpu", quick=True)
    assert quick.shape == QUICK_SHAPE and quick.name == config.name + "_T6_B4_H8_I8"
    assert device_slug("cuda", "NVIDIA A100-SXM4-80GB") == "cuda_nvidia_a100_sxm4_80gb"
    assert device_slug("cpu", "AMD EPYC(TM) 7763 64-Core Processor") == "cpu_amd_epyc_7763_64_core_processor"
    if torch.cuda.is_available():
        assert default_config("cuda").shape == GPU_SHAPE


def test_software_off_cuda_records_torch_only():
    assert software("cpu") == {"torch": torch.__version__, "cuda": None, "cudnn": None, "driver": None}


def test_quick_cli_run_stores_every_rung_checked_and_timed(tmp_path, capsys):
    assert main(["gpu_ladder", "--quick", "--device", "cpu", "--no-progress", "--quiet", "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.json")
    assert path.stem == default_config("cpu", quick=True).name and stored_ladders(tmp_path) == [path.stem]
    data = load_ladder(path.stem, folder=tmp_path)
    assert (data["schema_version"], data["experiment"], data["seeds"]) == (SCHEMA_VERSION, "gpu_ladder", [0])
    assert data["shape"] == QUICK_SHAPE.as_dict() and data["device"] == "cpu" and data["threads"] == 1
    assert data["software"]["torch"] == torch.__version__ and data["peak"] is None
    assert data["flops_per_step"] == 3 * data["forward_flops"] == 3 * 6 * 8 * 4 * 8 * 16
    assert data["arithmetic_intensity"] == pytest.approx(data["forward_flops"] / data["forward_bytes"])
    assert list(data["models"]) == list(RUNGS)
    for rung, entry in data["models"].items():
        (run,) = entry["runs"]
        assert run["seed"] == 0 and run["check"]["equal"] and run["check"]["decided_in"] == "float32", rung
        assert run["ms_per_step"] > 0 and run["timing"]["repeats"] == 2 and run["gflops_per_s"] > 0
        assert run["percent_of_peak"] is None
        assert entry["summary"] == summarize_rung(entry["runs"]) and entry["summary"]["all_equal"]
    assert data["models"]["nn_lstm"]["summary"]["ratio_to_nn_lstm_median"] == 1.0
    assert data["models"]["fused_compiled"]["runs"][0]["first_step_seconds"] > 0
    assert data["compiler_startup_seconds"] > 0
    assert [row["T"] for row in data["compile_sweep"]["rows"]] == [2, 4]
    assert all(row["equal"] and row["first_step_seconds"] > 0 for row in data["compile_sweep"]["rows"])
    assert "--quick" in data["command"]
    out = capsys.readouterr().out
    assert ladder_table(data) in out and f"wrote {path}" in out


def test_a_run_with_chosen_rungs_and_no_sweep_still_times_nn_lstm(tmp_path):
    main(["gpu_ladder", "--quick", "--device", "cpu", "--models", "fused", "--compile-steps", "none", "--repeats",
          "1", "--quiet", "--out", str(tmp_path)])
    data = load_ladder(default_config("cpu", quick=True).name, folder=tmp_path)
    assert list(data["models"]) == ["fused", "nn_lstm"] and data["compile_sweep"] is None
    assert data["compiler_startup_seconds"] is None and data["config"]["repeats"] == 1


@pytest.mark.parametrize("argv, message", [
    (["--models", "fused,cudnn"], "--models must be one or more of naive, course, fused, fused_compiled, nn_lstm"),
    (["--compile-steps", "5,ten"], "--compile-steps must be comma-separated positive sequence lengths"),
    (["--compile-steps", "0"], "--compile-steps must be comma-separated positive sequence lengths"),
    (["--T", "0"], "--T must be positive, got 0"),
    (["--hidden", "-3"], "--hidden must be positive, got -3"),
    (["--warmup", "-1"], "--warmup must be an integer >= 0, got -1"),
    (["--compile-attempts", "0"], "--compile-attempts must be positive, got 0"),
    (["--device", "tpu"], "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
])
def test_cli_rejects_bad_options(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["gpu_ladder", "--quick", "--out", str(tmp_path), *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cli_asking_for_cuda_without_one_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["gpu_ladder", "--quick", "--device", "cuda", "--out", str(tmp_path)])
    assert "no CUDA device is available" in capsys.readouterr().err


STORED = sorted((ROOT / "book" / "data" / gpu_ladder.DATA_FOLDER).glob("*.json"))


def test_a_cpu_ladder_is_stored():
    assert any(p.name.startswith("cpu_") for p in STORED)


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_ladders_are_complete_and_every_rung_equals_nn_lstm(path):
    data = load_ladder(path.stem)
    default = GPU_SHAPE if data["device"] == "cuda" else CPU_SHAPE
    assert data["name"] == path.stem and data["shape"] == default.as_dict()
    assert list(data["models"]) == list(RUNGS) and data["seeds"] == [0]
    for rung, entry in data["models"].items():
        assert entry["summary"]["all_equal"] and entry["summary"]["ms_per_step_median"] > 0, rung
        assert entry["runs"][0]["timing"]["repeats"] == data["config"]["repeats"]
    assert [row["T"] for row in data["compile_sweep"]["rows"]] == [5, 10, 20]
    assert all(row["equal"] for row in data["compile_sweep"]["rows"]) and data["compile_sweep"]["cold"]
    assert all(row["first_step_seconds"] == min(row["attempts_seconds"]) for row in data["compile_sweep"]["rows"])
    assert data["threads"] == (1 if data["device"] == "cpu" else None)
    if data["device"] == "cuda":
        assert data["software"]["cuda"] and data["software"]["cudnn"] and data["tf32"] is False
