"""Recurrent layers against torch.nn.RNN / LSTM / GRU in float64, on both backends.

Everything a layer computes is compared: outputs, final states, dx, the gradient of
the initial state and every parameter gradient (through minirnn.interop), with
several layers, both directions, batch_first and packed variable-length batches.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
from minirnn import interop

torch = pytest.importorskip("torch")

TOL = 1e-10
BACKENDS = ["numpy", "numba"]
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def make_pair(kind, I, N, backend, seed, **options):
    """A minirnn layer and a torch layer holding the same weights, with non-zero biases."""
    if kind.startswith("rnn"):
        nonlinearity = kind.split("_")[1]
        ours = minirnn.RNN(I, N, nonlinearity=nonlinearity, backend=backend, seed=seed, **options)
        theirs = torch.nn.RNN(I, N, nonlinearity=nonlinearity, dtype=torch.float64, **options)
    else:
        ours = {"lstm": minirnn.LSTM, "gru": minirnn.GRU}[kind](I, N, backend=backend, seed=seed, **options)
        theirs = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](I, N, dtype=torch.float64, **options)
    # torch's own random weights, both biases non-zero, loaded into minirnn
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-0.6, 0.6)
    interop.load_torch_state_dict(ours, theirs.state_dict())
    return ours, theirs


def run_torch(theirs, x, state, lengths, batch_first):
    """Forward and backward in torch; returns everything as NumPy arrays."""
    xt = torch.tensor(x, requires_grad=True)
    st_t = tuple(torch.tensor(s, requires_grad=True) for s in state)
    inp = xt
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first,
                                                      enforce_sorted=False)
    y, final = theirs(inp, st_t if len(st_t) == 2 else st_t[0])
    if lengths is not None:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])
    final = final if isinstance(final, tuple) else (final,)
    return xt, st_t, y, final


def compare(kind, backend, T, B, I, N, num_layers, bidirectional, lengths, batch_first, seed):
    ours, theirs = make_pair(kind, I, N, backend, seed, num_layers=num_layers,
                             bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(seed)
    LD = num_layers * (2 if bidirectional else 1)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    state = tuple(rng.standard_normal((LD, B, N)) for _ in ours.state_names)

    y, final = ours.forward(x, state if kind == "lstm" else state[0], lengths=lengths)
    final = final if isinstance(final, tuple) else (final,)
    xt, st_t, yt, final_t = run_torch(theirs, x, state, lengths, batch_first)

    dy = rng.standard_normal(y.shape)
    dfinal = tuple(rng.standard_normal(f.shape) for f in final)
    loss = (yt * torch.tensor(dy)).sum() + sum((f * torch.tensor(d)).sum() for f, d in zip(final_t, dfinal))
    loss.backward()
    dx, dstate0 = ours.backward(dy, dfinal if kind == "lstm" else dfinal[0])
    dstate0 = dstate0 if isinstance(dstate0, tuple) else (dstate0,)

    diffs = {
        "y": np.abs(y - yt.detach().numpy()).max(),
        "final": max(np.abs(f - ft.detach().numpy()).max() for f, ft in zip(final, final_t)),
        "dx": np.abs(dx - xt.grad.numpy()).max(),
        "dstate0": max(np.abs(d - s.grad.numpy()).max() for d, s in zip(dstate0, st_t)),
    }
    ours_grads = interop.torch_grads(ours)
    for name, p in theirs.named_parameters():
        diffs[name] = np.abs(ours_grads[name] - p.grad.numpy()).max()
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] <= TOL, f"{kind}/{backend}: {worst} differs from torch by {diffs[worst]:.2e}"
    return diffs


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", KINDS)
def test_single_layer_matches_torch(kind, backend):
    compare(kind, backend, T=5, B=3, I=4, N=6, num_layers=1, bidirectional=False,
            lengths=None, batch_first=False, seed=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", KINDS)
def test_deep_bidirectional_packed_matches_torch(kind, backend):
    """Two layers, both directions, mixed lengths including 1 and T."""
    compare(kind, backend, T=6, B=4, I=3, N=5, num_layers=2, bidirectional=True,
            lengths=np.array([6, 1, 4, 2]), batch_first=False, seed=1)


@settings(max_examples=12, deadline=None)
@given(kind=st.sampled_from(KINDS), backend=st.sampled_from(BACKENDS),
       T=st.integers(1, 6), B=st.integers(1, 4), I=st.integers(1, 5), N=st.integers(1, 5),
       num_layers=st.integers(1, 3), bidirectional=st.booleans(), batch_first=st.booleans(),
       packed=st.booleans(), seed=st.integers(0, 2**16), data=st.data())
def test_any_configuration_matches_torch(kind, backend, T, B, I, N, num_layers, bidirectional,
                                         batch_first, packed, seed, data):
    lengths = None
    if packed:
        lengths = np.array(data.draw(st.lists(st.integers(1, T), min_size=B, max_size=B)))
    compare(kind, backend, T, B, I, N, num_layers, bidirectional, lengths, batch_first, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_export_then_torch_forward_agrees(kind):
    """to_torch_state_dict: torch, loaded with our export, computes our outputs."""
    ours, theirs = make_pair(kind, 3, 4, "numpy", 5, num_layers=2, bidirectional=True)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in interop.to_torch_state_dict(ours).items()})
    x = np.random.default_rng(2).standard_normal((4, 2, 3))
    y, _ = ours.forward(x)
    y_t, _ = theirs(torch.from_numpy(x))
    assert np.abs(y - y_t.detach().numpy()).max() <= TOL


def test_default_initialisation_is_torch_like():
    """Weights uniform in +-1/sqrt(N), as PyTorch draws them; b sums PyTorch's two biases."""
    layer = minirnn.LSTM(50, 64, seed=0)
    bound = 1 / np.sqrt(64)
    for name in ("W_l0", "H_l0"):
        p = layer.params[name]
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.95 * bound                      # really spread over the range
        assert abs(p.std() - bound / np.sqrt(3)) < 0.05 * bound   # std of a uniform: bound/sqrt(3)
    assert np.abs(layer.params["b_l0"]).max() <= 2 * bound
    assert abs(layer.params["b_l0"].std() - bound * np.sqrt(2 / 3)) < 0.15 * bound   # sum of two
