"""Embedding, Linear and OneHot: gradients by finite differences, torch parity, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minirnn
from minirnn.gradcheck import check_gradients
from minirnn.layers import OneHot


@settings(max_examples=15, deadline=None)
@given(T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 5), O=st.integers(1, 5), seed=st.integers(0, 999))
def test_linear_gradients(T, B, I, O, seed):
    layer = minirnn.Linear(I, O, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, I))
    dy = rng.standard_normal((T, B, O))
    loss = lambda: np.sum(layer.forward(x) * dy)
    loss()
    dx = layer.backward(dy)
    report = check_gradients(loss, {"x": x, **layer.params}, {"x": dx, **layer.grads})
    assert report.passed(), report


@settings(max_examples=15, deadline=None)
@given(V=st.integers(2, 6), D=st.integers(1, 4), T=st.integers(1, 5), B=st.integers(1, 3), seed=st.integers(0, 999))
def test_embedding_gradients_sum_repeated_ids(V, D, T, B, seed):
    layer = minirnn.Embedding(V, D, seed=seed)
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, (T, B))                  # with repeats: their gradients must add
    dy = rng.standard_normal((T, B, D))
    loss = lambda: np.sum(layer.forward(ids) * dy)
    loss()
    assert layer.backward(dy) is None
    report = check_gradients(loss, layer.params, layer.grads)
    assert report.passed(), report


def test_embedding_padding_row_stays_zero_and_learns_nothing():
    layer = minirnn.Embedding(5, 3, padding_idx=0)
    assert np.all(layer.params["E"][0] == 0)
    layer.forward(np.array([[0, 1], [0, 2]]))
    layer.backward(np.ones((2, 2, 3)))
    assert np.all(layer.grads["E"][0] == 0) and np.all(layer.grads["E"][1] == 1)


def test_one_hot_is_an_identity_lookup():
    ids = np.array([[2, 0], [1, 2]])
    y = OneHot(3).forward(ids)
    np.testing.assert_array_equal(y.argmax(-1), ids)
    assert y.sum() == ids.size


def test_linear_and_embedding_match_torch():
    torch = pytest.importorskip("torch")
    lin = minirnn.Linear(4, 3, seed=1)
    t_lin = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        t_lin.weight.copy_(torch.from_numpy(lin.params["W"].T))
        t_lin.bias.copy_(torch.from_numpy(lin.params["b"]))
    x = np.random.default_rng(0).standard_normal((5, 2, 4))
    xt = torch.tensor(x, requires_grad=True)
    y = lin.forward(x)
    yt = t_lin(xt)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    (yt * torch.from_numpy(dy)).sum().backward()
    dx = lin.backward(dy)
    assert np.abs(y - yt.detach().numpy()).max() < 1e-14
    assert np.abs(dx - xt.grad.numpy()).max() < 1e-14
    assert np.abs(lin.grads["W"].T - t_lin.weight.grad.numpy()).max() < 1e-13
    assert np.abs(lin.grads["b"] - t_lin.bias.grad.numpy()).max() < 1e-13


@pytest.mark.parametrize("ids, error, message", [
    (np.array([[0.0, 1.0]]), TypeError, "ids must hold integer ids of shape \\(T, B\\), got dtype float64"),
    (np.array([[0, -1]]), ValueError, r"ids must hold ids in \[0, 5\), got -1"),
    (np.array([[0, 5]]), ValueError, r"ids must hold ids in \[0, 5\), got 5"),
    ([[0, 1]], TypeError, "ids must be a numpy array of integer ids, got list"),
])
def test_embedding_bad_ids(ids, error, message):
    with pytest.raises(error, match=message):
        minirnn.Embedding(5, 2).forward(ids)


def test_linear_bad_input():
    layer = minirnn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(\?, \?, 4\), got \(2, 3, 5\)"):
        layer.forward(np.zeros((2, 3, 5)))
    with pytest.raises(RuntimeError, match="Linear.backward called before forward"):
        layer.backward(np.zeros((2, 3, 3)))
    layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 3\), got \(2, 3\)"):
        layer.backward(np.zeros((2, 3)))


@pytest.mark.parametrize("padding_idx", [1.5, "a", True, 5, -1])
def test_embedding_bad_padding_idx(padding_idx):
    with pytest.raises(ValueError, match=r"padding_idx must be None or an int in \[0, 5\)"):
        minirnn.Embedding(5, 2, padding_idx=padding_idx)


@settings(max_examples=30, deadline=None)
@given(V=st.integers(1, 40), T=st.integers(0, 12), B=st.integers(1, 6), seed=st.integers(0, 999),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_embedding_is_one_hot_times_E(V, T, B, seed, dtype):
    """forward is onehot(ids) @ E, backward onehot(ids).T @ dy: repeats and empty batches included."""
    rng = np.random.default_rng(seed)
    layer = minirnn.Embedding(V, 5, dtype=dtype)
    ids = rng.integers(0, V, (T, B))
    onehot = np.eye(V, dtype=dtype)[ids.ravel()]                       # (T*B, V)
    y = layer.forward(ids)
    np.testing.assert_array_equal(y.reshape(-1, 5), onehot @ layer.params["E"])
    dy = rng.standard_normal((T, B, 5)).astype(dtype)
    layer.backward(dy)
    assert layer.grads["E"].dtype == dtype
    np.testing.assert_allclose(layer.grads["E"], onehot.T @ dy.reshape(-1, 5),
                               rtol=0, atol=8 * np.finfo(dtype).eps * max(T * B, 1))


@pytest.mark.parametrize("shape", [(7,), (3, 7), (4, 3, 7), (2, 4, 3, 7)])
def test_linear_applies_to_any_leading_shape(shape):
    rng = np.random.default_rng(0)
    layer = minirnn.Linear(7, 5)
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    np.testing.assert_allclose(y, x @ layer.params["W"] + layer.params["b"], rtol=1e-14)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dy @ layer.params["W"].T, rtol=1e-14)
    np.testing.assert_allclose(layer.grads["W"], x.reshape(-1, 7).T @ dy.reshape(-1, 5), rtol=1e-14)


def test_embedding_backward_before_forward_and_bad_dy():
    layer = minirnn.Embedding(5, 2)
    with pytest.raises(RuntimeError, match="Embedding.backward called before forward"):
        layer.backward(np.zeros((1, 1, 2)))
    layer.forward(np.array([[0, 1]]))
    with pytest.raises(ValueError, match=r"dy must have shape \(1, 2, 2\), got \(1, 2\)"):
        layer.backward(np.zeros((1, 2)))


@pytest.mark.parametrize("make, error, match", [
    (lambda: minirnn.Embedding(0, 2), ValueError, "num_embeddings must be a positive integer, got 0"),
    (lambda: minirnn.Embedding(5, 2, dtype=np.int64), TypeError, "dtype must be np.float32 or np.float64"),
    (lambda: minirnn.Linear(3, True), ValueError, "out_features must be a positive integer, got True"),
    (lambda: OneHot(2.5), ValueError, "num_classes must be a positive integer, got 2.5"),
])
def test_constructors_refuse_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_sizes_given_as_numpy_integers_are_kept_as_python_ints():
    layer = minirnn.Linear(np.int64(3), np.int64(2))
    assert type(layer.in_features) is int and type(layer.out_features) is int


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_zeroes_a_share_p_and_keeps_the_expected_value(dtype):
    from minirnn.layers import dropout_backward, dropout_forward
    x = np.full((200, 500), 2.0, dtype)
    out, mask = dropout_forward(x, 0.3, np.random.default_rng(0))
    assert out.dtype == mask.dtype == dtype
    assert set(np.unique(mask)) == {0, dtype(1) / dtype(0.7)}          # zeroed, or scaled by 1/(1-p)
    assert abs((mask == 0).mean() - 0.3) < 0.01                         # 100,000 draws: sd 0.0015
    assert abs(out.mean() - 2.0) < 0.02                                 # the expected value is kept
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), mask), mask)   # d(x * mask)/dx
