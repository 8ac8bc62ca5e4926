"""A cell of your own: the generic loop (minirnn/cells/sequence.py) and CellLayer.

- the generic loop over the reference cells' steps gives their own sequence functions'
  numbers, forward and backward, for random shapes;
- CellLayer over those steps is the built-in layer: layers, directions, lengths, dropout;
- a new cell (an extra parameter through init_params) passes the gradient check, traces
  its gates, and trains with minirnn's optimizers;
- a cell that does not follow the protocol gets an error naming what is wrong.
"""
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
from minirnn.cells import gru, lstm, rnn
from minirnn.cells.sequence import CellLayer, sequence_backward, sequence_forward
from minirnn.gradcheck import check_layer
from minirnn.toolkit.cell_protocol import check_cell


class RNNCell:
    """The reference simple cell, in the protocol's shape."""
    state_names, blocks = ("h",), 1

    def __init__(self, nonlinearity="tanh"):
        self.nonlinearity = nonlinearity

    def step_forward(self, x, states_prev, p):
        s, cache = rnn.rnn_step_forward(x, states_prev[0], p["W"], p["H"], p["b"], self.nonlinearity)
        return (s,), cache

    def step_backward(self, dstates, cache):
        dx, ds_prev, dW, dH, db = rnn.rnn_step_backward(dstates[0], cache)
        return dx, (ds_prev,), {"W": dW, "H": dH, "b": db}


class LSTMCell:
    state_names, blocks, gate_names = ("h", "c"), 4, ("i", "f", "g", "o")

    def step_forward(self, x, states_prev, p):
        h, c, cache = lstm.lstm_step_forward(x, *states_prev, p["W"], p["H"], p["b"])
        return (h, c), cache

    def step_backward(self, dstates, cache):
        dx, dh_prev, dc_prev, dW, dH, db = lstm.lstm_step_backward(*dstates, cache)
        return dx, (dh_prev, dc_prev), {"W": dW, "H": dH, "b": db}


class GRUCell:
    state_names, blocks = ("h",), 3

    def step_forward(self, x, states_prev, p):
        h, cache = gru.gru_step_forward(x, states_prev[0], p["W"], p["H"], p["b"], p["b_hn"])
        return (h,), cache

    def step_backward(self, dstates, cache):
        dx, dh_prev, dW, dH, db, db_hn = gru.gru_step_backward(dstates[0], cache)
        return dx, (dh_prev,), {"W": dW, "H": dH, "b": db, "b_hn": db_hn}


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


# ---- the generic loop is the reference cells' own loop ----

