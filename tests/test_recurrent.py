"""Recurrent layers without torch: bad input, padding, truncated BPTT, dropout, float32."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn

BACKENDS = ["numpy", "numba"]
LAYERS = [minirnn.RNN, minirnn.LSTM, minirnn.GRU]


def random_state(layer, B, rng):
    LD = layer.num_layers * layer.num_directions
    parts = tuple(rng.standard_normal((LD, B, layer.hidden_size)) for _ in layer.state_names)
    return parts if len(parts) > 1 else parts[0]


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


# ---- bad input: one test per case, each error names the argument and what it got ----------

@pytest.fixture
def lstm():
    return minirnn.LSTM(3, 4, num_layers=2, backend="numpy")


def test_x_of_wrong_rank(lstm):
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\), got \(5, 3\)"):
        lstm.forward(np.zeros((5, 3)))


def test_x_of_wrong_width(lstm):
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\), got \(5, 2, 7\)"):
        lstm.forward(np.zeros((5, 2, 7)))


def test_integer_x_is_refused(lstm):
    with pytest.raises(TypeError, match="x must be floating point, got dtype int64.*Embedding"):
        lstm.forward(np.zeros((5, 2, 3), dtype=np.int64))


def test_x_of_other_float_dtype_is_refused(lstm):
    with pytest.raises(TypeError, match=r"x must have dtype float64 .*got float32.*astype"):
        lstm.forward(np.zeros((5, 2, 3), dtype=np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_refused(lstm, bad):
    x = np.zeros((5, 2, 3))
    x[3, 1, 2] = bad
    with pytest.raises(ValueError, match=r"x holds a non-finite value .* at index \(3, 1, 2\)"):
        lstm.forward(x)


def test_state_with_wrong_batch(lstm):
    state = (np.zeros((2, 5, 4)), np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"state\[0\] \(h\) must have shape \(2, 2, 4\), got \(2, 5, 4\)"):
        lstm.forward(np.zeros((5, 2, 3)), state)


def test_state_with_wrong_width():
    gru = minirnn.GRU(3, 4, backend="numpy")
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2, 4\), got \(1, 2, 6\)"):
        gru.forward(np.zeros((5, 2, 3)), np.zeros((1, 2, 6)))


def test_state_for_another_number_of_layers_or_directions():
    rnn = minirnn.RNN(3, 4, num_layers=2, bidirectional=True, backend="numpy")
    with pytest.raises(ValueError, match=r"state must have shape \(4, 2, 4\): its first axis is "
                                         r"num_layers \* num_directions = 2 \* 2; got \(2, 2, 4\)"):
        rnn.forward(np.zeros((5, 2, 3)), np.zeros((2, 2, 4)))


def test_lstm_state_must_be_a_pair(lstm):
    with pytest.raises(TypeError, match=r"state must be a tuple \(h, c\) for LSTM, got ndarray"):
        lstm.forward(np.zeros((5, 2, 3)), np.zeros((2, 2, 4)))


def test_dy_of_wrong_shape(lstm):
    lstm.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(5, 2, 4\), got \(5, 2, 3\)"):
        lstm.backward(np.zeros((5, 2, 3)))


def test_dstate_of_wrong_shape(lstm):
    lstm.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"dstate\[1\] \(c\) must have shape \(2, 2, 4\)"):
        lstm.backward(np.zeros((5, 2, 4)), (np.zeros((2, 2, 4)), np.zeros((2, 3, 4))))


@pytest.mark.parametrize("cls", LAYERS)
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=f"{cls.__name__}.backward called before forward"):
        cls(3, 4).backward(np.zeros((5, 2, 4)))


@pytest.mark.parametrize("lengths, message", [
    ([5, 0], r"lengths must lie in \[1, 5\] .*got 0"),
    ([5, 6], r"lengths must lie in \[1, 5\] .*got 6"),
    ([5, -1], r"lengths must lie in \[1, 5\] .*got -1"),
    ([5, 4, 3], r"lengths must have shape \(2,\), one length per sequence in the batch, got \(3,\)"),
])
def test_bad_lengths(lstm, lengths, message):
    with pytest.raises(ValueError, match=message):
        lstm.forward(np.zeros((5, 2, 3)), lengths=np.array(lengths))


def test_float_lengths(lstm):
    with pytest.raises(TypeError, match="lengths must be integers, got dtype float64"):
        lstm.forward(np.zeros((5, 2, 3)), lengths=np.array([5.0, 2.0]))


@pytest.mark.parametrize("argument, value, message", [
    ("hidden_size", 0, "hidden_size must be a positive integer, got 0"),
    ("num_layers", 1.5, "num_layers must be a positive integer, got 1.5"),
    ("dropout", 1.0, r"dropout must be a number in \[0, 1\), got 1.0"),
    ("backend", "cuda", "backend must be one of 'numba', 'numpy', got 'cuda'"),
    ("dtype", np.int32, "dtype must be np.float32 or np.float64, got int32"),
])
def test_bad_constructor_arguments(argument, value, message):
    kwargs = {"hidden_size": 4, argument: value}
    with pytest.raises((ValueError, TypeError), match=message):
        minirnn.GRU(3, **kwargs)


def test_bad_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity must be one of 'tanh', 'relu', got 'sigmoid'"):
        minirnn.RNN(3, 4, nonlinearity="sigmoid")


# ---- padding changes nothing: outputs, final states, gradients ------------------------------

@settings(max_examples=15, deadline=None)
@given(cls=st.sampled_from(LAYERS), backend=st.sampled_from(BACKENDS), bidirectional=st.booleans(),
       T=st.integers(2, 6), B=st.integers(1, 4), seed=st.integers(0, 1000), data=st.data())
def test_padding_changes_nothing(cls, backend, bidirectional, T, B, seed, data):
    """Whatever stands in the padding, outputs, final states and real gradients are the
    same, outputs at padded steps are zero and no gradient reaches padded inputs."""
    lengths = np.array(data.draw(st.lists(st.integers(1, T), min_size=B, max_size=B)))
    layer = cls(2, 3, num_layers=2, bidirectional=bidirectional, backend=backend, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, 2))
    padded = np.arange(T)[:, None] >= lengths                     # (T, B)
    state0 = random_state(layer, B, rng)
    dy = rng.standard_normal((T, B, 3 * layer.num_directions))

    def run(x):
        y, final = layer.forward(x, state0, lengths=lengths)
        dx, dstate0 = layer.backward(dy, final)
        return y, final, dx, dstate0, {k: g.copy() for k, g in layer.grads.items()}

    y, final, dx, dstate0, grads = run(x)
    x_other = x.copy()
    x_other[padded] = rng.standard_normal((padded.sum(), 2)) * 100
    y2, final2, dx2, dstate02, grads2 = run(x_other)

    assert np.all(y[padded] == 0) and np.all(dx[padded] == 0)
    np.testing.assert_array_equal(y, y2)
    for a, b in zip(as_tuple(final) + as_tuple(dstate0), as_tuple(final2) + as_tuple(dstate02)):
        np.testing.assert_array_equal(a, b)
    for name in grads:
        np.testing.assert_array_equal(grads[name], grads2[name])


@pytest.mark.parametrize("cls", LAYERS)
def test_lengths_equal_to_running_each_sequence_alone(cls):
    """A packed batch gives each sequence exactly what running it alone gives."""
    layer = cls(3, 4, bidirectional=True, backend="numpy", seed=3)
    rng = np.random.default_rng(0)
    lengths = np.array([4, 1, 3])
    x = rng.standard_normal((4, 3, 3))
    y, final = layer.forward(x, lengths=lengths)
    for b, n in enumerate(lengths):
        y_b, final_b = layer.forward(x[:n, b:b + 1])
        np.testing.assert_allclose(y[:n, b:b + 1], y_b, rtol=0, atol=1e-14)
        for f, f_b in zip(as_tuple(final), as_tuple(final_b)):
            np.testing.assert_allclose(f[:, b:b + 1], f_b, rtol=0, atol=1e-14)


# ---- truncated backpropagation through time ------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cls", LAYERS)
def test_truncated_bptt_is_full_bptt_minus_the_carried_state_path(cls, backend):
    """Chunk 2 starts from chunk 1's final state, taken as a constant (min-char-rnn's hprev).

    Its gradient equals the gradient of chunk 2's loss with the carried state held
    fixed; adding what flows back through the carried state into chunk 1 gives back
    the full BPTT gradient over both chunks.
    """
    layer = cls(3, 4, num_layers=2, backend=backend, seed=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 2, 3))
    dy2 = rng.standard_normal((4, 2, 4))                              # loss = sum(dy2 * y[4:])

    # truncated: chunk 1 forward only, then chunk 2 forward and backward
    _, carried = layer.forward(x[:4])
    layer.forward(x[4:], carried)
    _, dcarried = layer.backward(dy2)
    truncated = {k: g.copy() for k, g in layer.grads.items()}

    # the part truncation drops: backprop dcarried through chunk 1
    layer.forward(x[:4])
    layer.backward(np.zeros((4, 2, 4)), dcarried)
    dropped = {k: g.copy() for k, g in layer.grads.items()}

    # full BPTT over the 8 steps with the same loss
    layer.forward(x)
    layer.backward(np.concatenate([np.zeros((4, 2, 4)), dy2]))
    for name, full in layer.grads.items():
        np.testing.assert_allclose(truncated[name] + dropped[name], full, rtol=1e-12, atol=1e-13)
        assert not np.allclose(truncated[name], full)                 # truncation does drop something


# ---- dropout between layers -----------------------------------------------------------

def test_dropout_only_while_training_and_seeded():
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    plain = minirnn.GRU(3, 4, num_layers=3, backend="numpy", seed=7)
    drop = minirnn.GRU(3, 4, num_layers=3, dropout=0.5, backend="numpy", seed=7)
    drop_again = minirnn.GRU(3, 4, num_layers=3, dropout=0.5, backend="numpy", seed=7)
    y_plain, _ = plain.forward(x)
    y_drop, _ = drop.forward(x)
    np.testing.assert_array_equal(y_drop, drop_again.forward(x)[0])    # the seed fixes the masks
    assert not np.allclose(y_drop, y_plain)
    drop.training = False
    np.testing.assert_array_equal(drop.forward(x)[0], y_plain)        # eval: no dropout at all


def test_dropout_backward_uses_the_forward_mask():
    """With the masks of one forward held fixed, the loss is linear in dy: check dx by
    finite differences on x through the same masks (re-seeding reproduces them)."""
    layer = minirnn.LSTM(3, 4, num_layers=2, dropout=0.4, backend="numpy", seed=2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 3))
    dy = rng.standard_normal((4, 2, 4))

    def loss(x):
        layer.rng = np.random.default_rng(99)                        # same masks every call
        return np.sum(layer.forward(x)[0] * dy)

    loss(x)
    dx, _ = layer.backward(dy)
    eps = 1e-6
    for index in [(0, 0, 0), (2, 1, 2), (3, 0, 1)]:
        xp, xm = x.copy(), x.copy()
        xp[index] += eps
        xm[index] -= eps
        assert abs((loss(xp) - loss(xm)) / (2 * eps) - dx[index]) < 1e-8


# ---- float32 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cls", LAYERS)
def test_float32_agrees_with_float64(cls, backend):
    layer64 = cls(5, 6, num_layers=2, bidirectional=True, backend=backend, seed=0)
    layer32 = cls(5, 6, num_layers=2, bidirectional=True, backend=backend, seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in layer32.params.values())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3, 5))
    dy = rng.standard_normal((7, 3, 12))
    y64, _ = layer64.forward(x)
    dx64, _ = layer64.backward(dy)
    y32, _ = layer32.forward(x.astype(np.float32))
    dx32, _ = layer32.backward(dy.astype(np.float32))
    assert y32.dtype == dx32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, atol=1e-4)
    for name in layer64.grads:
        assert layer32.grads[name].dtype == np.float32
        np.testing.assert_allclose(layer32.grads[name], layer64.grads[name], atol=1e-4)


@pytest.mark.parametrize("seed", ["a", -1, 1.5])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        minirnn.LSTM(3, 4, seed=seed)


# ---- trace: what every cell computed, for looking inside -------------------------------------

GATES = {minirnn.RNN: "", minirnn.LSTM: "ifgo", minirnn.GRU: "rzn"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cls", LAYERS)
def test_trace_holds_exactly_the_outputs_and_final_states(cls, backend):
    rng = np.random.default_rng(4)
    layer = cls(3, 5, num_layers=2, bidirectional=True, backend=backend, seed=1)
    x = rng.standard_normal((6, 4, 3))
    lengths = np.array([6, 2, 5, 1])
    state = random_state(layer, 4, rng)
    y, final = layer.forward(x, state, lengths=lengths)
    traced = layer.trace()
    assert len(traced) == 4                                   # (layer, direction) pairs
    for k, t in enumerate(traced):
        assert set(t) == set(layer.state_names) | set(GATES[cls])
        assert all(v.shape == (6, 4, 5) for v in t.values())
        for s, name in enumerate(layer.state_names):         # the final state is the last real step
            last = t[name][lengths - 1, np.arange(4)] if k % 2 == 0 else t[name][0]
            np.testing.assert_array_equal(last, as_tuple(final)[s][k])
    # the last layer's h, both directions side by side, is the layer's output
    np.testing.assert_array_equal(np.concatenate([traced[2]["h"], traced[3]["h"]], axis=-1), y)
    padded = np.arange(6)[:, None] >= lengths                 # (T, B)
    assert all((v[padded] == 0).all() for t in traced for v in t.values())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cls", [minirnn.LSTM, minirnn.GRU])
def test_traced_gates_are_the_reference_cell_s_gates(cls, backend):
    """Recompute each step's gates with the reference step function, from the traced states."""
    from minirnn.cells import gru, lstm
    rng = np.random.default_rng(5)
    layer = cls(3, 4, bidirectional=True, backend=backend, seed=2)
    x = rng.standard_normal((5, 2, 3))
    layer.forward(x, random_state(layer, 2, rng))
    for direction, t in enumerate(layer.trace()):
        p = layer._params_of(0, direction)
        xs = x[::-1] if direction == 1 else x
        h = t["h"][::-1] if direction == 1 else t["h"]        # reading order
        gates = {name: (v[::-1] if direction == 1 else v) for name, v in t.items()}
        for step in range(1, 5):
            if cls is minirnn.LSTM:
                c = gates["c"]
                _, _, cache = lstm.lstm_step_forward(xs[step], h[step - 1], c[step - 1], p["W"], p["H"], p["b"])
            else:
                _, cache = gru.gru_step_forward(xs[step], h[step - 1], p["W"], p["H"], p["b"], p["b_hn"])
            for name in GATES[cls]:
                np.testing.assert_allclose(gates[name][step], getattr(cache, name), rtol=0, atol=1e-14)


def test_trace_before_forward_is_refused():
    with pytest.raises(RuntimeError, match="trace called before forward"):
        minirnn.GRU(2, 3).trace()
