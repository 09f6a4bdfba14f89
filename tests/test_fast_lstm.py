"""lstm_helpers.cells.fast: every rung of the speed ladder equals torch.nn.LSTM."""

import pytest
import torch
from torch import nn

from lstm_helpers.cells import LSTMCell, Recurrent
from lstm_helpers.cells.fast import (
    CPU_SHAPE,
    GPU_SHAPE,
    RUNGS,
    FusedLSTM,
    LadderShape,
    NaiveLSTM,
    _check_rung,
    build_rung,
    compare_to_lstm,
    compile_step,
    compile_unrolled,
    compiler_startup,
    course_lstm,
    ladder,
    lstm_step,
    time_compile,
    training_step,
)

SHAPES = [(1, 1, 1, 1), (2, 7, 3, 5), (5, 4, 6, 2), (3, 11, 8, 16)]  # (B, T, I, H)


def _pair(I, H, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    lstm = nn.LSTM(I, H, batch_first=True).to(dtype)
    return lstm


def _grads(module, names):
    return [dict(module.named_parameters())[n].grad for n in names]


@pytest.mark.parametrize("B, T, I, H", SHAPES)
@pytest.mark.parametrize("cls", [FusedLSTM, NaiveLSTM])
def test_fused_and_naive_equal_nn_lstm_with_a_given_state(cls, B, T, I, H):
    lstm = _pair(I, H, torch.float64)
    ours = cls.from_lstm(lstm)
    x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)
    results = []
    for module in (ours, lstm):
        out, (h, c) = module(x, (h0, c0))
        (out.pow(2).sum() + h.sin().sum() + c.cos().sum()).backward()
        names = [n for n, _ in module.named_parameters()]
        results.append((out, h, c, _grads(module, names), x.grad.clone(), h0.grad.clone(), c0.grad.clone()))
        x.grad = h0.grad = c0.grad = None
    (out, h, c, grads, dx, dh0, dc0), (ref_out, ref_h, ref_c, ref_grads, ref_dx, ref_dh0, ref_dc0) = results
    assert out.shape == (B, T, H) and h.shape == c.shape == (1, B, H)
    for a, b in [(out, ref_out), (h, ref_h), (c, ref_c), (dx, ref_dx), (dh0, ref_dh0), (dc0, ref_dc0),
                 *zip(grads, ref_grads)]:
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("B, T, I, H", SHAPES)
@pytest.mark.parametrize("rung", [r for r in RUNGS if r != "fused_compiled"])  # compiled: below, once
def test_every_eager_rung_equals_nn_lstm_in_float32_to_1e_5(rung, B, T, I, H):
    lstm = _pair(I, H)
    check = compare_to_lstm(build_rung(rung, lstm), lstm, torch.randn(B, T, I))
    assert check["equal"] and check["worst"] <= 1e-5 and check["dtype"] == "float32"
    assert set(check["max_diff"]) == {"output", "h", "c", "grad_weight_ih", "grad_weight_hh", "grad_bias_ih",
                                      "grad_bias_hh"}


def test_weights_are_copied_from_nn_lstm_not_shared():
    lstm = _pair(3, 5, torch.float64)
    fused, course = FusedLSTM.from_lstm(lstm), course_lstm(lstm)
    assert isinstance(course, Recurrent) and isinstance(course.cell, LSTMCell) and course.cell.variant == "NP"
    assert fused.weight_ih_l0.dtype == torch.float64 and course.cell.weight_hh.dtype == torch.float64
    assert {k: v.shape for k, v in fused.state_dict().items()} == {k: v.shape for k, v in lstm.state_dict().items()}
    for name, p in lstm.named_parameters():
        assert torch.equal(getattr(fused, name), p) and torch.equal(getattr(course.cell, name.removesuffix("_l0")), p)
    with torch.no_grad():
        fused.weight_hh_l0.add_(1.0)
        course.cell.bias_ih.add_(1.0)
    assert not torch.equal(fused.weight_hh_l0, lstm.weight_hh_l0)
    assert not torch.equal(course.cell.bias_ih, lstm.bias_ih_l0)


