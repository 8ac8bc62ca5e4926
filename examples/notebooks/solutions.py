"""Solutions to the notebooks' exercises. Try first: each check says what is wrong and where.

    notebook 01   rnn_step_backward, lstm_step_backward   minirnn's own, in minirnn/cells/
    notebook 02   windows, sample_with_temperature
    notebook 03   numerical_gradient, ResetBeforeGRU (the original GRU: a cell of your own)

Each is what its check (minirnn/toolkit/exercises.py) passes, e.g.
    from minirnn.toolkit import exercises as check
    check.sample_with_temperature(sample_with_temperature)
"""
from typing import NamedTuple

import numpy as np

from minirnn.cells.activations import sigmoid
# The step backward passes of notebook 01 are the library's lesson code: read them in
# minirnn/cells/rnn.py and minirnn/cells/lstm.py, next to their forward passes.
from minirnn.cells.lstm import lstm_step_backward
from minirnn.cells.rnn import rnn_step_backward


def windows(ids, starts, nchars):
    """ids (n,), starts (B,) -> x, y (T, B) with T = nchars: "HELL" -> "ELLO"."""
    x = np.stack([ids[s:s + nchars] for s in starts], axis=1)          # (T, B) one column per window
    y = np.stack([ids[s + 1:s + 1 + nchars] for s in starts], axis=1)  # the next token at every step
    return x, y


def sample_with_temperature(logits, temperature, rng):
    """One token id drawn from softmax(logits / temperature)."""
    z = logits / temperature
    p = np.exp(z - z.max())                    # subtract the max: exp cannot overflow
    return int(rng.choice(len(p), p=p / p.sum()))


def numerical_gradient(f, x, eps=1e-5):
    """The central difference (f(x + eps) - f(x - eps)) / (2 eps), one entry of x at a time."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old                             # restore: f reads x
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


class ResetBeforeGRUCache(NamedTuple):
    x: np.ndarray        # (B, I)
    h_prev: np.ndarray   # (B, N)
    r: np.ndarray        # (B, N) reset gate
    z: np.ndarray        # (B, N) update gate
    n: np.ndarray        # (B, N) candidate
    W: np.ndarray        # (I, 3N)
    H: np.ndarray        # (N, 3N)


class ResetBeforeGRU:
    """The original GRU (Cho et al. 2014): the reset gate masks h_prev before the product.

        r = sigmoid(x W_r + h_prev H_r + b_r)      z = sigmoid(x W_z + h_prev H_z + b_z)
        n = tanh(x W_n + (r * h_prev) H_n + b_n)   h = (1 - z) * n + z * h_prev
    """
    state_names = ("h",)
    blocks = 3                 # W, H, b stack three N-wide blocks: r, z, n
    gate_names = ("r", "z")

    def step_forward(self, x, states_prev, params):
        (h_prev,) = states_prev
        W, H, b = params["W"], params["H"], params["b"]
        N = h_prev.shape[1]
        a = x @ W + b                                          # (B, 3N) the input's share
        r = sigmoid(a[:, :N] + h_prev @ H[:, :N])
        z = sigmoid(a[:, N:2 * N] + h_prev @ H[:, N:2 * N])
        n = np.tanh(a[:, 2 * N:] + (r * h_prev) @ H[:, 2 * N:])   # reset first, then the product
        h = (1 - z) * n + z * h_prev
        return (h,), ResetBeforeGRUCache(x, h_prev, r, z, n, W, H)

    def step_backward(self, dstates, cache):
        (dh,) = dstates
        x, h_prev, r, z, n, W, H = cache
        N = h_prev.shape[1]
        dn = dh * (1 - z)                                      # h = (1 - z) n + z h_prev
        dz = dh * (h_prev - n)
        da_n = dn * (1 - n * n)                                # tanh' = 1 - tanh^2
        drh = da_n @ H[:, 2 * N:].T                            # gradient on r * h_prev
        da_r = drh * h_prev * r * (1 - r)                      # sigmoid' = r (1 - r)
        da_z = dz * z * (1 - z)
        da = np.concatenate([da_r, da_z, da_n], axis=1)        # (B, 3N) blocks r, z, n
        dx = da @ W.T
        dh_prev = dh * z + drh * r + da_r @ H[:, :N].T + da_z @ H[:, N:2 * N].T
        dW = x.T @ da
        dH = np.concatenate([h_prev.T @ da_r, h_prev.T @ da_z, (r * h_prev).T @ da_n], axis=1)
        return dx, (dh_prev,), {"W": dW, "H": dH, "b": da.sum(axis=0)}
