"""minirnn.toolkit.gradcheck.arguments: the checks at numerical_gradient and check_gradients,
one clear error naming the argument."""
import numpy as np
import pytest

from minirnn.gradcheck import numerical_gradient
from minirnn.toolkit.gradcheck.compare import check_gradients
from tests.test_gradcheck import cubic_problem


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


def test_refuses_an_eps_that_rounds_away_before_calling_the_loss():
    x = np.array([1.0, 1e6])                   # 1e6 + 1e-12 rounds to 1e6 in float64
    calls = []

    def loss():
        calls.append(1)
        return float(np.sum(x))

    with pytest.raises(ValueError, match=r"eps=1e-12 is too small to change entry \(1,\) \(value 1000000.0\)"):
        numerical_gradient(loss, x, eps=1e-12)
    assert calls == [] and x.tolist() == [1.0, 1e6]
    with pytest.raises(ValueError, match="eps: expected a positive finite step, got -0.1"):
        numerical_gradient(loss, x, eps=-0.1)
    with pytest.raises(ValueError, match="eps: expected a positive finite step, got nan"):
        check_gradients(loss, {"x": x}, {"x": np.ones(2)}, eps=float("nan"))
