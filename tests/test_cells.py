"""Tests of the NumPy reference cells (minirnn/cells): rnn (tanh, relu), lstm, gru.

- every backward pass agrees with finite differences (minirnn.gradcheck), one step and
  whole sequences, for every parameter, the inputs and the initial state(s);
- every forward and backward pass agrees with PyTorch's cells and layers (float64);
- float32 in, float32 out, equal to float64 at float32 precision;
- the sigmoid neither overflows nor loses its symmetry.
"""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from minirnn.cells.activations import sigmoid
from minirnn.cells.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from minirnn.cells.lstm import (lstm_backward, lstm_forward, lstm_step_backward,
                                lstm_step_forward)
from minirnn.cells.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from minirnn.gradcheck import check_gradients

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}   # blocks of N on the last axis
NONLINEARITY = {"rnn_tanh": "tanh", "rnn_relu": "relu"}

REL_TOL = 1e-7        # finite differences, float64
TORCH_TOL = 1e-10     # max abs difference from PyTorch, float64

# T >= 3 steps and B >= 2 rows, so that the recurrence and the batch sums are exercised
dims = st.tuples(st.integers(3, 5), st.integers(2, 3), st.integers(1, 4), st.integers(1, 4))
seeds = st.integers(0, 2**32 - 1)
few = settings(max_examples=15, deadline=None)


# ---- one calling convention for all cells: dicts of states, parameters, gradients ----

