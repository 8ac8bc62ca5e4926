"""The GRU over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.gru.gru_forward`` / ``gru_backward``: same signatures, same
numbers (to rounding); the jitted loops follow ``gru_step_forward`` and
``gru_step_backward`` line for line, with the same comments, one element at a time.

    r = sigmoid(X_t W_r + h_(t-1) H_r + b_r)
    z = sigmoid(X_t W_z + h_(t-1) H_z + b_z)
    n = tanh(X_t W_n + b_n + r * (h_(t-1) H_n + b_hn))
    h_t = (1 - z) * n + z * h_(t-1)

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py;
why the element loops are split as they are: _forward_loop's docstring.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, sigmoid, tanh


class GRUKernelCache(NamedTuple):
    """What gru_backward needs from gru_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    h: np.ndarray        # (T+1, B, N)  h0, then the state after every step
    gates: np.ndarray    # (T, B, 3N)   r, z after their sigmoids; the last N columns hold x W_n + b_n
    n: np.ndarray        # (T, B, N)    candidate states
    hn: np.ndarray       # (T, B, N)    h_prev H_n + b_hn, the part the reset gate multiplies
    W: np.ndarray        # (I, 3N)
    H: np.ndarray        # (N, 3N)

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"r", "z", "n"} -> (T, B, N) views
        (as GRUCache.gate_values)."""
        r, z, _ = np.split(self.gates, 3, axis=2)
        return {"r": r, "z": z, "n": self.n}


@njit(**JIT_OPTIONS)
def _forward_loop(gates, h, n, hn, H, b_hn):
    """The recurrence. gates (T, B, 3N) holds x W + b on entry, r and z in its first 2N
    columns on return; fills h[1:], n and hn.

    The element work of a step is split in simple loops over one row (one sequence of
    the batch), each starting at 0, because that is what LLVM vectorises: measured on
    B=32, N=128, T=50, one fused loop 6.5 ms, these loops 0.9 ms.
    """
    T, B, N3 = gates.shape
    N = N3 // 3
    ah = np.empty((B, N3), dtype=gates.dtype)  # (B, 3N) the previous state's share of one step
    for t in range(T):
        np.dot(h[t], H, ah)                    # ah = h_prev @ H
        for k in range(B):
            ax, ah_k = gates[t, k], ah[k]      # (3N,) this row's x W + b (becomes r, z) and h_prev H
            h_prev, h_new, n_k, hn_k = h[t, k], h[t + 1, k], n[t, k], hn[t, k]   # (N,) each
            for j in range(2 * N):
                ax[j] = sigmoid(ax[j] + ah_k[j])         # r, z
            for j in range(N):
                hn_k[j] = ah_k[2 * N + j] + b_hn[j]
            for j in range(N):
                n_k[j] = tanh(ax[2 * N + j] + ax[j] * hn_k[j])   # the reset gate masks the state's share
            for j in range(N):
                z = ax[N + j]
                h_new[j] = (1 - z) * n_k[j] + z * h_prev[j]      # z = 1 keeps the old state


@njit(**JIT_OPTIONS)
def _backward_loop(dh, h, gates, n, hn, H_T, dax, dah):
    """Backpropagation through time: fills dax (T, B, 3N), the gradient on x W + b, and
    dah (T, B, 3N), the gradient on h_prev H; returns dh0."""
    T, B, N = dh.shape
    dh_next = np.zeros((B, N), dtype=dh.dtype)  # (B, N) gradient flowing back from step t+1
    dh_prev = np.empty((B, N), dtype=dh.dtype)  # (B, N) the part of it that goes via the gates
    for t in range(T - 1, -1, -1):
        for k in range(B):
            a, dax_k, dah_k = gates[t, k], dax[t, k], dah[t, k]   # (3N,) r, z and the gradients
            dh_k, dh_next_k, h_prev, n_k, hn_k = dh[t, k], dh_next[k], h[t, k], n[t, k], hn[t, k]  # (N,)
            for j in range(N):
                # the state at step t feeds both the output and the next step: add both gradients
                dh_ = dh_k[j] + dh_next_k[j]
                r, z, n_ = a[j], a[N + j], n_k[j]
                dn = dh_ * (1 - z)             # h = (1 - z) n + z h_prev
                dz = dh_ * (h_prev[j] - n_)
                da_n = dn * (1 - n_ * n_)      # backprop through tanh: tanh' = 1 - tanh^2
                dr = da_n * hn_k[j]            # n = tanh(ax_n + r * hn)
                dhn = da_n * r
                da_r = dr * r * (1 - r)        # sigmoid' = sigmoid (1 - sigmoid)
                da_z = dz * z * (1 - z)
                dax_k[j] = da_r                # gradient on x W + b
                dax_k[N + j] = da_z
                dax_k[2 * N + j] = da_n
                dah_k[j] = da_r                # gradient on h_prev H
                dah_k[N + j] = da_z
                dah_k[2 * N + j] = dhn
                dh_next_k[j] = dh_ * z         # straight through z ...
        np.dot(dah[t], H_T, dh_prev)           # ... and via the gates: dah @ H.T
        dh_next += dh_prev
    return dh_next


def gru_forward(x, h0, W, H, b, b_hn):
    """Run the cell over a whole sequence (mirrors minirnn.cells.gru.gru_forward).

    x (T, B, I), h0 (B, N)  ->  h (T, B, N) every step's state, cache
    """
    x, h0, W, H, b, b_hn = (np.ascontiguousarray(v) for v in (x, h0, W, H, b, b_hn))
    T, B, I = x.shape
    N = H.shape[0]
    gates = (x.reshape(T * B, I) @ W).reshape(T, B, 3 * N)   # (T, B, 3N) x W for every step at once
    gates += b
    h = np.empty((T + 1, B, N), dtype=x.dtype)   # (T+1, B, N)
    n = np.empty((T, B, N), dtype=x.dtype)       # (T, B, N)
    hn = np.empty((T, B, N), dtype=x.dtype)      # (T, B, N)
    h[0] = h0
    _forward_loop(gates, h, n, hn, H, b_hn)
    return h[1:], GRUKernelCache(x, h, gates, n, hn, W, H)


def gru_backward(dh, cache):
    """Backpropagation through time (mirrors minirnn.cells.gru.gru_backward).

    dh (T, B, N) is the gradient reaching each step's state from outside the recurrence.
    Returns dx (T, B, I), dh0 (B, N), dW (I, 3N), dH (N, 3N), db (3N,), db_hn (N,).
    """
    x, h, gates, n, hn, W, H = cache
    T, B, I = x.shape
    N = H.shape[0]
    dh = np.ascontiguousarray(dh)
    dax = np.empty((T, B, 3 * N), dtype=dh.dtype)   # (T, B, 3N) gradient on x W + b
    dah = np.empty((T, B, 3 * N), dtype=dh.dtype)   # (T, B, 3N) gradient on h_prev H
    # H.T copied into its own C-ordered array: BLAS multiplies by it 1.0-1.5x faster per step
    # than by the transposed view (measured, OpenBLAS, B=32..64, N=128..512)
    H_T = np.ascontiguousarray(H.T)          # (3N, N)
    dh0 = _backward_loop(dh, h, gates, n, hn, H_T, dax, dah)
    # the weights are shared by every step: sum each step's share with one product over all steps
    dax = dax.reshape(T * B, 3 * N)            # (T*B, 3N)
    dah = dah.reshape(T * B, 3 * N)            # (T*B, 3N)
    dx = (dax @ W.T).reshape(T, B, I)          # (T, B, I)
    dW = x.reshape(T * B, I).T @ dax           # (I, 3N)
    dH = h[:-1].reshape(T * B, N).T @ dah      # (N, 3N)
    db = dax.sum(axis=0)                       # (3N,)  b is added to every row
    db_hn = dah[:, 2 * N:].sum(axis=0)         # (N,)
    return dx, dh0, dW, dH, db, db_hn
