"""minirnn/toolkit/norms.py: where squares leave the dtype's range, total_norm falls back to the
scaled norm, which is the true norm (to rounding) however large or small the entries are."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.clip import clip_grad_norm, total_norm
from minirnn.toolkit import norms

SETTINGS = settings(max_examples=25, deadline=None)


# -- the rule: when the plain sum is not trusted -----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_plain_sum_is_trusted_between_the_floor_and_inf(dtype):
    grads = {"g": np.ones(3, dtype)}
    floor = float(np.finfo(dtype).tiny / np.finfo(dtype).eps)
    assert not norms.needs_scaling(3.0, grads) and not norms.needs_scaling(floor, grads)
    assert not norms.needs_scaling(math.nan, grads)            # a NaN entry: NaN either way
    assert norms.needs_scaling(math.inf, grads)                # a square or the sum overflowed
    assert norms.needs_scaling(floor / 2, grads)               # squares may have underflowed
    assert norms.needs_scaling(0.0, grads)                     # all underflowed, or all zero: 0 below
    assert norms.scaled_norm({"g": np.zeros(3, dtype)}, 2.0) == 0.0


def test_mixed_dtypes_take_the_narrower_floor():
    grads = {"a": np.ones(1, np.float64), "b": np.ones(1, np.float32)}
    assert norms.needs_scaling(5e-32, grads) and not norms.needs_scaling(2e-31, grads)   # float32: 9.9e-32


def test_overflowing_norm_of_finite_entries_is_explained():
    """Only a norm beyond the largest float64 is refused: 1e308 * sqrt(3) = 1.7e308 is not."""
    grads = {"small": np.ones(3), "huge": np.full(3, 1.5e308)}
    with pytest.raises(FloatingPointError, match="overflowed.*exceeds the largest float64.*'huge'"):
        clip_grad_norm(grads, 1.0)


# -- norms whose squares overflow or underflow: the true norm, the gradients clipped ---------------

def test_a_float32_gradient_whose_square_overflows_is_clipped_not_refused():
    """The issue's input: 2e19 squared is 4e38, beyond float32's 3.4e38."""
    grads = {"g": np.array([2e19], np.float32)}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(2e19, rel=1e-7)
    assert grads["g"].dtype == np.float32
    assert total_norm(grads) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e30), (np.float32, 1e-30), (np.float32, 1e-42),
                                          (np.float64, 1e250), (np.float64, 1e-250), (np.float64, 1e-310)])
def test_norm_is_exact_however_large_or_small_the_entries(dtype, scale):
    """[3, 4] * scale has norm 5 * scale, whichever power of ten, in either dtype."""
    grads = {"a": np.array([3.0 * scale], dtype), "b": np.array([0.0, 4.0 * scale], dtype)}
    x, y = float(grads["a"][0]), float(grads["b"][1])          # the values as stored
    exact = float(np.hypot(x, y))
    assert total_norm(grads) == pytest.approx(exact, rel=1e-6)
    assert total_norm(grads, 3.0) == pytest.approx(y * ((x / y) ** 3 + 1) ** (1 / 3), rel=1e-6)
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(exact, rel=1e-6)
    if exact > 1:                                # clipped to norm 1, still finite and in its dtype
        assert total_norm(grads) == pytest.approx(1.0, rel=1e-5)
    assert all(g.dtype == dtype and np.isfinite(g).all() for g in grads.values())


@SETTINGS
@given(exponent=st.integers(-40, 37), seed=st.integers(0, 99))
def test_float32_norm_agrees_with_a_float64_computation(exponent, seed):
    rng = np.random.default_rng(seed)
    g = (rng.standard_normal(50) * 10.0 ** exponent).astype(np.float32)
    expected = float(np.linalg.norm(g.astype(np.float64)))
    assert total_norm({"g": g}) == pytest.approx(expected, rel=1e-5, abs=1e-45)
