"""Every layer configuration passes the finite-difference check, on both backends:
every parameter, the input and the initial state(s), non-zero biases, T >= 3, B >= 2."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
from minirnn.gradcheck import check_layer

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


def relu_kink_nearby(layer, x, state, lengths):
    """Finite differences are wrong across relu's kink: skip cases with a pre-activation
    within 1e-3 of zero, recomputed from the NumPy reference's per-step caches."""
    if getattr(layer, "nonlinearity", "tanh") != "relu":
        return False
    reference = make_layer("rnn_relu", layer.input_size, layer.hidden_size, num_layers=layer.num_layers,
                           bidirectional=layer.bidirectional, backend="numpy")
    reference.params = layer.params
    reference.forward(x, state, lengths=lengths)
    caches = reference._cache[3]                           # one per (layer, direction)
    for cache, (k, d) in zip(caches, reference._layer_directions()):
        b = layer.params["b" + reference._suffix(k, d)]
        for step in cache.steps:
            a = step.x @ step.W + step.s_prev @ step.H + b   # (B, N) pre-activation
            if np.any(np.abs(a) < 1e-3):
                return True
    return False


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(CELLS), backend=st.sampled_from(["numpy", "numba"]),
       T=st.integers(3, 5), B=st.integers(2, 3), I=st.integers(1, 4), N=st.integers(1, 4),
       num_layers=st.integers(1, 2), bidirectional=st.booleans(), packed=st.booleans(),
       seed=st.integers(0, 10_000))
def test_layer_gradients_match_finite_differences(cell, backend, T, B, I, N, num_layers, bidirectional, packed, seed):
    layer = make_layer(cell, I, N, num_layers=num_layers, bidirectional=bidirectional, backend=backend)
    x, state = random_case(layer, T, B, seed)
    lengths = np.random.default_rng(seed).integers(1, T + 1, B) if packed else None
    if relu_kink_nearby(layer, x, state, lengths):
        return
    report = check_layer(layer, x, state, lengths=lengths, seed=seed)
    assert report.passed(1e-7), report
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


def test_float32_layer_is_refused():
    with pytest.raises(TypeError, match="layer must be float64 for a gradient check, got float32"):
        check_layer(minirnn.GRU(2, 3, dtype=np.float32), np.zeros((3, 2, 2), np.float32))
