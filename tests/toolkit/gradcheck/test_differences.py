"""minirnn.toolkit.gradcheck.differences: the robust central difference of check_gradients."""
import warnings

import numpy as np
import pytest

from minirnn.gradcheck import numerical_gradient
from minirnn.toolkit.gradcheck.compare import check_gradients
from minirnn.toolkit.gradcheck.differences import central_differences, sample_entries


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


def test_it_divides_by_the_step_actually_taken():
    """x + 1e-5 and x - 1e-5 at x = 1e5 are rounded to float64 (its spacing there is
    1.5e-11), and the step taken is 2.0000007e-5: dividing by 2 eps, as the lesson's
    numerical_gradient does, is off by 3.4e-7 for L = x; dividing by the step taken is
    exact, since the losses are the rounded entries themselves."""
    x = np.array([1e5])

    def loss():
        return x[0]

    n, loss_up, loss_down = central_differences(loss, x, 1e-5, np.arange(1))
    assert n.tolist() == [1.0]
    assert loss_up[0] == 1e5 + 1e-5 and loss_down[0] == 1e5 - 1e-5 and x[0] == 1e5
    np.testing.assert_allclose(numerical_gradient(loss, x), [1 + 3.385e-7], rtol=1e-10)


def test_a_lost_step_raises_or_gives_nan():
    x = np.array([1.0, 1e6])
    n, _, _ = central_differences(lambda: float(np.sum(x ** 2)), x, 1e-12, np.arange(2), step_lost="nan")
    assert np.isfinite(n[0]) and np.isnan(n[1])
    with pytest.raises(ValueError, match=r"too small to change entry \(1,\)"):
        central_differences(lambda: float(np.sum(x ** 2)), x, 1e-12, np.arange(2))


def test_sample_entries_are_distinct_sorted_and_reproducible():
    assert sample_entries(5, None, None).tolist() == [0, 1, 2, 3, 4]
    assert sample_entries(5, 5, None).tolist() == [0, 1, 2, 3, 4]
    flat = sample_entries(100, 7, np.random.default_rng(3))
    assert len(set(flat.tolist())) == 7 and flat.tolist() == sorted(flat.tolist())
    assert flat.tolist() == sample_entries(100, 7, np.random.default_rng(3)).tolist()
