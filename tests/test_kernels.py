"""The Numba kernels (minirnn/kernels) against the NumPy reference (minirnn/cells).

Both backends must give the same outputs, final states and gradients, to rounding,
for every shape, down to one step, one sequence and one hidden unit. "Same" is
measured per array, relative to its largest entry:

    max |kernel - reference|  <=  rtol * max(max |reference|, 0.01)

float64: rtol = 1e-12 (worst seen over 3000 random draws per cell: 4.5e-13, LSTM).
float32: rtol = 1e-3 (worst seen: 2.9e-4, RNN tanh; 4e-5 LSTM, 6e-5 GRU). The two
backends add the same terms in a different order (one matrix product over all steps
against a sum of per-step products) and round tanh differently by a unit; near
saturation the backward rule 1 - tanh^2 turns that unit into a large relative error
(in float32, one unit of tanh(4) is 1e-4 of 1 - tanh(4)^2). The floor 0.01, a
hundredth of the O(1) gradients fed in, keeps gradients that have vanished through
such units from being compared digit by digit after their digits are gone.

Also: the gate nonlinearities (minirnn/kernels/activations.py) against np.exp and
np.tanh, over the whole float range. The draws reach both orders of the per-step
product (minirnn/kernels/step_product.py): B = 1 and float64 take the plain one,
float32 with B > 1 the transposed one (B = 5, 6: its four-row blocks and a row left over).
"""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numba import njit

from minirnn.cells import gru as gru_ref
from minirnn.cells import lstm as lstm_ref
from minirnn.cells import rnn as rnn_ref
from minirnn.kernels import gru as gru_ker
from minirnn.kernels import lstm as lstm_ker
from minirnn.kernels import rnn as rnn_ker
from minirnn.kernels.activations import sigmoid, tanh

RTOL = {np.float32: 1e-3, np.float64: 1e-12}
SCALE_FLOOR = 0.01                 # see the module docstring
SETTINGS = settings(max_examples=25, deadline=None)

shapes = st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(1, 6))  # T, B, I, N
dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2 ** 32 - 1)


def assert_agree(name, got, want):
    """got (kernel) equals want (reference) to rounding, with the same shape and dtype."""
    assert got.shape == want.shape, f"{name}: shape {got.shape}, reference {want.shape}"
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, reference {want.dtype}"
    scale = max(np.abs(want).max(), SCALE_FLOOR)
    err = np.abs(got - want).max()
    assert np.isfinite(err) and err <= RTOL[want.dtype.type] * scale, (
        f"{name}: max |kernel - reference| = {err:.3g}, scale (largest reference entry, "
        f"at least {SCALE_FLOOR}) {scale:.3g}")


