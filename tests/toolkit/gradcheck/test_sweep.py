"""minirnn.toolkit.gradcheck.sweep: the error of the central difference against eps."""
import numpy as np

import minirnn
from minirnn.toolkit.gradcheck.sweep import sweep_eps


def test_the_eps_sweep_measures_a_v_in_both_dtypes_and_leaves_the_layer_alone():
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
