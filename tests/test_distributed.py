"""Data-parallel training (lstm_helpers.distributed): sharding, the loss, and torchrun launches on CPU."""

import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from lstm_helpers import distributed as dd
from lstm_helpers.tasks.batch import PaddedSequences

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: a hang (uneven inputs without Join, a rendezvous that never completes) fails after this long
TIMEOUT_S = 120
#: small sizes: each launch takes a few seconds, most of it importing torch
SMALL = ["--task", "adding", "--T", "20", "--hidden", "8", "--steps", "4", "--global-batch", "8",
         "--seed", "0", "--backend", "gloo", "--lr", "0.01", "--log-every", "2"]


def _env():
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    # the repository's package, whatever is installed (it is also installed editable in .venv)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def _stop(proc):
    """Stop a launcher that hangs, and its workers.

    ``torchrun`` starts each worker in a session of its own, so killing the
    launcher alone would leave hung workers behind. SIGTERM first: the
    launcher then stops its workers itself; whatever is left after that
    (the launcher and the workers it started, found by their ids) is killed.
    """
    try:
        import psutil

        workers = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing, or the launcher already gone
        workers = []
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for worker in workers:
        try:
            worker.kill()
        except Exception:  # already gone
            pass


def launch(n_procs, args, tmp_path):
    """Run ``torchrun --standalone --nproc-per-node n_procs -m lstm_helpers.distributed *args``; return stdout.

    Output goes to files rather than pipes, so that waiting for the launcher
    never waits on a worker that still holds a pipe open.
    """
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           str(n_procs), "-m", "lstm_helpers.distributed", *args]
    out_path, err_path = tmp_path / f"out_{n_procs}.txt", tmp_path / f"err_{n_procs}.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=out, stderr=err, text=True)
        try:
            proc.wait(timeout=TIMEOUT_S)
            hung = False
        except subprocess.TimeoutExpired:
            _stop(proc)
            hung = True
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if hung:
        pytest.fail(f"{n_procs} processes did not finish within {TIMEOUT_S} s (a hang)\n"
                    f"{stdout[-2000:]}\n{stderr[-3000:]}")
    assert proc.returncode == 0, f"{' '.join(cmd)}\nrc={proc.returncode}\n{stdout[-2000:]}\n{stderr[-3000:]}"
    return stdout


# --------------------------------------------------------------------------- launches


def test_one_and_two_processes_reach_the_same_parameters(tmp_path):
    one, two = tmp_path / "one.pt", tmp_path / "two.pt"
    out1 = launch(1, SMALL + ["--save", str(one)], tmp_path)
    out2 = launch(2, SMALL + ["--save", str(two)], tmp_path)
    a, b = torch.load(one), torch.load(two)
    initial = dd.make_model(8, seed=0).state_dict()
    assert a.keys() == b.keys() == initial.keys()
    for name in a:
        assert a[name].dtype == torch.float32
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-5, msg=f"{name} differs")
    # training moved the parameters, so equal files are not just two copies of the initialisation
    assert max((a[k] - initial[k]).abs().max().item() for k in a) > 1e-3
    # the global batch's loss, logged by rank 0, is the same for both
    assert out1.count("loss") == out2.count("loss") == 2
    assert "1 process(es) ran 4 steps" in out1
    assert "2 process(es) ran 4 steps" in out2 and "difference between ranks 0.0e+00" in out2


def test_uneven_inputs_finish_with_join(tmp_path):
    path = tmp_path / "uneven.pt"
    out = launch(2, SMALL + ["--uneven", "--save", str(path)], tmp_path)
    state = torch.load(path)
    assert set(state) == set(dd.make_model(8, seed=0).state_dict())
    # rank 1 ran one step more than rank 0; Join copied its parameters to rank 0 at the end
    assert "2 process(es) ran 4 to 5 steps" in out
    assert "difference between ranks 0.0e+00" in out


def test_main_rejects_a_batch_the_processes_cannot_share(monkeypatch, capsys):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "0")
    with pytest.raises(SystemExit) as exc:
        dd.main(SMALL[:-2] + ["--global-batch", "10"])
    assert exc.value.code == 2
    assert "--global-batch 10 is not divisible by the 4 processes" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be >= 1"),
    (["--hidden", "x"], "--hidden must be an integer >= 1"),
    (["--lr", "0"], "--lr must be > 0.0"),
    (["--task", "copy"], "invalid choice"),
    (["--T", "5"], "--T must be at least 10 for --task adding"),
])
def test_bad_options_exit_with_code_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        dd.parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults_parse():
    args = dd.parse_args([])
    assert (args.task, args.backend, args.dtype, args.clip, args.uneven) == ("adding", "gloo", "float32", None, False)
    assert args.global_batch == 32 and args.save is None


# --------------------------------------------------------------------------- batches and shards


