"""lstm_helpers.bench: timing with synchronisation, FLOP and byte counts, device peaks."""

import json
import time

import pytest
import torch

from lstm_helpers import bench
from lstm_helpers.bench import (
    DEVICE_PEAKS,
    Timing,
    arithmetic_intensity,
    device_peak,
    lstm_bytes,
    lstm_flops,
    time_it,
)


def test_a_known_sleep_is_measured_within_a_tolerant_margin():
    t = time_it(lambda: time.sleep(0.02), warmup=1, repeats=3)
    assert 15 <= t.median_ms <= 200
    assert t.min_ms <= t.q1_ms <= t.median_ms <= t.q3_ms <= t.max_ms
    assert (t.repeats, t.warmup, t.synchronized, t.device, t.peak_memory_mb) == (3, 1, True, "cpu", None)
    assert len(t.times_ms) == 3 and all(15 <= ms <= 1000 for ms in t.times_ms)


def test_fn_is_called_warmup_plus_repeats_times():
    calls = []
    time_it(lambda: calls.append(1), warmup=4, repeats=7)
    assert len(calls) == 11
    calls.clear()
    time_it(lambda: calls.append(1), warmup=0, repeats=1)
    assert len(calls) == 1


class _Clock:
    """A stand-in for the time module that records every clock reading."""

    def __init__(self, events):
        self.events, self.now = events, 0.0

    def perf_counter(self):
        self.events.append("clock")
        self.now += 0.001
        return self.now


def _record(monkeypatch):
    events = []
    monkeypatch.setattr(bench, "time", _Clock(events))
    monkeypatch.setattr(bench, "synchronize", lambda device=None: events.append("sync"))
    return events


def test_the_device_is_synchronised_before_every_clock_reading(monkeypatch):
    events = _record(monkeypatch)
    time_it(lambda: events.append("call"), warmup=2, repeats=3, sync=True)
    assert events == ["call", "call"] + ["sync", "clock", "call", "sync", "clock"] * 3
    assert events.count("sync") == 2 * 3


def test_without_sync_no_reading_waits_and_the_queue_is_drained_once_at_the_end(monkeypatch):
    events = _record(monkeypatch)
    t = time_it(lambda: events.append("call"), warmup=1, repeats=3, sync=False)
    assert events == ["call"] + ["clock", "call", "clock"] * 3 + ["sync"]
    assert t.synchronized is False


def test_timing_is_a_json_ready_record():
    t = time_it(lambda: None, warmup=0, repeats=4)
    data = json.loads(json.dumps(t.as_dict()))
    assert set(data) == {"median_ms", "q1_ms", "q3_ms", "min_ms", "max_ms", "repeats", "warmup", "synchronized",
                         "device", "peak_memory_mb", "times_ms"}
    assert isinstance(t, Timing) and len(data["times_ms"]) == 4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_peak_memory_is_measured_on_cuda():
    t = time_it(lambda: torch.empty(10**6, device="cuda").fill_(1.0), warmup=1, repeats=2, device="cuda")
    assert t.device == "cuda" and t.peak_memory_mb >= 4.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(fn=42), "fn must be a callable taking no arguments, got int"),
    (dict(warmup=-1), "warmup must be an integer >= 0, got -1"),
    (dict(repeats=0), "repeats must be an integer >= 1, got 0"),
    (dict(repeats=2.5), "repeats must be an integer >= 1, got 2.5"),
    (dict(device="gpu0"), "device must be None, 'cpu', 'cuda', 'cuda:N' or 'mps'"),
])
def test_time_it_rejects_bad_arguments(kwargs, match):
    fn = kwargs.pop("fn", lambda: None)
    with pytest.raises(ValueError, match=match):
        time_it(fn, **kwargs)


def test_lstm_flops_by_hand():
    # B=2, H=3, I=4, T=5: per step 2 * B * 4H * (I + H) = 2 * 2 * 12 * 7 = 336
    assert lstm_flops(2, 3, 4) == 336
    assert lstm_flops(2, 3, 4, steps=5) == 5 * 336
    assert lstm_flops(2, 3, 4, steps=5, training=True) == 3 * 5 * 336
    # a second layer reads the first one's H = 3 outputs: 2 * 2 * 12 * (3 + 3) = 288 more per step
    assert lstm_flops(2, 3, 4, steps=5, layers=2) == 5 * (336 + 288)
    # the chapter's GPU shape: 8 * 64 * 512 * 1024 per step
    assert lstm_flops(64, 512, 512, steps=100) == 100 * 8 * 64 * 512 * 1024


def test_lstm_bytes_and_arithmetic_intensity_by_hand():
    # B=2, H=3, I=4: weights 4H(I+H) = 84, biases 4H = 12, read x, h, c: B(I + 2H) = 20, write h, c: 2BH = 12
    assert lstm_bytes(2, 3, 4) == 4 * (84 + 12 + 20 + 12)
    assert lstm_bytes(2, 3, 4, steps=5, bytes_per_element=8) == 5 * 8 * 128
    assert lstm_bytes(2, 3, 4, layers=2) == 4 * (128 + (4 * 3 * 6 + 12 + 2 * 9 + 12))
    assert arithmetic_intensity(2, 3, 4) == pytest.approx(336 / 512)
    # more sequences per batch reuse the same weights: the intensity grows with B
    assert arithmetic_intensity(64, 512, 512) > arithmetic_intensity(1, 512, 512)


