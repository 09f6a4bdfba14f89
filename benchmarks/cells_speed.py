"""Benchmark: training speed of the hand-written cells against PyTorch's fused layers.

    python benchmarks/cells_speed.py [--device cpu] [--repeats 20] [--threads N]

For each configuration (batch N, length T, input D, hidden H) one training
step (forward, backward, Adam update) is timed for ``torch.nn.LSTM`` and for
``Recurrent(LSTMCell(variant="NP"))`` (with the same weights), and likewise
for ``torch.nn.GRU`` and ``Recurrent(GRUCell)``. The median over ``--repeats``
steps after two warm-up steps is printed in milliseconds, with the ratio
hand-written / PyTorch. On a GPU the device is synchronised before each clock
reading.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from lstm_helpers.cells import GRUCell, LSTMCell, Recurrent

CONFIGS = [  # (N, T, D, H): from the sizes of the ablation to those of a small language model
    (32, 50, 8, 32),
    (64, 100, 16, 64),
    (64, 100, 32, 128),
    (64, 50, 64, 256),
]


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_training_step(model, x, repeats, device):
    """Median seconds of one forward + backward + Adam step of ``model`` on ``x``."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for k in range(repeats + 2):
        _sync(device)
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out, _ = model(x)
        loss = out[:, -1].pow(2).mean()
        loss.backward()
        opt.step()
        _sync(device)
        if k >= 2:  # the first steps warm up the allocator and kernels
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def pair(kind, D, H, device):
    """A PyTorch layer and the hand-written ``Recurrent`` with the same weights."""
    if kind == "LSTM":
        ref, cell = torch.nn.LSTM(D, H, batch_first=True), LSTMCell(D, H, variant="NP")
    else:
        ref, cell = torch.nn.GRU(D, H, batch_first=True), GRUCell(D, H)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in ref.state_dict().items()})
    return ref.to(device), Recurrent(cell).to(device)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: unchanged)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}")
    print("training step = forward + backward + Adam update; median of "
          f"{args.repeats} steps, milliseconds")
    header = f"{'layer':5s} {'N':>4s} {'T':>4s} {'D':>3s} {'H':>4s} | {'torch.nn':>9s} {'Recurrent':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    for kind in ("LSTM", "GRU"):
        for N, T, D, H in CONFIGS:
            x = torch.randn(N, T, D, device=device)
            ref, ours = pair(kind, D, H, device)
            t_ref = time_training_step(ref, x, args.repeats, device)
            t_ours = time_training_step(ours, x, args.repeats, device)
            print(f"{kind:5s} {N:4d} {T:4d} {D:3d} {H:4d} | {1e3 * t_ref:9.2f} {1e3 * t_ours:10.2f} "
                  f"{t_ours / t_ref:6.2f}")


if __name__ == "__main__":
    main()
