"""minirnn/inspect/trace.py: the trace is what the model computed, step by step.

- h of the last layer equals the recurrent layer's forward outputs exactly, and every
  layer's last h and c equal the forward's final state exactly;
- the probabilities are the softmax of the model's logits and sum to 1; top_k keeps the
  k likeliest, in order;
- the gates equal the gates recomputed from the reference cell functions (minirnn/cells),
  from the traced input and previous states, at every step of every layer;
- reading in chunks with the state carried gives the numbers of one forward call;
- dropout is off while tracing, and the model's training flag is restored;
- ids that are not a 1-D integer array are refused.
"""
import numpy as np
import pytest

from minirnn.cells import gru, lstm, rnn
from minirnn.inspect.trace import trace_model
from minirnn.lm import build_model, model_config
from minirnn.losses import log_softmax

V = 11


def model_of(cell, layers, dtype, dropout=0.0, backend="numba"):
    config = model_config(V, embed_size=5, cell=cell, hidden_size=6, layers=layers, dropout=dropout,
                          dtype=dtype)
    model = build_model(config, seed=3, backend=backend)
    model.training = False
    return model


def some_ids(T=23, seed=0):
    return np.random.default_rng(seed).integers(0, V, T)


CASES = [(cell, layers, dtype) for cell in ("lstm", "gru", "rnn") for layers in (1, 2, 3)
         for dtype in ("float32", "float64")]


@pytest.mark.parametrize("cell, layers, dtype", CASES)
def test_trace_is_the_forward_pass(cell, layers, dtype):
    model = model_of(cell, layers, dtype)
    ids = some_ids()
    traced = trace_model(model, ids, chunk_size=len(ids))
    x = model.modules["embed"].forward(ids[:, None])                  # (T, 1, D)
    y, final = model.modules["rnn"].forward(x)                        # (T, 1, N)
    final = final if isinstance(final, tuple) else (final,)
    assert len(traced.cells) == layers and traced.labels == [f"layer {k}" for k in range(layers)]
    np.testing.assert_array_equal(traced.cells[-1]["h"], y[:, 0])
    for k, values in enumerate(traced.cells):
        assert all(v.shape == (len(ids), 6) and v.dtype == np.dtype(dtype) for v in values.values())
        for s, name in enumerate(("h", "c") if cell == "lstm" else ("h",)):
            np.testing.assert_array_equal(values[name][-1], final[s][k, 0])
    expected = {"lstm": {"h", "c", "i", "f", "g", "o"}, "gru": {"h", "r", "z", "n"}, "rnn": {"h"}}[cell]
    assert all(set(values) == expected for values in traced.cells)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probabilities_are_the_softmax_of_the_logits_and_sum_to_1(dtype):
    model = model_of("lstm", 2, dtype)
    ids = some_ids()
    traced = trace_model(model, ids)
    logits, _ = model.forward(ids[:, None])
    probs = np.exp(log_softmax(logits[:, 0].astype(np.float64)))       # (T, V)
    assert traced.top_ids.shape == traced.top_probs.shape == (len(ids), V)
    np.testing.assert_allclose(traced.top_probs.sum(axis=1), 1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.sort(traced.top_ids, axis=1), np.broadcast_to(np.arange(V), (len(ids), V)))
    np.testing.assert_array_equal(traced.top_probs, np.take_along_axis(probs, traced.top_ids, axis=1))
    assert (np.diff(traced.top_probs, axis=1) <= 0).all()             # likeliest first
    top3 = trace_model(model, ids, top_k=3)
    np.testing.assert_array_equal(top3.top_ids, traced.top_ids[:, :3])


def test_ties_in_the_top_k_go_to_the_lower_id():
    model = model_of("gru", 1, "float64")
    model.modules["head"].params["W"][...] = 0
    model.modules["head"].params["b"][...] = 0                        # every token equally likely
    traced = trace_model(model, some_ids(5), top_k=4)
    np.testing.assert_array_equal(traced.top_ids, np.broadcast_to(np.arange(4), (5, 4)))
    np.testing.assert_allclose(traced.top_probs, 1 / V)