def make_problem(cell, T, B, I, N, seed, dtype=np.float64):
    """Random input (T, B, I), initial states and parameters (all non-zero), and the loss
    weights: wh (T, B, N) on every output, wf (B, N) on the final h, wc (B, N) on the final c."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    params = {"W": rng.normal(size=(I, G * N)) / np.sqrt(I),    # (I, G N)
              "H": rng.normal(size=(N, G * N)) / np.sqrt(N),    # (N, G N)
              "b": 0.5 * rng.normal(size=G * N)}                # (G N,)
    if cell == "gru":
        params["b_hn"] = 0.5 * rng.normal(size=N)               # (N,)
    states = {"h": 0.5 * rng.normal(size=(B, N))}               # (B, N)
    if cell == "lstm":
        states["c"] = rng.normal(size=(B, N))                   # (B, N)
    x = rng.normal(size=(T, B, I))                              # (T, B, I)
    weights = {"wh": rng.normal(size=(T, B, N)), "wf": rng.normal(size=(B, N)),
               "wc": rng.normal(size=(B, N))}
    cast = lambda d: {k: v.astype(dtype) for k, v in d.items()}
    return x.astype(dtype), cast(states), cast(params), weights


def step_forward(cell, x, states, params):
    """One step of `cell` -> ({"h": (B, N), "c": (B, N) for lstm}, cache)."""
    W, H, b = params["W"], params["H"], params["b"]
    if cell == "lstm":
        h, c, cache = lstm_step_forward(x, states["h"], states["c"], W, H, b)
        return {"h": h, "c": c}, cache
    if cell == "gru":
        h, cache = gru_step_forward(x, states["h"], W, H, b, params["b_hn"])
        return {"h": h}, cache
    h, cache = rnn_step_forward(x, states["h"], W, H, b, NONLINEARITY[cell])
    return {"h": h}, cache


def step_backward(cell, grads, cache):
    """Undo one step -> gradients named like the arrays they belong to."""
    if cell == "lstm":
        names = ("x", "h", "c", "W", "H", "b")
        return dict(zip(names, lstm_step_backward(grads["h"], grads["c"], cache)))
    if cell == "gru":
        names = ("x", "h", "W", "H", "b", "b_hn")
        return dict(zip(names, gru_step_backward(grads["h"], cache)))
    return dict(zip(("x", "h", "W", "H", "b"), rnn_step_backward(grads["h"], cache)))


def sequence_forward(cell, x, states, params):
    """A whole sequence -> ({"h": (T, B, N), "c": (T, B, N) for lstm}, cache)."""
    W, H, b = params["W"], params["H"], params["b"]
    if cell == "lstm":
        h, c, cache = lstm_forward(x, states["h"], states["c"], W, H, b)
        return {"h": h, "c": c}, cache
    if cell == "gru":
        h, cache = gru_forward(x, states["h"], W, H, b, params["b_hn"])
        return {"h": h}, cache
    h, cache = rnn_forward(x, states["h"], W, H, b, NONLINEARITY[cell])
    return {"h": h}, cache


def sequence_backward(cell, grads, cache):
    """Backpropagation through time -> gradients named like the arrays they belong to."""
    if cell == "lstm":
        names = ("x", "h", "c", "W", "H", "b")
        return dict(zip(names, lstm_backward(grads["h"], grads["c"], cache)))
    if cell == "gru":
        names = ("x", "h", "W", "H", "b", "b_hn")
        return dict(zip(names, gru_backward(grads["h"], cache)))
    return dict(zip(("x", "h", "W", "H", "b"), rnn_backward(grads["h"], cache)))


def sequence_output_grads(cell, weights, T, B, N):
    """dL/dh and dL/dc reaching each step from outside, for
    L = sum(wh * h) + sum(wf * h[-1]) + sum(wc * c[-1])."""
    dh = weights["wh"].copy()                  # (T, B, N)
    dh[-1] += weights["wf"]                    # the final state's gradient enters at T-1
    grads = {"h": dh}
    if cell == "lstm":
        dc = np.zeros((T, B, N))               # (T, B, N)
        dc[-1] = weights["wc"]
        grads["c"] = dc
    return grads


def label_states(named, suffix):
    """Rename the states "h", "c" as the gradient report should show them (h_prev, h0)."""
    return {(k + suffix if k in ("h", "c") else k): v for k, v in named.items()}


def relu_margin(x, h_prev_seq, params):
    """The smallest |pre-activation| of a relu RNN (finite differences break at the kink)."""
    a = x @ params["W"] + h_prev_seq @ params["H"] + params["b"]
    return np.abs(a).min()


# ---- finite differences ----

@pytest.mark.parametrize("cell", CELLS)
@few
@given(dims=dims, seed=seeds)
def test_step_backward_matches_finite_differences(cell, dims, seed):
    T, B, I, N = dims
    x_seq, states, params, weights = make_problem(cell, T, B, I, N, seed)
    x = x_seq[0]
    if cell == "rnn_relu":
        assume(relu_margin(x, states["h"], params) > 1e-3)
    out_weights = {"h": weights["wh"][0], "c": weights["wc"]}   # loss = sum(w * outputs)

    def loss():
        outputs, _ = step_forward(cell, x, states, params)
        return sum(np.sum(out_weights[k] * v) for k, v in outputs.items())

    outputs, cache = step_forward(cell, x, states, params)
    analytic = step_backward(cell, {k: out_weights[k] for k in outputs}, cache)
    arrays = {"x": x, **states, **params}      # what loss() reads, perturbed in place
    report = check_gradients(loss, label_states(arrays, "_prev"),
                             label_states(analytic, "_prev"))
    assert report.passed(REL_TOL), f"{cell}\n{report}"


@pytest.mark.parametrize("cell", CELLS)
@few
@given(dims=dims, seed=seeds)
def test_sequence_backward_matches_finite_differences(cell, dims, seed):
    T, B, I, N = dims
    x, states, params, weights = make_problem(cell, T, B, I, N, seed)
    if cell == "rnn_relu":
        h = sequence_forward(cell, x, states, params)[0]["h"]    # (T, B, N)
        h_prev = np.concatenate([states["h"][None], h[:-1]])    # (T, B, N)
        assume(relu_margin(x, h_prev, params) > 1e-3)

    def loss():
        outputs, _ = sequence_forward(cell, x, states, params)
        value = np.sum(weights["wh"] * outputs["h"]) + np.sum(weights["wf"] * outputs["h"][-1])
        if cell == "lstm":
            value += np.sum(weights["wc"] * outputs["c"][-1])
        return value

    _, cache = sequence_forward(cell, x, states, params)
    analytic = sequence_backward(cell, sequence_output_grads(cell, weights, T, B, N), cache)
    arrays = {"x": x, **states, **params}      # what loss() reads, perturbed in place
    report = check_gradients(loss, label_states(arrays, "0"), label_states(analytic, "0"))
    assert report.passed(REL_TOL), f"{cell}\n{report}"


def test_lstm_backward_accepts_no_cell_gradient():
    x, states, params, weights = make_problem("lstm", 3, 2, 3, 4, seed=0)
    _, _, cache = lstm_forward(x, states["h"], states["c"], **params)
    without = lstm_backward(weights["wh"], None, cache)
    with_zeros = lstm_backward(weights["wh"], np.zeros_like(weights["wh"]), cache)
    for a, b in zip(without, with_zeros):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("nonlinearity", ["sigmoid", "Tanh", None])
def test_rnn_refuses_an_unknown_nonlinearity(nonlinearity):
    """Not silently relu: the step names what it got."""
    x, s, W, H, b = np.ones((2, 3)), np.zeros((2, 4)), np.ones((3, 4)), np.ones((4, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"):
        rnn_step_forward(x, s, W, H, b, nonlinearity)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        rnn_forward(x[None], s, W, H, b, nonlinearity)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_is_the_steps_chained(cell):
    """The sequence functions compute exactly what chaining the step functions does."""
    x, states, params, _ = make_problem(cell, 4, 2, 3, 3, seed=1)
    outputs, _ = sequence_forward(cell, x, states, params)
    carried = states
    for t in range(len(x)):
        carried, _ = step_forward(cell, x[t], carried, params)
        for k, v in carried.items():
            np.testing.assert_array_equal(outputs[k][t], v)


# ---- PyTorch as an oracle (float64) ----

def torch_names(cell):
    return {"rnn_tanh": "RNN", "rnn_relu": "RNN", "lstm": "LSTM", "gru": "GRU"}[cell]


def load_into_torch(torch, module, cell, params, suffix, seed):
    """Copy (W, H, b[, b_hn]) into a torch module: weight_ih = W.T, weight_hh = H.T, and
    b split at random into bias_ih + bias_hh (for the GRU's n gate: bias_ih = b_n,
    bias_hh = b_hn). Returns the torch parameters by role."""
    rng = np.random.default_rng(seed)
    b = params["b"]
    if cell == "gru":
        N = params["b_hn"].shape[0]
        bias_hh = np.concatenate([rng.normal(size=2 * N), params["b_hn"]])   # (3N,)
        bias_ih = b - np.concatenate([bias_hh[:2 * N], np.zeros(N)])         # (3N,)
    else:
        bias_hh = rng.normal(size=b.shape)
        bias_ih = b - bias_hh
    tensors = {"weight_ih": params["W"].T, "weight_hh": params["H"].T,
               "bias_ih": bias_ih, "bias_hh": bias_hh}
    named = {}
    for role, value in tensors.items():
        p = getattr(module, role + suffix)
        with torch.no_grad():
            p.copy_(torch.from_numpy(np.ascontiguousarray(value)))
        named[role] = p
    return named


def torch_param_grads(cell, named, N):
    """Our gradient names from torch's parameter gradients (both biases get db's parts)."""
    grads = {"W": named["weight_ih"].grad.numpy().T, "H": named["weight_hh"].grad.numpy().T}
    d_ih, d_hh = named["bias_ih"].grad.numpy(), named["bias_hh"].grad.numpy()
    if cell == "gru":
        grads["b"] = d_ih
        grads["b_hh_rz"] = d_hh[:2 * N]        # must equal db's r, z parts
        grads["b_hn"] = d_hh[2 * N:]
    else:
        grads["b"] = d_ih
        grads["b_hh"] = d_hh                   # must equal db too
    return grads


def max_diffs(ours, theirs):
    """Largest absolute difference per name, for arrays present in both."""
    return {k: float(np.max(np.abs(np.asarray(ours[k]) - np.asarray(theirs[k]))))
            for k in theirs}


def with_bias_copies(cell, grads, N):
    """Add the entries torch_param_grads produces for the second bias vector."""
    grads = dict(grads)
    if cell == "gru":
        grads["b_hh_rz"] = grads["b"][:2 * N]
    else:
        grads["b_hh"] = grads["b"]
    return grads


@pytest.mark.parametrize("cell", CELLS)
@few
@given(dims=dims, seed=seeds)
def test_step_matches_torch_cell(cell, dims, seed):
    torch = pytest.importorskip("torch")
    T, B, I, N = dims
    x_seq, states, params, weights = make_problem(cell, T, B, I, N, seed)
    x = x_seq[0]
    kind = getattr(torch.nn, torch_names(cell) + "Cell")
    options = {"nonlinearity": NONLINEARITY[cell]} if cell in NONLINEARITY else {}
    module = kind(I, N, dtype=torch.float64, **options)
    named = load_into_torch(torch, module, cell, params, "", seed)

    tx = torch.tensor(x, requires_grad=True)
    tstates = {k: torch.tensor(v, requires_grad=True) for k, v in states.items()}
    if cell == "lstm":
        th, tc = module(tx, (tstates["h"], tstates["c"]))
        touts = {"h": th, "c": tc}
    else:
        touts = {"h": module(tx, tstates["h"])}
    out_weights = {"h": weights["wh"][0], "c": weights["wc"]}
    sum(torch.sum(torch.from_numpy(out_weights[k]) * v) for k, v in touts.items()).backward()

    outputs, cache = step_forward(cell, x, states, params)
    ours = step_backward(cell, {k: out_weights[k] for k in outputs}, cache)
    theirs = {"x": tx.grad.numpy(), **{k: v.grad.numpy() for k, v in tstates.items()},
              **torch_param_grads(cell, named, N)}
    diffs = max_diffs(with_bias_copies(cell, ours, N), theirs)
    diffs.update({"out_" + k: float(np.max(np.abs(outputs[k] - v.detach().numpy())))
                  for k, v in touts.items()})
    assert max(diffs.values()) <= TORCH_TOL, diffs


@pytest.mark.parametrize("cell", CELLS)
@few
@given(dims=dims, seed=seeds)
def test_sequence_matches_torch_layer(cell, dims, seed):
    torch = pytest.importorskip("torch")
    T, B, I, N = dims
    x, states, params, weights = make_problem(cell, T, B, I, N, seed)
    kind = getattr(torch.nn, torch_names(cell))
    options = {"nonlinearity": NONLINEARITY[cell]} if cell in NONLINEARITY else {}
    module = kind(I, N, num_layers=1, dtype=torch.float64, **options)
    named = load_into_torch(torch, module, cell, params, "_l0", seed)

    tx = torch.tensor(x, requires_grad=True)
    tstates = {k: torch.tensor(v[None], requires_grad=True) for k, v in states.items()}
    if cell == "lstm":
        tout, (th, tc) = module(tx, (tstates["h"], tstates["c"]))
        tfinal = {"h": th[0], "c": tc[0]}
    else:
        tout, th = module(tx, tstates["h"])
        tfinal = {"h": th[0]}
    loss = (torch.sum(torch.from_numpy(weights["wh"]) * tout)
            + torch.sum(torch.from_numpy(weights["wf"]) * tfinal["h"]))
    if cell == "lstm":
        loss = loss + torch.sum(torch.from_numpy(weights["wc"]) * tfinal["c"])
    loss.backward()

    outputs, cache = sequence_forward(cell, x, states, params)
    ours = sequence_backward(cell, sequence_output_grads(cell, weights, T, B, N), cache)
    theirs = {"x": tx.grad.numpy(), **{k: v.grad.numpy()[0] for k, v in tstates.items()},
              **torch_param_grads(cell, named, N)}
    diffs = max_diffs(with_bias_copies(cell, ours, N), theirs)
    diffs["out_h"] = float(np.max(np.abs(outputs["h"] - tout.detach().numpy())))
    diffs.update({"final_" + k: float(np.max(np.abs(outputs[k][-1] - v.detach().numpy())))
                  for k, v in tfinal.items()})
    assert max(diffs.values()) <= TORCH_TOL, diffs


# ---- float32 ----

@pytest.mark.parametrize("cell", CELLS)
@few
@given(dims=dims, seed=seeds)
def test_float32_in_float32_out_close_to_float64(cell, dims, seed):
    T, B, I, N = dims
    x32, states32, params32, weights = make_problem(cell, T, B, I, N, seed, np.float32)
    to64 = lambda d: {k: v.astype(np.float64) for k, v in d.items()}
    x64, states64, params64 = x32.astype(np.float64), to64(states32), to64(params32)
    grads64 = sequence_output_grads(cell, weights, T, B, N)
    grads32 = {k: v.astype(np.float32) for k, v in grads64.items()}

    outputs32, cache32 = sequence_forward(cell, x32, states32, params32)
    outputs64, cache64 = sequence_forward(cell, x64, states64, params64)
    back32 = sequence_backward(cell, grads32, cache32)
    back64 = sequence_backward(cell, grads64, cache64)
    step32, step_cache32 = step_forward(cell, x32[0], states32, params32)
    step_back32 = step_backward(cell, {k: v[0] for k, v in grads32.items()}, step_cache32)

    for name, value in [*outputs32.items(), *back32.items(), *step32.items(),
                        *step_back32.items()]:
        assert value.dtype == np.float32, f"{cell}: {name} came out {value.dtype}"
    # measured: at most about 1e-6 apart (float32 rounding, accumulated over T steps)
    for k in outputs64:
        np.testing.assert_allclose(outputs32[k], outputs64[k], rtol=1e-5, atol=1e-5)
    for k in back64:
        np.testing.assert_allclose(back32[k], back64[k], rtol=1e-5, atol=1e-5, err_msg=k)


# ---- the sigmoid ----

def test_sigmoid_is_stable_and_symmetric():
    for dtype in (np.float32, np.float64):
        a = np.array([-1e4, -800.0, -100.0, -5.0, 0.0, 5.0, 100.0, 800.0, 1e4], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")     # an overflow warning fails the test
            s = sigmoid(a)
            s_neg = sigmoid(-a)
        assert s.dtype == dtype
        assert np.all((s >= 0) & (s <= 1))
        np.testing.assert_allclose(s + s_neg, 1, rtol=0, atol=np.finfo(dtype).eps)
        assert s[0] == 0 and s[-1] == 1 and s[4] == 0.5
    moderate = np.linspace(-30, 30, 101)
    np.testing.assert_allclose(sigmoid(moderate), 1 / (1 + np.exp(-moderate)), rtol=1e-15)
