"""minirnn.toolkit.gradcheck.layer: check_layer. Every layer configuration passes the
finite-difference check, on both backends: every parameter, the input and the initial
state(s), non-zero biases, T >= 3, B >= 2; a wrong kernel fails, in float64 and float32."""
import itertools
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
from minirnn.gradcheck import DEFAULT_REL_TOL
from minirnn.toolkit.gradcheck.layer import FLOAT32_REL_TOL, LayerProblem, check_layer

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def make_layer(cell, I, N, **options):
    if cell.startswith("rnn"):
        return minirnn.RNN(I, N, nonlinearity=cell[4:], **options)
    return {"lstm": minirnn.LSTM, "gru": minirnn.GRU}[cell](I, N, **options)


def random_case(layer, T, B, seed):
    rng = np.random.default_rng(seed)
    for p in layer.params.values():                         # biases and weights well away from zero
        p[...] = rng.uniform(-0.8, 0.8, p.shape)
    x = rng.standard_normal((T, B, layer.input_size))
    LD = layer.num_layers * layer.num_directions
    states = tuple(rng.standard_normal((LD, B, layer.hidden_size)) for _ in layer.state_names)
    return x, states if len(states) > 1 else states[0]


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(CELLS), backend=st.sampled_from(["numpy", "numba"]),
       T=st.integers(3, 5), B=st.integers(2, 3), I=st.integers(1, 4), N=st.integers(1, 4),
       num_layers=st.integers(1, 2), bidirectional=st.booleans(), packed=st.booleans(),
       seed=st.integers(0, 10_000))
def test_layer_gradients_match_finite_differences(cell, backend, T, B, I, N, num_layers, bidirectional, packed, seed):
    layer = make_layer(cell, I, N, num_layers=num_layers, bidirectional=bidirectional, backend=backend)
    x, state = random_case(layer, T, B, seed)
    lengths = np.random.default_rng(seed).integers(1, T + 1, B) if packed else None
    report = check_layer(layer, x, state, lengths=lengths, seed=seed)
    assert report.passed(1e-7), report                     # relu's kinks, if any, are skipped
    assert report.skipped <= 2                             # and there are few of them
    names = {row.name for row in report.rows}
    assert {"x", "h0"} <= names and set(layer.params) <= names


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_backward_passes_the_check(cell):
    layer = make_layer(cell, 3, 4, num_layers=3, dropout=0.5, backend="numpy", seed=1)
    x, state = random_case(layer, 4, 2, seed=3)
    report = check_layer(layer, x, state)
    assert report.passed(1e-7), report


def test_check_layer_catches_a_wrong_kernel(monkeypatch):
    """A layer whose backward forgets the recurrent path into h0 fails the check on h0."""
    from minirnn.cells import rnn as reference
    layer = minirnn.RNN(3, 4, backend="numpy")
    x, state = random_case(layer, 4, 2, seed=0)
    real_backward = reference.rnn_backward

    def forgetful_backward(ds, cache):
        dx, ds0, dW, dH, db = real_backward(ds, cache)
        return dx, np.zeros_like(ds0), dW, dH, db
    monkeypatch.setattr(reference, "rnn_backward", forgetful_backward)
    report = check_layer(layer, x, state)
    failed = {row.name for row in report.rows if row.max_rel_error > 1e-7}
    assert failed == {"h0"}, report


def test_a_float32_layer_is_checked_against_its_float64_twin():
    layer = minirnn.GRU(2, 3, dtype=np.float32, num_layers=2, dropout=0.3, seed=1)
    x, state = random_case(layer, 4, 2, seed=5)
    before = {k: v.copy() for k, v in layer.params.items()}
    report = check_layer(layer, x.astype(np.float32), state.astype(np.float32))
    assert report.rel_tol == FLOAT32_REL_TOL and report.passed(), report
    assert 1e-9 < report.max_rel_error < FLOAT32_REL_TOL      # float32's rounding, visible
    assert all(np.array_equal(before[k], layer.params[k]) and layer.params[k].dtype == np.float32
               for k in before)                               # the layer is left as it was


def test_a_float32_check_still_catches_a_wrong_gradient(monkeypatch):
    from minirnn.kernels import lstm as kernel
    real = kernel.lstm_backward

    def no_dc0(*args):
        dx, dh0, dc0, dW, dH, db = real(*args)
        return dx, dh0, np.zeros_like(dc0), dW, dH, db
    monkeypatch.setattr(kernel, "lstm_backward", no_dc0)
    layer = minirnn.LSTM(3, 4, dtype=np.float32)
    x, state = random_case(layer, 4, 2, seed=0)
    report = check_layer(layer, x, state)
    assert [row.name for row in report.rows if not row.passed(report.rel_tol)] == ["c0"]


def test_a_float32_layer_loss_is_summed_in_float64():
    layer = minirnn.RNN(2, 4, nonlinearity="relu", dtype=np.float32)
    layer.params["W_l0"][...] = 0
    layer.params["H_l0"][...] = 0
    layer.params["b_l0"][...] = 3e38                              # every output near float32's largest
    problem = LayerProblem(layer, np.zeros((6, 5, 2)), None, None, seed=0)
    problem.dy[...] = 1.0                                         # 120 outputs of 3e38: 3.6e40 in all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = problem.loss()
    y = np.float64(np.float32(3e38))
    np.testing.assert_allclose(total, y * (problem.dy.sum() + problem.dfinals[0].sum()), rtol=1e-12)


# ---- the figures of minirnn/gradcheck.py's docstring (small here; the full run:
# MINIRNN_GRADCHECK_SEEDS=40 python -m pytest tests/toolkit/gradcheck/test_layer.py -k figures -s) ----

SEEDS = int(os.environ.get("MINIRNN_GRADCHECK_SEEDS", "0"))    # 0: the small run of the tests


def correct_layer_errors(seeds, depths=(1, 2)):
    """Each array's largest relative and largest absolute error, (arrays,) each, over
    correct float64 layers at eps 1e-5: RNN (tanh), LSTM and GRU, each depth, one or two
    directions, for each seed: T from 2 to 10, B 3, I 3, N 4, the default init."""
    rel, err = [], []
    for cell, num_layers, bidirectional, seed in itertools.product(
            ["rnn_tanh", "lstm", "gru"], depths, [False, True], range(seeds)):
        rng = np.random.default_rng(seed)
        T, B = int(rng.integers(2, 11)), 3
        layer = make_layer(cell, 3, 4, num_layers=num_layers, bidirectional=bidirectional,
                           seed=seed, backend="numpy")
        x = rng.standard_normal((T, B, 3))
        states = tuple(rng.standard_normal((layer.num_layers * layer.num_directions, B, 4))
                       for _ in layer.state_names)
        report = check_layer(layer, x, states if len(states) > 1 else states[0], seed=seed)
        rel += [row.max_rel_error for row in report.rows]
        err += [row.max_abs_error for row in report.rows]
    return np.array(rel), np.array(err)


def test_figures():
    rel, err = correct_layer_errors(SEEDS or 1, depths=(1, 2) if SEEDS else (1,))
    print(f"\n{rel.size} arrays of correct layers; each array's largest error, median and "
          f"worst: relative {np.median(rel):.1e} and {rel.max():.1e}, "
          f"absolute {np.median(err):.1e} and {err.max():.1e}")
    assert rel.max() < DEFAULT_REL_TOL                 # correct layers pass
    assert np.median(rel) < DEFAULT_REL_TOL / 10       # most of them by far