def test_a_fresh_fused_lstm_is_initialised_like_nn_lstm():
    fused = FusedLSTM(4, 25)
    assert all(p.abs().max() <= 1 / 5 for p in fused.parameters())
    assert fused.step is lstm_step and "4, 25" in repr(fused)


def test_lstm_step_follows_the_equations():
    torch.manual_seed(0)
    B, H = 3, 4
    xp, h, c, w = torch.randn(B, 4 * H), torch.randn(B, H), torch.randn(B, H), torch.randn(4 * H, H)
    a = xp + h @ w.T
    i, f, g, o = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.tanh(a[:, 2 * H:3 * H]), \
        torch.sigmoid(a[:, 3 * H:])
    new_h, new_c = lstm_step(xp, h, c, w)
    torch.testing.assert_close(new_c, f * c + i * g)
    torch.testing.assert_close(new_h, o * torch.tanh(f * c + i * g))


@pytest.mark.parametrize("call, match", [
    (lambda m: m(torch.randn(2, 7, 4)), r"x must have shape \(B, T, I\) = \(B, T, 3\), got shape \(2, 7, 4\)"),
    (lambda m: m(torch.randn(7, 3)), r"x must have shape \(B, T, I\) = \(B, T, 3\), got shape \(7, 3\)"),
    (lambda m: m(torch.randn(2, 0, 3)), "x must hold at least one time step"),
    (lambda m: m(torch.randn(2, 7, 3, dtype=torch.float64)), "x has dtype torch.float64 but the module's weights"),
    (lambda m: m(torch.randn(2, 7, 3), (torch.zeros(2, 5), torch.zeros(1, 2, 5))),
     r"h0 must have shape \(1, B, H\) = \(1, 2, 5\), got shape \(2, 5\)"),
    (lambda m: m(torch.randn(2, 7, 3), (torch.zeros(1, 2, 5), torch.zeros(1, 3, 5))),
     r"c0 must have shape \(1, B, H\) = \(1, 2, 5\), got shape \(1, 3, 5\)"),
    (lambda m: m(torch.randn(2, 7, 3), torch.zeros(1, 2, 5)), r"state must be a tuple \(h0, c0\)"),
])
def test_bad_shapes_name_the_expected_shape(call, match):
    with pytest.raises(ValueError, match=match):
        call(FusedLSTM(3, 5))


@pytest.mark.parametrize("call, match", [
    (lambda: FusedLSTM.from_lstm(nn.GRU(3, 5)), "lstm must be a torch.nn.LSTM, got GRU"),
    (lambda: FusedLSTM.from_lstm(nn.LSTM(3, 5, num_layers=2)), "num_layers=1, .*; got num_layers=2"),
    (lambda: course_lstm(nn.LSTM(3, 5, bidirectional=True)), "got bidirectional=True"),
    (lambda: FusedLSTM.from_lstm(nn.LSTM(3, 5, bias=False)), "got bias=False"),
    (lambda: build_rung("cudnn", nn.LSTM(3, 5, batch_first=True)),
     "rung must be one of 'naive', 'course', 'fused', 'fused_compiled', 'nn_lstm'; got 'cudnn'"),
    (lambda: build_rung("fused", nn.LSTM(3, 5)), "lstm must be built with batch_first=True"),
    (lambda: compile_step(NaiveLSTM(3, 5)), "model must be a FusedLSTM"),
    (lambda: compile_unrolled(nn.LSTM(3, 5)), "model must be a FusedLSTM"),
    (lambda: FusedLSTM(0, 5), "input_size must be an integer >= 1, got 0"),
    (lambda: LadderShape(T=0, batch=1, hidden=1, input_size=1), "T must be an integer >= 1, got 0"),
    (lambda: compare_to_lstm(FusedLSTM(3, 5), nn.LSTM(3, 5, batch_first=True), torch.randn(1, 2, 3), tol=0),
     "tol must be a positive number"),
    (lambda: ladder((50, 32, 128, 128)), "shape must be a LadderShape"),
    (lambda: ladder(LadderShape(2, 1, 1, 1), rungs=("fused", "faster")), "rung must be one of .*; got 'faster'"),
    (lambda: ladder(LadderShape(2, 1, 1, 1), repeats=0), "repeats must be an integer >= 1"),
])
def test_bad_arguments_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_shapes_of_the_chapter():
    assert (GPU_SHAPE.T, GPU_SHAPE.batch, GPU_SHAPE.hidden, GPU_SHAPE.input_size) == (100, 64, 512, 512)
    assert (CPU_SHAPE.T, CPU_SHAPE.batch, CPU_SHAPE.hidden, CPU_SHAPE.input_size) == (50, 32, 128, 128)
    assert GPU_SHAPE.flops(training=True) == 3 * 100 * 8 * 64 * 512 * 1024


