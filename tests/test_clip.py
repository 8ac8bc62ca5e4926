"""Gradient clipping: clip_grad_norm against torch.nn.utils.clip_grad_norm_, clip_grad_value
against np.clip, non-finite norms, bad arguments. The torch tests skip without torch."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minirnn.clip import clip_grad_norm, clip_grad_value, total_norm
from minirnn.toolkit.gradients import nonfinite_arrays

SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def finite_floats(dtype):
    """0 and numbers of magnitude in [smallest, 1e3], of either sign.

    Squares of smaller magnitudes underflow, and NumPy and torch lose them differently
    (torch's norm of a single element skips the square), which says nothing about clipping.
    """
    width = np.dtype(dtype).itemsize * 8
    smallest = 1e-100 if width == 64 else 2.0 ** -50
    magnitude = st.floats(smallest, 1e3, width=width)
    return st.one_of(st.just(0.0), magnitude, magnitude.map(lambda x: -x))


def grad_dicts(dtype=np.float64, elements=None, min_side=0):
    """Dicts of 1 to 4 float arrays of any small shape (0-d, and empty unless min_side=1)."""
    if elements is None:
        elements = finite_floats(dtype)
    array = hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=5),
                       elements=elements)
    return st.lists(array, min_size=1, max_size=4).map(
        lambda arrays: {f"layer{k}.W": a for k, a in enumerate(arrays)})


def copy(grads):
    return {name: g.copy() for name, g in grads.items()}


def torch_clip(torch, grads, max_norm, norm_type):
    """torch.nn.utils.clip_grad_norm_ on parameters whose .grad holds copies of grads."""
    params = []
    for g in grads.values():
        p = torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True)
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return norm.item(), [p.grad.numpy() for p in params]


def relative_difference(a, b):
    """max |a - b| / max |b| (0 when both are all zeros)."""
    scale = np.abs(b).max(initial=0)
    return float(np.abs(a - b).max(initial=0) / scale) if scale else float(np.abs(a).max(initial=0))


# -- clip_grad_norm against torch ------------------------------------------------------------------

@SETTINGS
@given(grads=grad_dicts(min_side=1), ratio=st.one_of(st.just(1.0), st.floats(0.01, 10)),
       norm_type=st.sampled_from([2.0, 1.0, 3.0, math.inf]))
def test_clip_grad_norm_matches_torch(torch, grads, ratio, norm_type):
    # (no empty arrays: torch cannot take their inf-norm; minirnn counts them as norm 0)
    # max_norm below, at and above the norm: ratio < 1 clips, ratio > 1 leaves grads as they are
    norm_np = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]), ord=norm_type)
    max_norm = ratio * norm_np if norm_np > 0 else ratio
    original = copy(grads)
    expected_norm, expected_grads = torch_clip(torch, grads, max_norm, norm_type)

    norm = clip_grad_norm(grads, max_norm, norm_type=norm_type)

    assert norm == pytest.approx(expected_norm, rel=1e-13, abs=0)
    for g, expected, before in zip(grads.values(), expected_grads, original.values()):
        assert g.dtype == before.dtype and g.shape == before.shape
        assert relative_difference(g, expected) <= 1e-13
        if max_norm / (norm + 1e-6) >= 1:          # below the threshold: untouched, bit for bit
            np.testing.assert_array_equal(g, before)
            np.testing.assert_array_equal(expected, before)


@SETTINGS
@given(grads=grad_dicts(np.float32), ratio=st.floats(0.01, 10))
def test_clip_grad_norm_float32_matches_torch_and_stays_float32(torch, grads, ratio):
    norm_np = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()])
                                   .astype(np.float64)))
    max_norm = ratio * norm_np if norm_np > 0 else ratio
    expected_norm, expected_grads = torch_clip(torch, grads, max_norm, 2.0)

    norm = clip_grad_norm(grads, max_norm)

    assert norm == pytest.approx(expected_norm, rel=1e-5, abs=0)
    for g, expected in zip(grads.values(), expected_grads):
        assert g.dtype == np.float32
        assert relative_difference(g, expected) <= 1e-5


@SETTINGS
@given(grads=grad_dicts(), ratio=st.floats(0.01, 0.99))
def test_clipped_norm_lands_just_under_max_norm(grads, ratio):
    norm = total_norm(grads)
    if norm == 0:
        return
    returned = clip_grad_norm(grads, ratio * norm)
    assert returned == norm                        # the norm before clipping
    max_norm = ratio * norm
    assert total_norm(grads) <= max_norm * (1 + 1e-12)
    # the 1e-6 in max_norm / (norm + 1e-6) leaves the clipped norm that much short
    assert total_norm(grads) == pytest.approx(max_norm * norm / (norm + 1e-6), rel=1e-12)


@SETTINGS
@given(grads=grad_dicts(), norm_type=st.sampled_from([2.0, 1.0, math.inf]))
def test_total_norm_is_the_norm_of_everything_concatenated(grads, norm_type):
    everything = np.concatenate([g.ravel() for g in grads.values()])
    expected = np.linalg.norm(everything, ord=norm_type) if everything.size else 0.0
    assert total_norm(grads, norm_type) == pytest.approx(expected, rel=1e-13, abs=0)


def test_no_gradients_have_norm_zero():
    assert clip_grad_norm({}, 1.0) == 0.0
    assert total_norm({}) == 0.0


# -- non-finite norms ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_nonfinite_norm_raises_and_names_the_arrays(bad_value):
    grads = {"rnn.W": np.ones((2, 3)), "head.b": np.ones(4), "head.W": np.ones((4, 4))}
    grads["head.b"][1] = bad_value
    grads["head.W"][2, 3] = bad_value
    original = copy(grads)
    with pytest.raises(FloatingPointError) as error:
        clip_grad_norm(grads, 1.0)
    message = str(error.value)
    assert "'head.b'" in message and "'head.W'" in message and "'rnn.W'" not in message
    for name in grads:
        np.testing.assert_array_equal(grads[name], original[name])
    assert nonfinite_arrays(grads) == ["head.b", "head.W"]


def test_nonfinite_norm_without_error_returns_it_and_changes_nothing():
    grads = {"a": np.array([1.0, np.nan]), "b": np.array([3.0, 4.0])}
    original = copy(grads)
    assert math.isnan(clip_grad_norm(grads, 1.0, error_if_nonfinite=False))
    grads_inf = {"a": np.array([1.0, np.inf])}
    assert clip_grad_norm(grads_inf, 1.0, error_if_nonfinite=False) == math.inf
    np.testing.assert_array_equal(grads["a"], original["a"])
    np.testing.assert_array_equal(grads["b"], original["b"])
    np.testing.assert_array_equal(grads_inf["a"], [1.0, np.inf])


# -- clip_grad_value -------------------------------------------------------------------------------

@SETTINGS
@given(grads=grad_dicts(elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan))),
       clip=st.floats(1e-3, 1e3))
def test_clip_grad_value_is_np_clip_in_place(grads, clip):
    arrays = list(grads.values())
    expected = [np.clip(g, -clip, clip) for g in arrays]
    assert clip_grad_value(grads, clip) is None
    for g, same, want in zip(grads.values(), arrays, expected):
        assert g is same                           # changed in place, not replaced
        np.testing.assert_array_equal(g, want)


@SETTINGS
@given(grads=grad_dicts(), clip=st.floats(1e-3, 1e3))
def test_clip_grad_value_matches_torch(torch, grads, clip):
    params = []
    for g in grads.values():
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    torch.nn.utils.clip_grad_value_(params, clip)
    clip_grad_value(grads, clip)
    for g, p in zip(grads.values(), params):
        np.testing.assert_array_equal(g, p.grad.numpy())


def test_clip_grad_value_keeps_float32():
    grads = {"W": np.array([-10.0, 0.5, 10.0], dtype=np.float32)}
    clip_grad_value(grads, 5)
    assert grads["W"].dtype == np.float32
    np.testing.assert_array_equal(grads["W"], np.array([-5.0, 0.5, 5.0], dtype=np.float32))


# -- bad arguments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("function", [clip_grad_norm, clip_grad_value])
@pytest.mark.parametrize("value, error", [(0, ValueError), (-1.0, ValueError), (math.nan, ValueError),
                                          (math.inf, ValueError), ("1", TypeError),
                                          (True, TypeError), (None, TypeError)])
def test_threshold_must_be_positive_and_finite(function, value, error):
    grads = {"W": np.ones(3)}
    with pytest.raises(error, match="positive finite number"):
        function(grads, value)
    np.testing.assert_array_equal(grads["W"], np.ones(3))


@pytest.mark.parametrize("function", [clip_grad_norm, clip_grad_value])
@pytest.mark.parametrize("grads, error, match", [
    ([np.ones(3)], TypeError, "grads must be a dict"),
    ({"W": [1.0, 2.0]}, TypeError, r"grads\['W'\] must be a np.ndarray, got list"),
    ({"W": np.ones(3, dtype=np.int64)}, TypeError, r"grads\['W'\] must hold floats, got dtype int64"),
])
def test_grads_must_be_a_dict_of_float_arrays(function, grads, error, match):
    with pytest.raises(error, match=match):
        function(grads, 1.0)


def test_read_only_grads_are_refused():
    g = np.ones(3)
    g.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        clip_grad_norm({"W": g}, 1.0)


@pytest.mark.parametrize("norm_type, error", [(0, ValueError), (-2.0, ValueError),
                                              ("inf", TypeError), (None, TypeError)])
def test_norm_type_must_be_positive(norm_type, error):
    with pytest.raises(error, match="norm_type"):
        clip_grad_norm({"W": np.ones(3)}, 1.0, norm_type=norm_type)


def test_error_if_nonfinite_must_be_a_bool():
    with pytest.raises(TypeError, match="error_if_nonfinite"):
        clip_grad_norm({"W": np.ones(3)}, 1.0, error_if_nonfinite="yes")
