"""One validation path: every cell accepts NumPy integers and turns dtype mismatches into ValueError."""

import numpy as np
import pytest
import torch

from lstm_helpers._checks import check_last_dim, check_size, check_tensor
from lstm_helpers.cells import GRUCell, LSTMCell, Recurrent
from lstm_helpers.cells.tree import ChildSumTreeLSTMCell, NaryTreeLSTMCell

CELLS = [
    lambda d, h: LSTMCell(d, h),
    lambda d, h: LSTMCell(d, h, variant="FGR"),
    lambda d, h: GRUCell(d, h),
    lambda d, h: ChildSumTreeLSTMCell(d, h),
    lambda d, h: NaryTreeLSTMCell(d, h),
]


@pytest.mark.parametrize("make", CELLS)
def test_every_cell_accepts_numpy_integers(make):
    cell = make(np.int64(3), np.int32(5))
    assert type(cell.input_size) is int and type(cell.hidden_size) is int
    assert (cell.input_size, cell.hidden_size) == (3, 5)


@pytest.mark.parametrize("make", CELLS)
@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3", None])
def test_every_cell_rejects_bad_sizes_alike(make, bad):
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        make(3, bad)


@pytest.mark.parametrize("make", CELLS)
def test_float64_input_to_float32_cell_is_a_value_error_naming_both(make):
    cell = make(3, 5)
    with pytest.raises(ValueError, match=r"torch\.float64.*torch\.float32"):
        cell(torch.zeros(2, 3, dtype=torch.float64))


def test_recurrent_names_both_dtypes():
    net = Recurrent(LSTMCell(3, 4))
    with pytest.raises(ValueError, match=r"torch\.float64.*torch\.float32"):
        net(torch.zeros(2, 5, 3, dtype=torch.float64))


def test_input_projection_names_both_dtypes():
    cell = LSTMCell(3, 4).double()
    with pytest.raises(ValueError, match=r"torch\.float32.*torch\.float64"):
        cell.input_projection(torch.zeros(2, 7, 3))


def test_check_size_and_check_tensor_messages():
    assert check_size("n", np.int64(4)) == 4
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) = \(N, 3\), got shape \(2, 4\)"):
        check_tensor("x", torch.zeros(2, 4), (None, 3), "(N, D)")
    with pytest.raises(ValueError, match=r"parent must have shape \(M,\) = \(5,\)"):
        check_tensor("parent", torch.zeros(4, dtype=torch.long), (5,), "(M,)", floating=False)
    with pytest.raises(ValueError, match="floating-point"):
        check_tensor("x", torch.zeros(2, 3, dtype=torch.long), (None, 3), "(N, D)")
    with pytest.raises(ValueError, match=r"\(\.\.\., D\) = \(\.\.\., 3\)"):
        check_last_dim("x", torch.zeros(2, 5, 4), 3)
    check_last_dim("x", torch.zeros(2, 5, 3), 3, like=torch.zeros(1))


def test_device_mismatch_is_a_value_error_naming_both():
    # the "meta" device stands in for a GPU: same check, no hardware needed
    cell = LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"device meta.*on cpu"):
        cell(torch.zeros(2, 3, device="meta"))
