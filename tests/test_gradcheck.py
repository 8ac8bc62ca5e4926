"""Tests of minirnn.gradcheck: the finite-difference estimates, the report, and above
all that a wrong gradient fails the check."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
import minirnn.cells.gru as gru
import minirnn.cells.lstm as lstm
import minirnn.cells.rnn as rnn
from minirnn.gradcheck import GradcheckReport, check_gradients, numerical_gradient

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


def test_refuses_non_float64_and_bad_losses():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float64"):
        check_gradients(lambda: 0.0, {"w": np.ones(3, dtype=np.float32)}, {"w": np.ones(3)})
    with pytest.raises(TypeError, match="numpy"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    x = np.ones(3)
    with pytest.raises(TypeError, match="scalar"):
        numerical_gradient(lambda: x * 2, x)
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(lambda: float("nan") if x[0] < 1 else 0.0, x)
    np.testing.assert_array_equal(x, np.ones(3))
    readonly = np.ones(3)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(lambda: 0.0, readonly)


def test_refuses_mismatched_arguments():
    loss, arrays, exact = cubic_problem(0)
    with pytest.raises(ValueError, match="same arrays"):
        check_gradients(loss, arrays, {"x": exact["x"]})
    with pytest.raises(ValueError, match=r"analytic\['y'\].*shape"):
        check_gradients(loss, arrays, {"x": exact["x"], "y": exact["y"][:4]})
    with pytest.raises(ValueError, match="non-finite"):
        check_gradients(loss, arrays, {"x": exact["x"], "y": exact["y"] * np.nan})
    with pytest.raises(ValueError, match="max_entries"):
        check_gradients(loss, arrays, exact, max_entries=0)
    with pytest.raises(ValueError, match="indices"):
        numerical_gradient(loss, arrays["x"], indices=[12])


# ---- the check and its report ----

def test_check_passes_a_right_gradient_and_fails_a_wrong_one():
    loss, arrays, exact = cubic_problem(1)
    report = check_gradients(loss, arrays, exact)
    assert report.passed() and report.max_rel_error < 1e-8
    assert [row.name for row in report.rows] == ["x", "y"]
    assert report.rows[0].shape == (3, 4) and report.rows[0].checked == 12

    wrong = {"x": exact["x"] * 2 / 3, "y": exact["y"]}   # d(x^3) taken as 2 x^2
    report = check_gradients(loss, arrays, wrong)
    assert not report.passed()
    bad, good = report.rows
    assert bad.max_rel_error > 0.3 and good.max_rel_error < 1e-8
    # the worst entry is reported with both values, at its index
    np.testing.assert_allclose(bad.numerical, exact["x"][bad.worst_index], rtol=1e-7)
    assert bad.analytic == wrong["x"][bad.worst_index]


def test_a_tiny_error_fails_too():
    loss, arrays, exact = cubic_problem(2)
    nudged = {"x": exact["x"] * (1 + 1e-5), "y": exact["y"]}
    assert not check_gradients(loss, arrays, nudged).passed()
    assert check_gradients(loss, arrays, nudged).passed(rel_tol=1e-4)


def test_the_floor_absorbs_noise_where_the_gradient_is_zero():
    """At x = 0, d(x^3)/dx = 0 but the central difference gives eps^2 (truncation):
    relative to 0 that is a 100% error; relative to the floor it is negligible."""
    x = np.array([0.0, 1.0])

    def loss():
        return np.sum(x ** 3)

    exact = {"x": 3 * x ** 2}
    assert check_gradients(loss, {"x": x}, exact).passed()
    assert not check_gradients(loss, {"x": x}, exact, floor=1e-30, skip_kinks=False).passed()
    # eps^2 is also what the five-point kink test measures there (the third difference
    # of x^3): the failure lies within the estimate's own uncertainty, so it is skipped
    assert check_gradients(loss, {"x": x}, exact, floor=1e-30).rows[0].skipped == ((0,),)


def test_max_entries_samples_distinct_entries_reproducibly():
    calls = []
    x = np.random.default_rng(0).normal(size=(10, 10))
    y = np.ones(3)

    def loss():
        calls.append(1)
        return np.sum(x ** 2) + np.sum(y)

    report = check_gradients(loss, {"x": x, "y": y}, {"x": 2 * x, "y": np.ones(3)},
                             max_entries=7, seed=3)
    assert [row.checked for row in report.rows] == [7, 3]
    assert [row.size for row in report.rows] == [100, 3]
    assert len(calls) == 2 * (7 + 3)           # two evaluations per checked entry
    again = check_gradients(loss, {"x": x, "y": y}, {"x": 2 * x, "y": np.ones(3)},
                            max_entries=7, seed=3)
    assert again.rows == report.rows

    # the sample is what is checked: a wrong gradient at one entry is caught iff sampled
    wrong = 2 * x
    wrong[4, 4] += 1
    seen = [check_gradients(loss, {"x": x}, {"x": wrong}, max_entries=20, seed=s).passed()
            for s in range(20)]
    assert not all(seen) and any(seen)


def test_report_table_is_readable():
    loss, arrays, exact = cubic_problem(0)
    exact["y"] = -exact["y"]
    report = check_gradients(loss, arrays, exact)
    text = str(report)
    lines = text.splitlines()
    assert len(lines) == 2 + len(report.rows) + 1   # title, header, rows, summary
    assert lines[1].split()[:3] == ["array", "shape", "examined"]
    row_lines = lines[2:2 + len(report.rows)]
    assert row_lines[0].startswith("x ") and row_lines[0].endswith("PASS")
    assert row_lines[1].startswith("y ") and row_lines[1].endswith("FAIL")
    assert len({len(line) for line in row_lines}) == 1   # columns aligned
    assert lines[-1].startswith("FAIL") and "y" in lines[-1]
    assert str(GradcheckReport(report.rows[:1])).splitlines()[-1].startswith("PASS")


def test_report_points_at_a_loss_that_reads_a_copy():
    x = np.ones(4)
    frozen = x.copy()
    report = check_gradients(lambda: np.sum(frozen ** 2), {"x": x}, {"x": 2 * x})
    assert not report.passed()
    assert "copies" in str(report)


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


# ---- numbers that cannot overflow (issue 12's first kind, in the checker) ----

@pytest.mark.parametrize("scale", [1e-300, 1e300, 1.5e308])
def test_huge_and_tiny_losses_give_the_right_verdict_without_warnings(scale):
    """The difference L(x + eps) - L(x - eps), the relative error and the kink test's
    third differences are computed so that no intermediate overflows: a 3 L in the kink
    test that overflowed to inf would excuse any wrong gradient as a kink."""
    x = np.array([0.3, -1.1, 2.0])

    def loss():
        return scale * np.sin(x[0]) * 0.2 + scale * 0.2 * np.sum(np.sin(x[1:]))

    exact = {"x": scale * 0.2 * np.cos(x)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right = check_gradients(loss, {"x": x}, exact, floor=scale * 1e-2)
        wrong = check_gradients(loss, {"x": x}, {"x": -exact["x"]}, floor=scale * 1e-2)
    assert right.passed() and right.max_rel_error < 1e-7
    assert not wrong.passed() and wrong.skipped == 0
    np.testing.assert_allclose(wrong.max_rel_error, 2.0)


def test_opposite_huge_gradients_fail_without_an_overflow_warning():
    x = np.array([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_gradients(lambda: 1e308 * x[0], {"x": x}, {"x": np.array([-1e308])})
    assert not report.passed() and report.max_rel_error == pytest.approx(2.0)


def test_a_float32_layer_loss_is_summed_in_float64():
    from minirnn.gradcheck import _LayerProblem
    layer = minirnn.RNN(2, 4, nonlinearity="relu", dtype=np.float32)
    layer.params["W_l0"][...] = 0
    layer.params["H_l0"][...] = 0
    layer.params["b_l0"][...] = 3e38                              # every output near float32's largest
    problem = _LayerProblem(layer, np.zeros((6, 5, 2)), None, None, seed=0)
    problem.dy[...] = 1.0                                         # 120 outputs of 3e38: 3.6e40 in all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = problem.loss()
    y = np.float64(np.float32(3e38))
    np.testing.assert_allclose(total, y * (problem.dy.sum() + problem.dfinals[0].sum()), rtol=1e-12)


# ---- the eps sweep ----

def test_the_eps_sweep_measures_a_v_in_both_dtypes_and_leaves_the_layer_alone():
    from minirnn.gradcheck import sweep_eps
    layer = minirnn.LSTM(2, 3, seed=2)
    before = {k: v.copy() for k, v in layer.params.items()}
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    sweep = sweep_eps(layer, x, seed=1)
    assert all(np.array_equal(before[k], layer.params[k]) for k in before)
    assert list(sweep.errors) == ["float64", "float32"]
    assert list(sweep.errors["float64"]) == ["x", "h0", "c0", "W_l0", "H_l0", "b_l0"]
    eps64, err64 = sweep.minimum("float64")
    eps32, err32 = sweep.minimum("float32")
    assert err64 < 1e-7 and 1e-7 <= eps64 <= 1e-3                 # the bottom, near u^(1/3)
    assert err32 > 100 * err64 and eps32 > 10 * eps64              # float32: higher, to the right
    right, left = sweep.arms("float64")
    assert 1.5 < right < 2.5 and -1.5 < left < -0.5               # eps^2 and u/eps
    assert sweep.lost["float32"][-1] and not sweep.lost["float64"].any()   # 1 + 1e-10 == 1 in float32
    text = str(sweep)
    assert f"minimum {err64:.1e} at eps = {eps64:.0e}" in text and "Why a V" in text
