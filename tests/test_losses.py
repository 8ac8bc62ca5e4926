"""Softmax cross-entropy: gradient, stability, mask, torch parity, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn import softmax_cross_entropy
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
