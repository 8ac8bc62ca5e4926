"""Losses: softmax cross-entropy and mean squared error: gradient, stability, mask, torch parity, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn import softmax_cross_entropy
from minirnn.losses import mean_squared_error
from minirnn.gradcheck import check_gradients


@settings(max_examples=20, deadline=None)
@given(T=st.integers(1, 4), B=st.integers(1, 3), V=st.integers(2, 6), seed=st.integers(0, 999), masked=st.booleans())
def test_gradient_matches_finite_differences(T, B, V, seed, masked):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, B, V)) * 3
    targets = rng.integers(0, V, (T, B))
    mask = None
    if masked:
        mask = rng.random((T, B)) < 0.6
        mask.flat[0] = True
    _, dlogits = softmax_cross_entropy(logits, targets, mask)
    report = check_gradients(lambda: softmax_cross_entropy(logits, targets, mask)[0],
                             {"logits": logits}, {"logits": dlogits})
    assert report.passed(), report


def test_huge_logits_stay_finite():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    loss, d = softmax_cross_entropy(logits, np.array([1]))
    assert np.isclose(loss, 2000.0) and np.all(np.isfinite(d))


def test_masked_positions_count_for_nothing():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 2, 5))
    targets = rng.integers(0, 5, (4, 2))
    mask = np.ones((4, 2), bool)
    mask[2:, 1] = False
    loss, d = softmax_cross_entropy(logits, targets, mask)
    assert np.all(d[2:, 1] == 0)
    loss_kept, _ = softmax_cross_entropy(logits[mask][None], targets[mask][None])
    assert np.isclose(loss, loss_kept, rtol=1e-14)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 3, 7))
    targets = rng.integers(0, 7, (6, 3))
    lt = torch.tensor(logits, requires_grad=True)
    lt_loss = torch.nn.functional.cross_entropy(lt.reshape(-1, 7), torch.from_numpy(targets).reshape(-1))
    lt_loss.backward()
    loss, d = softmax_cross_entropy(logits, targets)
    assert abs(loss - lt_loss.item()) < 1e-14
    assert np.abs(d - lt.grad.numpy()).max() < 1e-15


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(targets=np.array([[0, 3]])), ValueError, r"targets must hold ids in \[0, 3\), got 3"),
    (dict(targets=np.array([0, 1])), ValueError, r"targets must have shape \(1, 2\) .*got \(2,\)"),
    (dict(targets=np.array([[0, 1]]), mask=np.zeros((1, 2))), ValueError, "mask selects no position"),
    (dict(targets=np.array([[0, 1]]), mask=np.ones(3)), ValueError, r"mask must have shape \(1, 2\), got \(3,\)"),
])
def test_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        softmax_cross_entropy(np.zeros((1, 2, 3)), **kwargs)


def test_nan_logits_are_refused():
    logits = np.zeros((1, 2, 3))
    logits[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match="logits holds a non-finite value"):
        softmax_cross_entropy(logits, np.array([[0, 1]]))


@pytest.mark.parametrize("bad", [np.nan, 2.0, -1.0])
def test_mask_must_be_zero_or_one(bad):
    with pytest.raises(ValueError, match="mask must hold only 0/1 or True/False, got"):
        softmax_cross_entropy(np.zeros((1, 2, 3)), np.array([[0, 1]]), np.array([[1.0, bad]]))


def test_float32_cross_entropy_is_summed_without_losing_digits():
    """2^25 positions of the same loss: a float32 running sum would stall at 2^24 of them."""
    logits = np.zeros((2 ** 25, 2), np.float32)
    loss, _ = softmax_cross_entropy(logits, np.zeros(2 ** 25, np.int64))
    assert loss == pytest.approx(np.log(2), rel=1e-6)


# ---- mean squared error ------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 999))
def test_mse_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    prediction, target = rng.standard_normal(shape), rng.standard_normal(shape)
    _, d = mean_squared_error(prediction, target)
    report = check_gradients(lambda: mean_squared_error(prediction, target)[0],
                             {"prediction": prediction}, {"prediction": d})
    assert report.passed(), report


def test_mse_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    prediction, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    pt = torch.tensor(prediction, requires_grad=True)
    pt_loss = torch.nn.functional.mse_loss(pt, torch.from_numpy(target))
    pt_loss.backward()
    loss, d = mean_squared_error(prediction, target)
    assert abs(loss - pt_loss.item()) < 1e-15
    assert np.abs(d - pt.grad.numpy()).max() < 1e-16


def test_mse_of_huge_float32_errors_does_not_overflow():
    """(1e20)^2 = 1e40 overflows float32 (max 3.4e38); the sum is taken in float64."""
    prediction = np.array([1e20, 0.0], np.float32)
    loss, d = mean_squared_error(prediction, np.zeros(2, np.float32))
    assert loss == pytest.approx(5e39, rel=1e-6)
    assert d.dtype == np.float32 and np.isfinite(d).all() and d[0] == pytest.approx(1e20, rel=1e-6)


@pytest.mark.parametrize("prediction, target, error, message", [
    (np.zeros(3), np.zeros(2), ValueError, r"target must have shape \(3,\), got \(2,\)"),
    (np.zeros(3), np.zeros(3, np.float32), TypeError, "target must have dtype float64"),
    (np.zeros(3, np.int64), np.zeros(3), TypeError, "prediction must be a float array"),
    (np.zeros(0), np.zeros(0), ValueError, "prediction must hold at least one entry"),
    (np.array([0.0, np.nan]), np.zeros(2), ValueError, r"prediction holds a non-finite value \(nan\) at index \(1,\)"),
])
def test_mse_bad_input(prediction, target, error, message):
    with pytest.raises(error, match=message):
        mean_squared_error(prediction, target)