@settings(max_examples=30, deadline=None)
@given(cell=st.sampled_from(["rnn_tanh", "rnn_relu", "lstm", "gru"]), T=st.integers(1, 6),
       B=st.integers(1, 4), I=st.integers(1, 5), N=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_the_generic_loop_equals_the_reference_sequence_functions(cell, T, B, I, N, seed):
    rng = np.random.default_rng(seed)
    G = {"lstm": 4, "gru": 3}.get(cell, 1)
    x, W, H, b = rng.normal(size=(T, B, I)), rng.normal(size=(I, G * N)), rng.normal(size=(N, G * N)), rng.normal(size=G * N)
    h0, c0, b_hn = rng.normal(size=(B, N)), rng.normal(size=(B, N)), rng.normal(size=N)
    dh, dc = rng.normal(size=(T, B, N)), rng.normal(size=(T, B, N))
    params = {"W": W, "H": H, "b": b}
    if cell.startswith("rnn"):
        nonlinearity = cell[4:]
        (s,), cache = sequence_forward(RNNCell(nonlinearity), x, (h0,), params)
        s_ref, cache_ref = rnn.rnn_forward(x, h0, W, H, b, nonlinearity)
        close(s, s_ref)
        dx, (ds0,), dp = sequence_backward((dh,), cache)
        expected = rnn.rnn_backward(dh, cache_ref)
        got = (dx, ds0, dp["W"], dp["H"], dp["b"])
    elif cell == "lstm":
        (h, c), cache = sequence_forward(LSTMCell(), x, (h0, c0), params)
        h_ref, c_ref, cache_ref = lstm.lstm_forward(x, h0, c0, W, H, b)
        close(h, h_ref)
        close(c, c_ref)
        dx, (dh0, dc0), dp = sequence_backward((dh, dc), cache)
        expected = lstm.lstm_backward(dh, dc, cache_ref)
        got = (dx, dh0, dc0, dp["W"], dp["H"], dp["b"])
        no_dc = sequence_backward((dh, None), cache)                # no gradient on c from outside
        close(no_dc[0], lstm.lstm_backward(dh, None, cache_ref)[0])
    else:
        (h,), cache = sequence_forward(GRUCell(), x, (h0,), {**params, "b_hn": b_hn})
        h_ref, cache_ref = gru.gru_forward(x, h0, W, H, b, b_hn)
        close(h, h_ref)
        dx, (dh0,), dp = sequence_backward((dh,), cache)
        expected = gru.gru_backward(dh, cache_ref)
        got = (dx, dh0, dp["W"], dp["H"], dp["b"], dp["b_hn"])
    for g, e in zip(got, expected):
        close(g, e)


# ---- CellLayer over the reference steps is the built-in layer ----

@settings(max_examples=15, deadline=None)
@given(which=st.sampled_from(["rnn", "lstm"]), num_layers=st.integers(1, 2), bidirectional=st.booleans(),
       packed=st.booleans(), dropout=st.sampled_from([0.0, 0.4]), seed=st.integers(0, 1000))
def test_a_cell_layer_is_the_built_in_layer(which, num_layers, bidirectional, packed, dropout, seed):
    cell, Layer = {"rnn": (RNNCell(), minirnn.RNN), "lstm": (LSTMCell(), minirnn.LSTM)}[which]
    options = dict(num_layers=num_layers, bidirectional=bidirectional, dropout=dropout, seed=seed)
    mine, builtin = CellLayer(cell, 3, 4, **options), Layer(3, 4, backend="numpy", **options)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5, 3, 3))
    lengths = np.array([5, 2, 4]) if packed else None
    (y, final), (y_ref, final_ref) = mine.forward(x, lengths=lengths), builtin.forward(x, lengths=lengths)
    close(y, y_ref)
    for a, b in zip(mine.state_parts(final), builtin.state_parts(final_ref)):
        close(a, b)
    dy = rng.normal(size=y.shape)
    (dx, _), (dx_ref, _) = mine.backward(dy), builtin.backward(dy)
    close(dx, dx_ref)
    assert mine.grads.keys() == builtin.grads.keys()
    for name in mine.grads:
        close(mine.grads[name], builtin.grads[name])
    traced, traced_ref = mine.trace(), builtin.trace()
    for t, t_ref in zip(traced, traced_ref):
        assert t.keys() == t_ref.keys()
        for name in t:
            close(t[name], t_ref[name])


# ---- a new cell: its own parameter, the gradient check, trace, training ----

class DiagonalCache(NamedTuple):
    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    params: dict
    a: np.ndarray        # the pre-activation: gate_names makes trace() return it


class DiagonalCell:
    """h = tanh(x W + h_prev H + b + p * h_prev): an extra per-unit recurrent weight p,
    drawn by init_params."""
    state_names, blocks, gate_names = ("h",), 1, ("a",)

    def init_params(self, input_size, hidden_size, rng):
        bound = 1 / np.sqrt(hidden_size)
        return {"W": rng.uniform(-bound, bound, (input_size, hidden_size)),
                "H": rng.uniform(-bound, bound, (hidden_size, hidden_size)),
                "b": rng.uniform(-bound, bound, hidden_size), "p": rng.uniform(-1, 1, hidden_size)}

    def step_forward(self, x, states_prev, p):
        (h_prev,) = states_prev
        a = x @ p["W"] + h_prev @ p["H"] + p["b"] + p["p"] * h_prev
        h = np.tanh(a)
        return (h,), DiagonalCache(x, h_prev, h, p, a)

    def step_backward(self, dstates, cache):
        x, h_prev, h, p, _ = cache
        da = dstates[0] * (1 - h * h)
        dh_prev = da @ p["H"].T + da * p["p"]
        return da @ p["W"].T, (dh_prev,), {"W": x.T @ da, "H": h_prev.T @ da, "b": da.sum(0),
                                          "p": (da * h_prev).sum(0)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_new_cell_passes_the_gradient_check_in_every_configuration(dtype):
    layer = CellLayer(DiagonalCell(), 2, 3, num_layers=2, bidirectional=True, dropout=0.3, dtype=dtype, seed=4)
    assert set(layer.params) == {f"{n}_l{k}{d}" for n in "WHbp" for k in (0, 1) for d in ("", "_reverse")}
    rng = np.random.default_rng(0)
    report = check_layer(layer, rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 3)),
                         lengths=np.array([4, 1, 3]))
    assert report.passed(), report
    assert {row.name for row in report.rows} >= {"p_l0", "p_l1_reverse", "x", "h0"}