def layer_inputs(model, ids, traced, k):
    """The input (T, I) that layer k read: the embedding, or the layer below's h."""
    return model.modules["embed"].forward(ids[:, None])[:, 0] if k == 0 else traced.cells[k - 1]["h"]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gates_equal_the_reference_cell_functions(cell, dtype, backend):
    """Each step recomputed with cells/*.py's step function from the traced previous state,
    across chunk boundaries (chunks of 4 steps) and through 2 layers."""
    model = model_of(cell, 2, dtype, backend=backend)
    ids = some_ids(13)
    traced = trace_model(model, ids, chunk_size=4)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=0, atol=1e-13)
    for k, values in enumerate(traced.cells):
        p = {name: model.modules["rnn"].params[f"{name}_l{k}"] for name in ("W", "H", "b", "b_hn")
             if f"{name}_l{k}" in model.modules["rnn"].params}
        x = layer_inputs(model, ids, traced, k)
        zeros = np.zeros((1, 6), dtype)
        for t in range(len(ids)):
            h_prev = values["h"][t - 1:t] if t else zeros
            if cell == "lstm":
                c_prev = values["c"][t - 1:t] if t else zeros
                h, c, step = lstm.lstm_step_forward(x[t:t + 1], h_prev, c_prev, p["W"], p["H"], p["b"])
                np.testing.assert_allclose(values["c"][t], c[0], **tol)
                gates = "ifgo"
            elif cell == "gru":
                h, step = gru.gru_step_forward(x[t:t + 1], h_prev, p["W"], p["H"], p["b"], p["b_hn"])
                gates = "rzn"
            else:
                h, step = rnn.rnn_step_forward(x[t:t + 1], h_prev, p["W"], p["H"], p["b"])
                gates = ""
            np.testing.assert_allclose(values["h"][t], h[0], **tol)
            for name in gates:
                np.testing.assert_allclose(values[name][t], getattr(step, name)[0], **tol)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_chunks_carry_the_state(cell):
    model = model_of(cell, 2, "float64")
    ids = some_ids(30)
    whole, chunked = trace_model(model, ids, chunk_size=30), trace_model(model, ids, chunk_size=7)
    for a, b in zip(whole.cells, chunked.cells):
        for name in a:
            np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-14)
    np.testing.assert_allclose(chunked.top_probs, whole.top_probs, rtol=0, atol=1e-14)


def test_dropout_is_off_while_tracing_and_the_training_flag_comes_back():
    model = model_of("lstm", 2, "float64", dropout=0.5)
    model.training = True
    ids = some_ids()
    first, second = trace_model(model, ids), trace_model(model, ids)
    assert model.training
    np.testing.assert_array_equal(first.cells[1]["h"], second.cells[1]["h"])


def test_from_step_drops_the_first_steps():
    traced = trace_model(model_of("lstm", 1, "float64"), some_ids(8))
    later = traced.from_step(1)
    assert later.ids.shape == (7,) and later.top_ids.shape == (7, V)
    np.testing.assert_array_equal(later.cells[0]["c"], traced.cells[0]["c"][1:])


@pytest.mark.parametrize("ids", [np.zeros((3, 1), np.int64), np.zeros(0, np.int64),
                                 np.zeros(3), [1, 2, 3]])
def test_bad_ids_are_refused(ids):
    with pytest.raises(ValueError, match="ids must be a non-empty 1-D integer array"):
        trace_model(model_of("rnn", 1, "float64"), ids)


def test_ids_outside_the_vocabulary_are_refused_by_the_embedding():
    with pytest.raises(ValueError, match=r"ids in \[0, 11\)"):
        trace_model(model_of("rnn", 1, "float64"), np.array([1, 11]))