def test_the_check_falls_back_to_float64_where_float32_rounding_exceeds_the_tolerance():
    lstm = _pair(3, 5)
    x = torch.randn(2, 6, 3)
    model = build_rung("fused", lstm)
    check = _check_rung("fused", model, lstm, x, tol=1e-12)  # float32 rounding alone is about 1e-7
    assert [c["dtype"] for c in check["checks"]] == ["float32", "float64"]
    assert not check["checks"][0]["equal"] and check["equal"] and check["decided_in"] == "float64"
    assert model.weight_ih_l0.dtype == torch.float32  # the timed module stays in float32
    assert _check_rung("fused", model, lstm, x, tol=1e-5)["decided_in"] == "float32"


def test_ladder_times_the_eager_rungs_and_leaves_the_callers_random_state():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    result = ladder(LadderShape(T=4, batch=2, hidden=3, input_size=3), "cpu", rungs=("fused", "naive"), repeats=2,
                    warmup=1)
    assert torch.equal(torch.rand(3), expected)
    assert list(result["rungs"]) == ["naive", "fused", "nn_lstm"]  # ladder order; nn.LSTM always timed
    assert result["peak"] is None and result["compiler_startup_seconds"] is None
    assert result["flops_per_step"] == 3 * 4 * 8 * 2 * 3 * 6
    for rung, entry in result["rungs"].items():
        assert entry["check"]["equal"] and entry["ms_per_step"] > 0 and entry["gflops_per_s"] > 0, rung
        assert entry["percent_of_peak"] is None and entry["unsynchronized"] is None
        assert entry["compile_seconds"] is None and entry["timing"]["repeats"] == 2
    assert result["rungs"]["nn_lstm"]["ratio_to_nn_lstm"] == 1.0


def test_training_step_clears_old_gradients():
    lstm = _pair(3, 5)
    x = torch.randn(2, 4, 3)
    training_step(lstm, x)
    first = lstm.weight_hh_l0.grad.clone()
    loss = training_step(lstm, x)
    torch.testing.assert_close(lstm.weight_hh_l0.grad, first)  # replaced, not accumulated
    assert loss.requires_grad is False and loss.item() > 0


# --------------------------------------------------------------------------- torch.compile (a few seconds)


@pytest.fixture(scope="module")
def compiler():
    """torch.compile on this machine; the tests below skip, saying why, where it cannot compile."""
    if not hasattr(torch, "compile"):
        pytest.skip("this PyTorch has no torch.compile")
    try:
        compiler_startup(cold=False)
    except Exception as exc:  # noqa: BLE001 -- any failure of the compiler toolchain means: cannot test here
        pytest.skip(f"torch.compile cannot compile on this machine: {type(exc).__name__}: {exc}")


# the sizes of the experiment's --quick run, so that one run fills torch.compile's cache for the other
B, I, H = 4, 8, 8


def test_the_compiled_step_equals_nn_lstm(compiler):
    lstm = _pair(I, H)
    x = torch.randn(B, 6, I)
    model = build_rung("fused_compiled", lstm)
    assert model.step is not lstm_step
    seconds = time_compile(model, x, cold=False)
    check = compare_to_lstm(model, lstm, x)
    assert seconds > 0 and check["equal"] and check["worst"] <= 1e-5


def test_the_compiled_whole_loop_equals_nn_lstm(compiler):
    lstm = _pair(I, H)
    model = compile_unrolled(FusedLSTM.from_lstm(lstm))
    check = compare_to_lstm(model, lstm, torch.randn(B, 2, I))
    assert check["equal"] and check["worst"] <= 1e-5