def test_a_new_cell_traces_its_gates_and_trains_with_an_optimizer():
    layer = CellLayer(DiagonalCell(), 2, 8, seed=1)
    head = minirnn.Linear(8, 1, seed=1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 16, 2))
    target = x[0, :, :1] - x[2, :, 1:]                      # (B, 1) needs memory of steps 0 and 2
    params = {**{f"rnn.{k}": v for k, v in layer.params.items()}, **{f"head.{k}": v for k, v in head.params.items()}}
    optimizer = minirnn.Adam(params, lr=2e-2)
    losses = []
    for _ in range(150):
        y, h = layer.forward(x)
        loss, dprediction = minirnn.losses.mean_squared_error(head.forward(h[0]), target)
        dh = head.backward(dprediction)[None]               # (1, B, N): only the final state is read
        layer.backward(np.zeros_like(y), dh)
        grads = {**{f"rnn.{k}": v for k, v in layer.grads.items()}, **{f"head.{k}": v for k, v in head.grads.items()}}
        optimizer.step(grads)
        losses.append(loss)
    assert losses[-1] < 0.2 * losses[0]
    traced = layer.trace()[0]
    assert set(traced) == {"h", "a"} and traced["a"].shape == (6, 16, 8)
    np.testing.assert_allclose(np.tanh(traced["a"]), traced["h"], rtol=1e-12)


# ---- a cell that does not follow the protocol ----

class Missing:
    blocks = 1

    def step_forward(self, x, states_prev, params):
        pass


@pytest.mark.parametrize("cell, message", [
    (Missing(), "Missing does not follow the cell protocol: no method step_backward; state_names must be"),
    (type("NoBlocks", (RNNCell,), {"blocks": 0}), r"blocks must be a positive integer \(the N-wide blocks"),
    (type("OldName", (RNNCell,), {"blocks": None, "gates": 1}), "the attribute once named gates is now blocks"),
    (type("Twice", (RNNCell,), {"state_names": ("h", "h")}), "state_names must be a non-empty tuple of distinct"),
    (type("NeedsArgs", (RNNCell,), {"__init__": lambda self, n: None}), "must be constructible with no arguments"),
    (len, "does not follow the cell protocol"),
])
def test_a_cell_that_does_not_follow_the_protocol_is_refused(cell, message):
    with pytest.raises(TypeError, match=message):
        CellLayer(cell, 2, 3)


def broken(**methods):
    return type("Broken", (RNNCell,), methods)()


@pytest.mark.parametrize("cell, error, message", [
    (broken(step_forward=lambda self, x, s, p: (RNNCell.step_forward(self, x, s, p)[0][0], None)),
     TypeError, "Broken.step_forward must return states as a tuple of 1 arrays"),
    (broken(step_forward=lambda self, x, s, p: ((np.zeros((2, 5)),), None)),
     ValueError, r"returned states 'h' of shape \(2, 5\) dtype float64, expected \(2, 3\)"),
    (broken(step_forward=lambda self, x, s, p: ((np.zeros((2, 3), np.float32),), None)),
     ValueError, "dtype float32, expected .* dtype float64"),
    (broken(step_backward=lambda self, d, c: (lambda r: (r[0], r[1], {"W": r[2]["W"]}))(RNNCell.step_backward(self, d, c))),
     TypeError, r"a gradient for each parameter \['H', 'W', 'b'\], got \['W'\]"),
    (broken(step_backward=lambda self, d, c: (lambda r: (r[0][:, :1], r[1], r[2]))(RNNCell.step_backward(self, d, c))),
     ValueError, r"returned dx of shape \(2, 1\) dtype float64, expected \(2, 2\)"),
    (broken(step_backward=lambda self, d, c: (lambda r: (r[0], r[1], {**r[2], "b": r[2]["b"].astype(np.float32)}))(
        RNNCell.step_backward(self, d, c))),
     ValueError, r"returned dparams\['b'\] of shape \(3,\) dtype float32, expected \(3,\) dtype float64"),
])
def test_a_step_that_returns_the_wrong_thing_is_named(cell, error, message):
    layer = CellLayer(cell, 2, 3)
    with pytest.raises(error, match=message):
        y, _ = layer.forward(np.ones((3, 2, 2)))
        layer.backward(np.ones_like(y))


def test_only_the_numpy_loop_runs_a_cell_of_your_own():
    with pytest.raises(ValueError, match="backend must be 'numpy' for a CellLayer"):
        CellLayer(RNNCell(), 2, 3, backend="numba")
    assert check_cell(RNNCell).state_names == ("h",)        # a class is made with no arguments