@pytest.mark.parametrize("call, match", [
    (lambda: lstm_flops(0, 3, 4), "batch must be a positive integer, got 0"),
    (lambda: lstm_flops(2, 3.0, 4), "hidden must be a positive integer, got 3.0"),
    (lambda: lstm_flops(2, 3, 4, steps=0), "steps must be a positive integer"),
    (lambda: lstm_bytes(2, 3, 4, layers=0), "layers must be a positive integer"),
    (lambda: lstm_bytes(2, 3, 4, bytes_per_element=0), "bytes_per_element must be a positive integer"),
    (lambda: arithmetic_intensity(2, 3, -4), "input_size must be a positive integer"),
])
def test_counts_reject_bad_sizes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("name, device", [
    ("NVIDIA H100 80GB HBM3", "H100 SXM"),
    ("NVIDIA H100 PCIe", "H100 PCIe"),
    ("NVIDIA H200", "H200 SXM"),
    ("NVIDIA A100-SXM4-40GB", "A100"),
    ("NVIDIA A100-SXM4-80GB", "A100"),
    ("NVIDIA A100 80GB PCIe", "A100"),
    ("NVIDIA L4", "L4"),
    ("Tesla T4", "T4"),
])
def test_device_peak_matches_the_names_torch_reports(name, device):
    peak = device_peak(name)
    assert peak["device"] == device
    assert peak["fp32"] == DEVICE_PEAKS[device]["fp32"] and "datasheet" in peak["source"]


@pytest.mark.parametrize("name", [
    None, "Intel(R) Xeon(R) Processor", "AMD EPYC 7763 64-Core Processor", "NVIDIA H100 NVL", "NVIDIA H200 NVL",
    "NVIDIA GH200 480GB", "NVIDIA L40S", "NVIDIA L40", "NVIDIA A10G", "NVIDIA GeForce RTX 4090",
])
def test_device_peak_is_none_for_cpus_and_unlisted_gpus(name):
    assert device_peak(name) is None


def test_every_peak_is_dense_with_its_source():
    for device, entry in DEVICE_PEAKS.items():
        assert entry["fp32"] > 1e12 and "NVIDIA" in entry["source"] and "datasheet" in entry["source"], device
        for key in ("tf32", "bf16"):
            assert entry[key] is None or entry[key] > entry["fp32"], (device, key)
    # the dense figures: half of the sparse ones the Hopper datasheets print (989 and 1,979 TFLOP/s)
    assert DEVICE_PEAKS["H100 SXM"]["tf32"] == 989e12 / 2 and DEVICE_PEAKS["H100 SXM"]["bf16"] == 1979e12 / 2
    assert DEVICE_PEAKS["A100"]["tf32"] == 156e12 and DEVICE_PEAKS["T4"]["tf32"] is None


def test_device_peak_rejects_a_non_string():
    with pytest.raises(ValueError, match="name must be a device name"):
        device_peak(3)


def test_interleaved_timing_calls_each_function_once_per_round_in_rotated_order(monkeypatch):
    events = _record(monkeypatch)
    fns = {name: (lambda name=name: events.append(name)) for name in "abc"}
    timings = bench.time_interleaved(fns, warmup=1, repeats=4)
    calls = [e for e in events if e in "abc"]
    assert calls[:3] == ["a", "b", "c"]  # the warm-up, one call each
    assert calls[3:] == list("abc" "bca" "cab" "abc")  # each round starts one later
    # before every clock reading a synchronisation, as in time_it
    timed = events[events.index("sync"):]
    assert timed == [e for name in "abcbcacababc" for e in ("sync", "clock", name, "sync", "clock")]
    assert list(timings) == ["a", "b", "c"] and all(t.repeats == 4 and t.warmup == 1 for t in timings.values())


def test_interleaved_timing_measures_each_function_apart():
    timings = bench.time_interleaved({"slow": lambda: time.sleep(0.02), "fast": lambda: None}, warmup=0, repeats=3)
    assert 15 <= timings["slow"].median_ms <= 200 and timings["fast"].median_ms < timings["slow"].median_ms
    assert timings["fast"].peak_memory_mb is None


@pytest.mark.parametrize("fns", [{}, [lambda: None], {"a": 3}])
def test_interleaved_timing_rejects_anything_but_a_dict_of_callables(fns):
    with pytest.raises(ValueError, match="fns must be a non-empty dict"):
        bench.time_interleaved(fns)


def test_best_rate_is_the_roofline():
    from lstm_helpers.bench import best_rate

    assert best_rate(10.0, 100e12, 2e12) == 20e12  # memory-bound below the break-even intensity of 50
    assert best_rate(50.0, 100e12, 2e12) == 100e12 == best_rate(500.0, 100e12, 2e12)
    for bad in (0.0, -1.0, True, "1"):
        with pytest.raises(ValueError, match="must be a positive number"):
            best_rate(bad, 100e12, 2e12)
    with pytest.raises(ValueError, match="bandwidth must be a positive number, got None"):
        best_rate(10.0, 100e12, None)


def test_bandwidths_are_listed_where_one_number_holds():
    assert DEVICE_PEAKS["H100 SXM"]["bandwidth"] == 3.35e12 and DEVICE_PEAKS["H200 SXM"]["bandwidth"] == 4.8e12
    assert DEVICE_PEAKS["A100"]["bandwidth"] is None and "2,039 GB/s" in DEVICE_PEAKS["A100"]["note"]
    for device, entry in DEVICE_PEAKS.items():
        assert entry["bandwidth"] is None or 1e11 < entry["bandwidth"] < 1e13, device