def test_shards_concatenate_to_the_global_batch():
    batch = dd.global_batch("adding", 20, seed=3, step=5, global_batch=12)
    for world_size in (1, 2, 3, 4, 6):
        parts = [dd.shard(batch, r, world_size) for r in range(world_size)]
        assert all(isinstance(p, PaddedSequences) and len(p.y) == 12 // world_size for p in parts)
        for field in range(3):
            np.testing.assert_array_equal(np.concatenate([p[field] for p in parts]), batch[field])
    # the shares are contiguous blocks in rank order
    np.testing.assert_array_equal(dd.shard(batch, 1, 3).y, batch.y[4:8])


def test_global_batch_depends_on_seed_and_step_only():
    a = dd.global_batch("adding", 20, seed=0, step=2, global_batch=8)
    b = dd.global_batch("adding", 20, seed=0, step=2, global_batch=8)
    for field in range(3):
        np.testing.assert_array_equal(a[field], b[field])
    assert a.x.shape == (8, 22, 2) and a.lengths.min() >= 20 and a.lengths.max() <= 22
    assert not np.array_equal(a.x, dd.global_batch("adding", 20, seed=0, step=3, global_batch=8).x)
    assert not np.array_equal(a.x, dd.global_batch("adding", 20, seed=1, step=2, global_batch=8).x)
    modern = dd.global_batch("adding_modern", 20, seed=0, step=2, global_batch=8)
    assert modern.x.shape == (8, 20, 2) and np.all(modern.lengths == 20)


def test_a_batch_that_does_not_divide_raises_naming_the_values():
    batch = dd.global_batch("adding", 20, seed=0, step=0, global_batch=10)
    with pytest.raises(ValueError, match="--global-batch 10 is not divisible by the 4 processes"):
        dd.shard(batch, 0, 4)
    with pytest.raises(ValueError, match=r"rank must be in 0 \.\.\. 1 for 2 processes, got 2"):
        dd.shard(batch, 2, 2)
    with pytest.raises(ValueError, match="task must be one of"):
        dd.global_batch("reber", 20, 0, 0, 8)
    with pytest.raises(ValueError, match="T must be an integer >= 10"):
        dd.global_batch("adding", 5, 0, 0, 8)


def test_steps_of_rank():
    assert [dd.steps_of_rank(4, r) for r in range(3)] == [4, 4, 4]
    assert [dd.steps_of_rank(4, r, uneven=True) for r in range(3)] == [4, 5, 6]


# --------------------------------------------------------------------------- model and loss


def test_make_model_depends_on_the_seed_only_and_keeps_the_global_random_state():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b, c = dd.make_model(8, seed=0), dd.make_model(8, seed=0), dd.make_model(8, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.lstm.weight_ih_l0, c.lstm.weight_ih_l0)
    assert dd.make_model(8, seed=0, dtype="float64").readout.weight.dtype == torch.float64
    with pytest.raises(ValueError, match="hidden must be an integer >= 1"):
        dd.make_model(0, seed=0)


def test_the_output_is_read_at_each_sequences_own_last_step():
    net = dd.make_model(8, seed=0, dtype="float64")
    x, _, lengths = dd.to_tensors(dd.global_batch("adding", 20, 0, 0, 6), dtype="float64")
    out = net(x, lengths)
    assert out.shape == (6,)
    noisy = x.clone()
    for i, n in enumerate(lengths.tolist()):
        noisy[i, n:] = 7.0  # padding after the end cannot change the output
    torch.testing.assert_close(net(noisy, lengths), out, rtol=0, atol=0)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(net(x[i:i + 1, :n]), out[i:i + 1])


def test_the_mean_loss_of_equal_shares_averages_to_the_global_gradient():
    """What DistributedDataParallel computes (the average of the shares' gradients) is the global one."""
    net = dd.make_model(8, seed=0, dtype="float64")
    batch = dd.global_batch("adding", 20, seed=0, step=0, global_batch=8)

    def gradient(part):
        net.zero_grad()
        dd.slice_loss(net, *dd.to_tensors(part, dtype="float64")).backward()
        return torch.nn.utils.parameters_to_vector([p.grad for p in net.parameters()]).clone()

    whole = gradient(batch)
    for world_size in (2, 4):
        average = sum(gradient(dd.shard(batch, r, world_size)) for r in range(world_size)) / world_size
        torch.testing.assert_close(average, whole, rtol=1e-10, atol=1e-12)
    # the loss is the mean over the share (a sum would make the average above N times too small)
    x, y, lengths = dd.to_tensors(batch, dtype="float64")
    torch.testing.assert_close(dd.slice_loss(net, x, y, lengths), torch.mean((net(x, lengths) - y) ** 2))


def test_train_needs_a_process_group():
    args = dd.parse_args(SMALL)
    with pytest.raises(ValueError, match="initialised process group of 2 processes"):
        dd.train(0, 2, args)
    with pytest.raises(ValueError, match="--global-batch 8 is not divisible by the 3 processes"):
        dd.train(0, 3, args)


def test_the_median_step_time_leaves_out_the_warm_up_steps():
    from lstm_helpers.distributed import WARMUP_STEPS, median_step_ms

    assert WARMUP_STEPS == 3
    assert median_step_ms([100.0, 90.0, 80.0, 1.0, 2.0, 3.0]) == 2.0
    assert median_step_ms([5.0, 1.0]) == 1.0  # at least one step is kept
    assert median_step_ms([4.0]) == 4.0
    assert median_step_ms([]) != median_step_ms([])  # nan