def draw(rng, dtype, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def weights(rng, dtype, I, N, G):
    """W (I, GN), H (N, GN), b (GN,) at the scale of PyTorch's initialisation, a little larger."""
    s = 1.5 / np.sqrt(N)
    return draw(rng, dtype, I, G * N, scale=s), draw(rng, dtype, N, G * N, scale=s), draw(rng, dtype, G * N, scale=s)


@SETTINGS
@given(shapes, dtypes, seeds, st.sampled_from(["tanh", "relu"]))
@example((1, 1, 1, 1), np.float64, 0, "tanh")
@example((1, 1, 1, 1), np.float32, 0, "relu")
def test_rnn_kernel_matches_reference(shape, dtype, seed, nonlinearity):
    T, B, I, N = shape
    rng = np.random.default_rng(seed)
    x, s0, ds = draw(rng, dtype, T, B, I), draw(rng, dtype, B, N), draw(rng, dtype, T, B, N)
    W, H, b = weights(rng, dtype, I, N, 1)
    s_want, cache_want = rnn_ref.rnn_forward(x, s0, W, H, b, nonlinearity)
    s_got, cache_got = rnn_ker.rnn_forward(x, s0, W, H, b, nonlinearity)
    assert_agree("s", s_got, s_want)
    assert_agree("final state", s_got[-1], s_want[-1])
    names = ("dx", "ds0", "dW", "dH", "db")
    for name, got, want in zip(names, rnn_ker.rnn_backward(ds, cache_got), rnn_ref.rnn_backward(ds, cache_want)):
        assert_agree(name, got, want)


@SETTINGS
@given(shapes, dtypes, seeds, st.booleans())
@example((1, 1, 1, 1), np.float64, 0, True)
@example((1, 1, 1, 1), np.float32, 0, False)
def test_lstm_kernel_matches_reference(shape, dtype, seed, with_dc):
    T, B, I, N = shape
    rng = np.random.default_rng(seed)
    x, h0, c0 = draw(rng, dtype, T, B, I), draw(rng, dtype, B, N), draw(rng, dtype, B, N)
    dh = draw(rng, dtype, T, B, N)
    dc = draw(rng, dtype, T, B, N) if with_dc else None
    W, H, b = weights(rng, dtype, I, N, 4)
    h_want, c_want, cache_want = lstm_ref.lstm_forward(x, h0, c0, W, H, b)
    h_got, c_got, cache_got = lstm_ker.lstm_forward(x, h0, c0, W, H, b)
    assert_agree("h", h_got, h_want)
    assert_agree("c", c_got, c_want)
    assert_agree("final h", h_got[-1], h_want[-1])
    assert_agree("final c", c_got[-1], c_want[-1])
    names = ("dx", "dh0", "dc0", "dW", "dH", "db")
    grads_got = lstm_ker.lstm_backward(dh, dc, cache_got)
    grads_want = lstm_ref.lstm_backward(dh, dc, cache_want)
    for name, got, want in zip(names, grads_got, grads_want):
        assert_agree(name, got, want)


@SETTINGS
@given(shapes, dtypes, seeds)
@example((1, 1, 1, 1), np.float64, 0)
@example((1, 1, 1, 1), np.float32, 0)
def test_gru_kernel_matches_reference(shape, dtype, seed):
    T, B, I, N = shape
    rng = np.random.default_rng(seed)
    x, h0, dh = draw(rng, dtype, T, B, I), draw(rng, dtype, B, N), draw(rng, dtype, T, B, N)
    W, H, b = weights(rng, dtype, I, N, 3)
    b_hn = draw(rng, dtype, N, scale=1.5 / np.sqrt(N))
    h_want, cache_want = gru_ref.gru_forward(x, h0, W, H, b, b_hn)
    h_got, cache_got = gru_ker.gru_forward(x, h0, W, H, b, b_hn)
    assert_agree("h", h_got, h_want)
    assert_agree("final h", h_got[-1], h_want[-1])
    names = ("dx", "dh0", "dW", "dH", "db", "db_hn")
    for name, got, want in zip(names, gru_ker.gru_backward(dh, cache_got), gru_ref.gru_backward(dh, cache_want)):
        assert_agree(name, got, want)


def test_kernels_accept_non_contiguous_views():
    """Reversed time (a bidirectional layer's second direction) and transposed weights."""
    rng = np.random.default_rng(0)
    T, B, I, N = 5, 3, 4, 6
    x = draw(rng, np.float64, T, B, I)
    h0, c0, dh = draw(rng, np.float64, B, N), draw(rng, np.float64, B, N), draw(rng, np.float64, T, B, N)
    W, H, b = weights(rng, np.float64, I, N, 4)
    Wf, Hf = np.asfortranarray(W), np.asfortranarray(H)      # as the layer stores weight_ih.T
    h_want, c_want, cache_want = lstm_ref.lstm_forward(x[::-1], h0, c0, W, H, b)
    h_got, c_got, cache_got = lstm_ker.lstm_forward(x[::-1], h0, c0, Wf, Hf, b)
    assert_agree("h", h_got, h_want)
    for got, want in zip(lstm_ker.lstm_backward(dh[::-1], None, cache_got),
                         lstm_ref.lstm_backward(dh[::-1], None, cache_want)):
        assert_agree("gradient", got, want)


def test_backward_leaves_the_cache_reusable():
    """Two backward passes from one forward give the same gradients (nothing is overwritten)."""
    rng = np.random.default_rng(1)
    T, B, I, N = 4, 2, 3, 5
    x, h0 = draw(rng, np.float64, T, B, I), draw(rng, np.float64, B, N)
    W, H, b = weights(rng, np.float64, I, N, 3)
    b_hn = draw(rng, np.float64, N)
    _, cache = gru_ker.gru_forward(x, h0, W, H, b, b_hn)
    dh = draw(rng, np.float64, T, B, N)
    for first, second in zip(gru_ker.gru_backward(dh, cache), gru_ker.gru_backward(dh, cache)):
        np.testing.assert_array_equal(first, second)


# ---- the gate nonlinearities ---------------------------------------------------------

@njit  # not cache=True: a cached copy would keep testing an edited activations.py's old version
def _apply(which, x, out):
    """out[k] = sigmoid(x[k]) (which == 0) or tanh(x[k]), in out's dtype."""
    for k in range(x.size):
        out[k] = sigmoid(x[k]) if which == 0 else tanh(x[k])


def exact_sigmoid(x):
    """The sigmoid from np.exp, in float64, written so that exp never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def inputs():
    """The working range densely and at random, the float32 and float64 underflow of exp,
    tiny and huge values, both signs."""
    tiny = np.geomspace(1e-300, 1e-3, 200)
    huge = np.array([30.0, 100.0, 709.0, 710.0, 1e3, 1e30, 1e300, np.finfo(np.float64).max, np.inf])
    mid = np.linspace(-40, 40, 160001)
    scattered = np.random.default_rng(0).uniform(-20, 20, 200000)
    underflow = np.concatenate([np.linspace(-110, -80, 3001), np.linspace(-712, -704, 801)])
    return np.concatenate([mid, scattered, underflow, tiny, -tiny, huge, -huge, [0.0]])


@pytest.mark.parametrize("which, exact", [(0, exact_sigmoid), (1, np.tanh)], ids=["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_nonlinearities_match_numpy(which, exact, dtype):
    """float64: within 4 units in the last place (relative 9e-16) of np.exp / np.tanh,
    everywhere, tiny arguments included; float32 (computed in float32): within 2 units in
    the last place of the exact value. No overflow, no NaN."""
    x = inputs()
    if dtype == np.float32:
        x = x[np.abs(x) <= np.finfo(np.float32).max].astype(np.float32)
    out = np.empty_like(x)
    _apply(which, x, out)
    assert out.dtype == dtype
    want = exact(x.astype(np.float64))
    assert np.all(np.isfinite(out)), "NaN or infinity from a finite or infinite argument"
    tiny = np.finfo(dtype).tiny
    if dtype == np.float64:
        # relative error; below the smallest normal number (sigmoid(-710)) absolute error up to it
        limit = 4 * np.finfo(dtype).eps
        err = np.abs(out - want) / np.maximum(np.abs(want), tiny / limit)
    else:
        # units in the last place of the exact value rounded to float32; below the smallest
        # normal float32 (sigmoid(-87.4)), absolute error up to it (2 units of tiny / 2)
        limit = 2
        unit = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
        err = np.abs(out - want) / np.maximum(unit, tiny / 2)
    worst = int(np.argmax(err))
    assert err[worst] <= limit, f"x = {x[worst]!r}: got {out[worst]!r}, np gives {want[worst]!r}"


def test_gate_nonlinearities_keep_nan():
    x = np.array([np.nan, 1.0])
    out = np.empty_like(x)
    for which in (0, 1):
        _apply(which, x, out)
        assert np.isnan(out[0]) and np.isfinite(out[1])
