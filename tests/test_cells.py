"""The PyTorch cells of lstm_helpers.cells: equations, PyTorch equality, gradients, bad inputs."""

import numpy as np
import pytest
import torch

from lstm_helpers.cells import (
    VARIANTS,
    GRUCell,
    LSTMCell,
    Recurrent,
    gru_parameter_count,
    lstm_parameter_count,
)

D, H, N = 3, 4, 5


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def random_cell(variant, seed=0, scale=0.6):
    """A float64 cell whose parameters (peepholes included) are all clearly non-zero."""
    torch.manual_seed(seed)
    cell = LSTMCell(D, H, variant=variant).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.normal_(0.0, scale)
    return cell


def random_state(variant, seed=1):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(N, H, generator=g, dtype=torch.float64)
    c = torch.randn(N, H, generator=g, dtype=torch.float64)
    if variant == "FGR":
        return h, c, torch.rand(N, 3 * H, generator=g, dtype=torch.float64)
    return h, c


def naive_lstm_step(cell, x, state):
    """The equations of Greff et al. (2017), one sequence at a time, with column vectors.

    Deliberately independent of the cell's code: every gate's weights are cut
    out of the parameter matrices by name and each variant's change is written
    as it reads in the paper.
    """
    v = cell.variant
    P = {k: p.detach().numpy() for k, p in cell.named_parameters()}
    b = P["bias_ih"] + P["bias_hh"]
    W, R, B = {}, {}, {}
    for k, gate in enumerate(cell.blocks):
        rows = slice(k * H, (k + 1) * H)
        W[gate], R[gate], B[gate] = P["weight_ih"][rows], P["weight_hh"][rows], b[rows]
    peep = {gate: P.get(f"peephole_{gate}", np.zeros(H)) for gate in "ifo"}
    x, h_all, c_all = x.numpy(), state[0].numpy(), state[1].numpy()
    a_all = state[2].numpy() if v == "FGR" else None
    out = {k: [] for k in ("i", "f", "g", "o", "c", "h", "a")}
    for n in range(x.shape[0]):
        xt, h_prev, c_prev = x[n], h_all[n], c_all[n]

        def pre(gate):
            z = W[gate] @ xt + R[gate] @ h_prev + B[gate]
            if v == "FGR" and gate != "g":  # full gate recurrence: R_{gate <- i, f, o} times [i, f, o]_{t-1}
                rows = slice("ifo".index(gate) * H, ("ifo".index(gate) + 1) * H)
                z = z + P["weight_gg"][rows] @ a_all[n]
            return z

        i = np.ones(H) if v == "NIG" else sig(pre("i") + peep["i"] * c_prev)
        if v == "NFG":
            f = np.ones(H)
        elif v == "CIFG":
            f = 1.0 - i
        else:
            f = sig(pre("f") + peep["f"] * c_prev)
        g = pre("g") if v == "NIAF" else np.tanh(pre("g"))
        c = f * c_prev + i * g
        o = np.ones(H) if v == "NOG" else sig(pre("o") + peep["o"] * c)
        h = o * c if v == "NOAF" else o * np.tanh(c)
        for k, val in zip("ifgoch", (i, f, g, o, c, h)):
            out[k].append(val)
        out["a"].append(np.concatenate([i, f, o]))
    return {k: np.stack(val) for k, val in out.items()}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_follows_its_equations(variant):
    cell = random_cell(variant)
    x = torch.randn(N, D, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    state = random_state(variant)
    new_state, gates = cell.forward_with_gates(x, state)
    ref = naive_lstm_step(cell, x, state)
    for k in "ifgoch":
        np.testing.assert_allclose(gates[k].detach().numpy(), ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(new_state[0].detach().numpy(), ref["h"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(new_state[1].detach().numpy(), ref["c"], rtol=1e-12, atol=1e-12)
    if variant == "FGR":
        np.testing.assert_allclose(new_state[2].detach().numpy(), ref["a"], rtol=1e-12, atol=1e-12)
    else:
        assert len(new_state) == 2


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_is_projection_then_step_and_recurrent_is_the_loop(variant):
    cell = random_cell(variant, scale=0.4)
    x = torch.randn(N, 6, D, dtype=torch.float64)
    with torch.no_grad():
        one = cell(x[:, 0])
        split = cell.step(cell.input_projection(x[:, 0]), cell.initial_state(N, dtype=torch.float64))
        for a, b in zip(one, split):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        out, final = Recurrent(cell)(x)
        state = None
        for t in range(x.shape[1]):
            state = cell(x[:, t], state)
            torch.testing.assert_close(out[:, t], state[0], rtol=1e-12, atol=1e-12)
        for a, b in zip(final, state):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_cifg_forget_gate_is_exactly_one_minus_input_gate():
    cell = random_cell("CIFG")
    _, gates = cell.forward_with_gates(torch.randn(N, D, dtype=torch.float64), random_state("CIFG"))
    assert torch.equal(gates["f"], 1.0 - gates["i"])
    assert not torch.equal(gates["f"], torch.ones_like(gates["f"]))


@pytest.mark.parametrize("variant, gate", [("NIG", "i"), ("NFG", "f"), ("NOG", "o")])
def test_removed_gates_are_exactly_one(variant, gate):
    cell = random_cell(variant)
    _, gates = cell.forward_with_gates(torch.randn(N, D, dtype=torch.float64), random_state(variant))
    assert torch.equal(gates[gate], torch.ones(N, H, dtype=torch.float64))
    assert gate not in cell.blocks and f"peephole_{gate}" not in dict(cell.named_parameters())


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameter_count_matches_formula(variant):
    for d, h in [(1, 1), (3, 4), (7, 16)]:
        cell = LSTMCell(d, h, variant=variant)
        assert sum(p.numel() for p in cell.parameters()) == lstm_parameter_count(d, h, variant)
    assert lstm_parameter_count(3, 4, "NP") == 4 * 4 * (3 + 4 + 2)
    assert lstm_parameter_count(3, 4, "vanilla") == 4 * 4 * (3 + 4 + 2) + 3 * 4
    assert lstm_parameter_count(3, 4, "FGR") == 4 * 4 * (3 + 4 + 2) + 3 * 4 + 9 * 16
    assert sum(p.numel() for p in GRUCell(3, 4).parameters()) == gru_parameter_count(3, 4) == 3 * 4 * 9


def test_np_has_the_layout_of_nn_lstmcell_and_equals_it():
    torch.manual_seed(0)
    ref = torch.nn.LSTMCell(D, H)
    cell = LSTMCell(D, H, variant="NP")
    assert {k: v.shape for k, v in cell.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    cell.load_state_dict(ref.state_dict())
    x, h, c = torch.randn(N, D), torch.randn(N, H), torch.randn(N, H)
    for ours, theirs in zip(cell(x, (h, c)), ref(x, (h, c))):
        torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    for ours, theirs in zip(cell(x), ref(x)):  # zero initial state
        torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


def test_gru_equals_nn_grucell():
    torch.manual_seed(0)
    ref = torch.nn.GRUCell(D, H)
    cell = GRUCell(D, H)
    assert {k: v.shape for k, v in cell.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    cell.load_state_dict(ref.state_dict())
    x, h = torch.randn(N, D), torch.randn(N, H)
    torch.testing.assert_close(cell(x, h), ref(x, h), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(cell(x), ref(x), rtol=1e-6, atol=1e-6)


def naive_gru_step(cell, x, h_all):
    """Column-vector GRU; reset gate after (PyTorch) or before (Cho et al.) the product."""
    P = {k: p.detach().numpy() for k, p in cell.named_parameters()}
    blocks = {}
    for k, gate in enumerate("rzn"):
        rows = slice(k * H, (k + 1) * H)
        blocks[gate] = (P["weight_ih"][rows], P["weight_hh"][rows], P["bias_ih"][rows], P["bias_hh"][rows])
    rows = []
    for xt, h_prev in zip(x.numpy(), h_all.numpy()):
        Wr, Ur, br, cr = blocks["r"]
        Wz, Uz, bz, cz = blocks["z"]
        Wn, Un, bn, cn = blocks["n"]
        r = sig(Wr @ xt + br + Ur @ h_prev + cr)
        z = sig(Wz @ xt + bz + Uz @ h_prev + cz)
        if cell.reset_after:
            n = np.tanh(Wn @ xt + bn + r * (Un @ h_prev + cn))
        else:
            n = np.tanh(Wn @ xt + bn + Un @ (r * h_prev) + cn)
        rows.append(z * h_prev + (1.0 - z) * n)  # Cho et al., eq. 7: z keeps the old state
    return np.stack(rows)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_follows_its_equations(reset_after):
    torch.manual_seed(0)
    cell = GRUCell(D, H, reset_after=reset_after).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.normal_(0.0, 0.6)
    x, h = torch.randn(N, D, dtype=torch.float64), torch.randn(N, H, dtype=torch.float64)
    np.testing.assert_allclose(cell(x, h).detach().numpy(), naive_gru_step(cell, x, h), rtol=1e-12, atol=1e-12)


def test_gru_update_gate_one_keeps_the_state():
    cell = GRUCell(D, H).double()
    with torch.no_grad():
        cell.bias_ih[H:2 * H] = 50.0  # z = sigmoid(50) == 1 in float64 up to 2e-22
    x, h = torch.randn(N, D, dtype=torch.float64), torch.randn(N, H, dtype=torch.float64)
    new_h, gates = cell.forward_with_gates(x, h)
    torch.testing.assert_close(new_h, h, rtol=0, atol=1e-15)
    assert torch.all(gates["z"] > 1 - 1e-15)


@pytest.mark.parametrize("batch_first", [True, False])
def test_recurrent_np_equals_nn_lstm(batch_first):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(D, H, batch_first=batch_first)
    layer = Recurrent(LSTMCell(D, H, variant="NP"), batch_first=batch_first)
    layer.cell.load_state_dict({k.removesuffix("_l0"): v for k, v in ref.state_dict().items()})
    x = torch.randn(N, 7, D) if batch_first else torch.randn(7, N, D)
    h0, c0 = torch.randn(N, H), torch.randn(N, H)
    out, (h, c) = layer(x, (h0, c0))
    out_ref, (h_ref, c_ref) = ref(x, (h0[None], c0[None]))
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(h, h_ref[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(c, c_ref[0], rtol=1e-5, atol=1e-6)
    # and the gradients agree too
    out.sum().backward()
    out_ref.sum().backward()
    torch.testing.assert_close(layer.cell.weight_hh.grad, ref.weight_hh_l0.grad, rtol=1e-4, atol=1e-5)


def test_recurrent_gru_and_plain_torch_cells():
    torch.manual_seed(0)
    x = torch.randn(N, 6, D)
    ref = torch.nn.GRU(D, H, batch_first=True)
    layer = Recurrent(GRUCell(D, H))
    layer.cell.load_state_dict({k.removesuffix("_l0"): v for k, v in ref.state_dict().items()})
    out, h = layer(x)
    out_ref, h_ref = ref(x)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(h, h_ref[0], rtol=1e-5, atol=1e-6)
    # a torch.nn cell without input_projection is called step by step
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    plain = torch.nn.LSTMCell(D, H)
    plain.load_state_dict({k.removesuffix("_l0"): v for k, v in lstm.state_dict().items()})
    out, (h, c) = Recurrent(plain)(x)
    torch.testing.assert_close(out, lstm(x)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
def test_gradcheck_each_variant(variant):
    cell = random_cell(variant, scale=0.5)
    layer = Recurrent(cell)
    x = torch.randn(2, 3, D, dtype=torch.float64, requires_grad=True)
    state = tuple(s[:2].clone().requires_grad_(True) for s in random_state(variant))
    params = list(cell.parameters())

    def f(x, *args):
        k = len(state)
        out, final = layer(x, tuple(args[:k]))
        return out, final[1]

    assert torch.autograd.gradcheck(f, (x, *state), eps=1e-6, atol=1e-6)
    # gradients with respect to the parameters: perturb them through a functional call
    names = [n for n, _ in cell.named_parameters()]

    def g(*ps):
        out, _ = torch.func.functional_call(layer, {"cell." + n: p for n, p in zip(names, ps)}, (x.detach(),))
        return out

    assert torch.autograd.gradcheck(g, tuple(p.detach().clone().requires_grad_(True) for p in params),
                                    eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gradcheck_gru(reset_after):
    torch.manual_seed(0)
    cell = GRUCell(D, H, reset_after=reset_after).double()
    layer = Recurrent(cell)
    names = [n for n, _ in cell.named_parameters()]
    x = torch.randn(2, 3, D, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, H, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, h0: layer(x, h0)[0], (x, h0), eps=1e-6, atol=1e-6)

    def g(*ps):
        return torch.func.functional_call(layer, {"cell." + n: p for n, p in zip(names, ps)}, (x.detach(),))[0]

    assert torch.autograd.gradcheck(g, tuple(p.detach().clone().requires_grad_(True) for p in cell.parameters()),
                                    eps=1e-6, atol=1e-6)


def test_forget_bias_shifts_the_forget_gate_bias():
    torch.manual_seed(0)
    base = LSTMCell(D, H, variant="NP")
    torch.manual_seed(0)
    shifted = LSTMCell(D, H, variant="NP", forget_bias=1.0)
    diff = (shifted.bias_ih - base.bias_ih).detach()
    torch.testing.assert_close(diff, torch.cat([torch.zeros(H), torch.ones(H), torch.zeros(2 * H)]))
    torch.manual_seed(0)
    cifg0 = LSTMCell(D, H, variant="CIFG")
    torch.manual_seed(0)
    cifg1 = LSTMCell(D, H, variant="CIFG", forget_bias=1.0)
    torch.testing.assert_close((cifg1.bias_ih - cifg0.bias_ih)[:H].detach(), -torch.ones(H))


def test_bad_variant_lists_the_choices():
    with pytest.raises(ValueError, match="variant must be one of 'vanilla', 'NIG'.*'FGR'; got 'LSTM'"):
        LSTMCell(D, H, variant="LSTM")
    with pytest.raises(ValueError, match="variant must be one of"):
        lstm_parameter_count(D, H, "peephole")


@pytest.mark.parametrize("make", [lambda: LSTMCell(0, 4), lambda: LSTMCell(3, 2.5), lambda: GRUCell(3, 0)])
def test_bad_sizes(make):
    with pytest.raises(ValueError, match="must be a positive integer"):
        make()


def test_wrong_shapes_name_the_expected_shape():
    cell, gru = LSTMCell(D, H, variant="vanilla"), GRUCell(D, H)
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) = \(N, 3\), got shape \(5, 2\)"):
        cell(torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\)"):
        cell(torch.zeros(5, 1, 3))
    with pytest.raises(ValueError, match=r"c must have shape \(N, H\) = \(5, 4\), got shape \(5, 3\)"):
        cell(torch.zeros(5, 3), (torch.zeros(5, 4), torch.zeros(5, 3)))
    with pytest.raises(ValueError, match=r"must be a tuple \(h, c\)"):
        cell(torch.zeros(5, 3), torch.zeros(5, 4))
    with pytest.raises(ValueError, match=r"\(h, c, a\)"):
        LSTMCell(D, H, variant="FGR")(torch.zeros(5, 3), (torch.zeros(5, 4), torch.zeros(5, 4)))
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\) = \(5, 4\)"):
        gru(torch.zeros(5, 3), torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"floating-point"):
        gru(torch.zeros(5, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"torch.Tensor"):
        gru(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\) = \(N, T, 3\), got shape \(5, 3\)"):
        Recurrent(cell)(torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"\(T, N, D\)"):
        Recurrent(cell, batch_first=False)(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least one time step"):
        Recurrent(cell)(torch.zeros(5, 0, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., D\)"):
        cell.input_projection(torch.zeros(5, 7))
    with pytest.raises(ValueError, match="cell must be a torch.nn.Module"):
        Recurrent(torch.nn.Linear(3, 4))


# --------------------------------------------------------------------------- the variant drawings


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_can_be_drawn(variant):
    import matplotlib.pyplot as plt

    from lstm_helpers.diagrams import draw_lstm_variant

    ax = draw_lstm_variant(variant)
    gids = {a.get_gid() for a in ax.get_children() if a.get_gid()}
    cell = LSTMCell(2, 2, variant=variant)
    for gate in "ifo":  # a peephole is drawn exactly when the module has one
        assert (f"variant:peephole_{gate}" in gids) == (gate in cell.peepholes), gate
    assert ("variant:fgr" in gids) == (variant == "FGR")
    assert ("variant:coupling" in gids) == (variant == "CIFG")
    removed = {"NIG": "input", "NFG": "forget", "NOG": "output", "CIFG": "forget"}.get(variant)
    for part in ("input", "forget", "output"):
        assert (f"lstm:{part}_feed" in gids) == (part != removed), part
    plt.close("all")


def test_drawings_reject_unknown_names():
    from lstm_helpers.diagrams import draw_gru_cell, draw_lstm_variant

    with pytest.raises(ValueError, match="variant must be one of 'vanilla'.*'FGR'; got 'GRU'"):
        draw_lstm_variant("GRU")
    with pytest.raises(ValueError, match="highlight must be one of 'update', 'reset', 'candidate'"):
        draw_gru_cell(highlight="forget")


def test_gru_drawing_highlights_one_part():
    import matplotlib.pyplot as plt

    from lstm_helpers.diagrams import GRU_PART_COLORS, draw_gru_cell

    ax = draw_gru_cell(highlight="reset")
    by_gid = {a.get_gid(): a for a in ax.get_children() if a.get_gid()}
    reset = matplotlib_color(by_gid["gru:reset_gate"].get_facecolor())
    update = matplotlib_color(by_gid["gru:update_gate"].get_facecolor())
    assert reset == GRU_PART_COLORS["reset"].lower()
    assert update != GRU_PART_COLORS["update"].lower()
    plt.close("all")


def matplotlib_color(rgba):
    from matplotlib.colors import to_hex

    return to_hex(rgba)
