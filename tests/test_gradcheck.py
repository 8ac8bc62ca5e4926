"""Tests of minirnn.gradcheck, the lesson: the finite-difference estimates, the relative
error, and above all that a wrong gradient fails the check. (The toolkit around it, from
the argument checks and check_gradients to check_layer and the eps sweep:
tests/toolkit/gradcheck/.)"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn.cells.gru as gru
import minirnn.cells.lstm as lstm
import minirnn.cells.rnn as rnn
from minirnn.gradcheck import numerical_gradient, relative_error
from minirnn.toolkit.gradcheck.compare import check_gradients
from minirnn.toolkit.gradcheck.differences import central_differences

few = settings(max_examples=15, deadline=None)


def cubic_problem(seed, shape=(3, 4)):
    """L = sum(A x^3) + sum(sin(y)) * k, with dL/dx = 3 A x^2 and dL/dy = k cos(y)."""
    rng = np.random.default_rng(seed)
    A, x, y = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=5)
    k = 1.5

    def loss():
        return np.sum(A * x ** 3) + np.sum(np.sin(y)) * k

    return loss, {"x": x, "y": y}, {"x": 3 * A * x ** 2, "y": k * np.cos(y)}


# ---- the estimates ----

@few
@given(seed=st.integers(0, 2**32 - 1))
def test_numerical_gradient_of_a_known_function(seed):
    loss, arrays, exact = cubic_problem(seed)
    before = {k: v.copy() for k, v in arrays.items()}
    for name, array in arrays.items():
        estimate = numerical_gradient(loss, array)
        assert estimate.shape == array.shape
        np.testing.assert_allclose(estimate, exact[name], rtol=1e-7, atol=1e-9)
        np.testing.assert_array_equal(array, before[name])   # restored bit for bit


@few
@given(seed=st.integers(0, 2**32 - 1))
def test_the_lesson_and_the_robust_path_agree_on_a_smooth_function(seed):
    """numerical_gradient (the idea, divided by 2 eps) and check_gradients' central
    differences (divided by the step actually taken) evaluate L at the same two points,
    so they differ only by the rounding of x +- eps: ulp(x) / eps, about 1e-11 here."""
    loss, arrays, exact = cubic_problem(seed)
    for array in arrays.values():
        robust, _, _ = central_differences(loss, array, 1e-5, np.arange(array.size))
        np.testing.assert_allclose(numerical_gradient(loss, array), robust.reshape(array.shape),
                                   rtol=1e-9, atol=0)


def test_numerical_gradient_at_chosen_indices():
    loss, arrays, exact = cubic_problem(0)
    x = arrays["x"]
    flat = [7, 0, 5]
    estimate = numerical_gradient(loss, x, indices=flat)
    assert estimate.shape == (3,)
    np.testing.assert_allclose(estimate, exact["x"].ravel()[flat], rtol=1e-7)


def test_numerical_gradient_of_a_non_contiguous_view():
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]                        # (3, 2), strided: must be perturbed in place

    def loss():
        return np.sum(base ** 2)

    np.testing.assert_allclose(numerical_gradient(loss, view), 2 * view, rtol=1e-8, atol=1e-6)


def test_array_is_restored_when_loss_fn_raises():
    x = np.ones(3)
    calls = []

    def loss():
        calls.append(x.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(np.sum(x))

    with pytest.raises(RuntimeError):
        numerical_gradient(loss, x)
    np.testing.assert_array_equal(x, np.ones(3))


# ---- the relative error ----

@few
@given(a=st.floats(-1e308, 1e308), n=st.floats(-1e308, 1e308), floor=st.floats(1e-300, 1e300))
def test_relative_error_is_symmetric_bounded_and_never_overflows(a, n, floor):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        rel = relative_error(np.array([a]), np.array([n]), floor)[0]
    assert rel == relative_error(np.array([n]), np.array([a]), floor)[0]
    assert 0 <= rel <= 2 and (a != n or rel == 0)


def test_relative_error_is_relative_above_the_floor_and_absolute_below():
    a = np.array([100.0, 1e-6, 1.0])
    n = np.array([101.0, 2e-6, -1.0])
    np.testing.assert_allclose(relative_error(a, n), [1 / 101, 1e-6 / 1e-2, 2.0])
    np.testing.assert_allclose(relative_error(a, n, floor=1e-9), [1 / 101, 0.5, 2.0])
    assert np.isnan(relative_error(np.array([1.0]), np.array([np.nan]))[0])   # no estimate: fails


# ---- deliberately broken backward passes must fail ----

def lstm_problem(seed=0, T=4, B=2, I=3, N=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, I))
    h0, c0 = 0.5 * rng.normal(size=(B, N)), rng.normal(size=(B, N))
    W, H, b = rng.normal(size=(I, 4 * N)), rng.normal(size=(N, 4 * N)), rng.normal(size=4 * N)
    wh, wc = rng.normal(size=(T, B, N)), rng.normal(size=(B, N))

    def loss():
        h, c, _ = lstm.lstm_forward(x, h0, c0, W, H, b)
        return np.sum(wh * h) + np.sum(wc * c[-1])

    def analytic():
        _, c, cache = lstm.lstm_forward(x, h0, c0, W, H, b)
        dc = np.zeros_like(c)                  # (T, B, N)
        dc[-1] = wc
        names = ("x", "h0", "c0", "W", "H", "b")
        return dict(zip(names, lstm.lstm_backward(wh, dc, cache)))

    return loss, dict(x=x, h0=h0, c0=c0, W=W, H=H, b=b), analytic


def test_lstm_without_the_cell_state_path_fails(monkeypatch):
    loss, arrays, analytic = lstm_problem()
    assert check_gradients(loss, arrays, analytic()).passed()
    step_backward = lstm.lstm_step_backward

    def forgets_dc_prev(dh, dc, cache):        # drop the gradient from c_t to c_(t-1)
        dx, dh_prev, dc_prev, dW, dH, db = step_backward(dh, dc, cache)
        return dx, dh_prev, np.zeros_like(dc_prev), dW, dH, db

    monkeypatch.setattr(lstm, "lstm_step_backward", forgets_dc_prev)
    report = check_gradients(loss, arrays, analytic())
    assert not report.passed()
    assert {row.name for row in report.rows if row.max_rel_error > 1e-3} >= {"c0", "W", "H"}


def test_gru_without_the_direct_state_path_fails(monkeypatch):
    rng = np.random.default_rng(1)
    T, B, I, N = 3, 2, 2, 3
    x, h0 = rng.normal(size=(T, B, I)), rng.normal(size=(B, N))
    W, H = rng.normal(size=(I, 3 * N)), rng.normal(size=(N, 3 * N))
    b, b_hn, wh = rng.normal(size=3 * N), rng.normal(size=N), rng.normal(size=(T, B, N))
    arrays = dict(x=x, h0=h0, W=W, H=H, b=b, b_hn=b_hn)

    def loss():
        return np.sum(wh * gru.gru_forward(x, h0, W, H, b, b_hn)[0])

    def analytic():
        _, cache = gru.gru_forward(x, h0, W, H, b, b_hn)
        return dict(zip(arrays, gru.gru_backward(wh, cache)))

    assert check_gradients(loss, arrays, analytic()).passed()
    step_backward = gru.gru_step_backward

    def forgets_z_path(dh, cache):             # drop the dh * z term of dh_prev
        dx, dh_prev, dW, dH, db, db_hn = step_backward(dh, cache)
        return dx, dh_prev - dh * cache.z, dW, dH, db, db_hn

    monkeypatch.setattr(gru, "gru_step_backward", forgets_z_path)
    assert not check_gradients(loss, arrays, analytic()).passed()


def test_rnn_with_a_slightly_wrong_bias_gradient_fails(monkeypatch):
    rng = np.random.default_rng(2)
    x, s0 = rng.normal(size=(3, 2, 2)), rng.normal(size=(2, 3))
    W, H, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    ws = rng.normal(size=(3, 2, 3))
    arrays = dict(x=x, s0=s0, W=W, H=H, b=b)

    def loss():
        return np.sum(ws * rnn.rnn_forward(x, s0, W, H, b)[0])

    def analytic():
        return dict(zip(arrays, rnn.rnn_backward(ws, rnn.rnn_forward(x, s0, W, H, b)[1])))

    assert check_gradients(loss, arrays, analytic()).passed()
    step_backward = rnn.rnn_step_backward

    def db_off_by_1e5(ds, cache):              # a relative error of 1e-5 in db only
        dx, ds_prev, dW, dH, db = step_backward(ds, cache)
        return dx, ds_prev, dW, dH, db * (1 + 1e-5)

    monkeypatch.setattr(rnn, "rnn_step_backward", db_off_by_1e5)
    report = check_gradients(loss, arrays, analytic())
    assert [row.name for row in report.rows if row.max_rel_error > 1e-7] == ["b"]
