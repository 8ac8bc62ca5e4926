"""The GRU over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.gru.gru_forward`` / ``gru_backward``: same signatures, same
numbers (to rounding). Inside the time loop, the element loops compute the lines of
``gru_step_forward`` and ``gru_step_backward`` in the same order, with the same names
and comments, one element at a time; what the reference does with one matrix product
per step (x W, and the weight gradients) is done here with one product over all steps.

    r = sigmoid(X_t W_r + h_(t-1) H_r + b_r)
    z = sigmoid(X_t W_z + h_(t-1) H_z + b_z)
    n = tanh(X_t W_n + b_n + r * (h_(t-1) H_n + b_hn))
    h_t = (1 - z) * n + z * h_(t-1)

Two things differ from the reference in layout, not in math:
- ``gates`` (T, B, 3N) holds X_t W on entry to the time loop; on exit its first 2N
  columns hold the gate values r and z (after their sigmoids), the last N still X_t W_n.
- The states are stored with T+1 rows, row 0 the initial state: ``h[t]`` is h_(t-1),
  the state step t starts from (the reference's h[t] is the state step t ends with).

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, sigmoid, tanh
from minirnn.kernels.step_product import rows_times, transposed


class GRUKernelCache(NamedTuple):
    """What gru_backward needs from gru_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    h: np.ndarray        # (T+1, B, N)  h0, then the state after every step
    gates: np.ndarray    # (T, B, 3N)   r, z after their sigmoids; the last N columns hold x W_n
    n: np.ndarray        # (T, B, N)    candidate states
    hn: np.ndarray       # (T, B, N)    h_prev H_n + b_hn, the part the reset gate multiplies
    W: np.ndarray        # (I, 3N)
    H: np.ndarray        # (N, 3N)
    H_T: np.ndarray      # (3N, N)      H.T for rows_times (minirnn/kernels/step_product.py)

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"r", "z", "n"} -> (T, B, N) views
        (as GRUCache.gate_values)."""
        r, z, _ = np.split(self.gates, 3, axis=2)
        return {"r": r, "z": z, "n": self.n}


@njit(**JIT_OPTIONS)
def _forward_loop(gates, h, n, hn, H, H_T, b, b_hn):
    """The recurrence (gru_step_forward for t = 0 .. T-1). gates (T, B, 3N) holds x W on
    entry, r and z in its first 2N columns on return; fills h[1:], n and hn.

    One loop per line of the reference, each over one row's N entries from 0: the loops
    LLVM turns into SIMD code (minirnn/kernels/__init__.py has the figures).
    """
    T, B, N3 = gates.shape
    N = N3 // 3
    one = gates.dtype.type(1)                  # 1 in the arrays' type: a bare 1 would turn float32 into float64
    b_r, b_z, b_n = b[:N], b[N:2 * N], b[2 * N:]
    ah = np.empty((B, N3), dtype=gates.dtype)    # (B, 3N) the previous state's share of one step
    ah_T = np.empty((N3, B), dtype=gates.dtype)  # (3N, B) scratch for rows_times
    for t in range(T):
        rows_times(h[t], H, H_T, ah, ah_T)     # ah = h_prev @ H   (h[t] is h_(t-1): row 0 holds h0)
        for k in range(B):                     # one row (one sequence of the batch) at a time
            # (N,) views: x W of each gate (r and z are written over theirs) and h_prev H
            r, z, ax_n = gates[t, k, :N], gates[t, k, N:2 * N], gates[t, k, 2 * N:]
            ah_r, ah_z, ah_n = ah[k, :N], ah[k, N:2 * N], ah[k, 2 * N:]
            h_prev, h_new, n_k, hn_k = h[t, k], h[t + 1, k], n[t, k], hn[t, k]
            for j in range(N):
                r[j] = sigmoid(r[j] + b_r[j] + ah_r[j])          # ax_r + ah_r, ax = x W + b
            for j in range(N):
                z[j] = sigmoid(z[j] + b_z[j] + ah_z[j])
            for j in range(N):
                hn_k[j] = ah_n[j] + b_hn[j]
            for j in range(N):
                n_k[j] = tanh(ax_n[j] + b_n[j] + r[j] * hn_k[j])   # the reset gate masks the state's share
            for j in range(N):
                h_new[j] = (one - z[j]) * n_k[j] + z[j] * h_prev[j]   # z = 1 keeps the old state


@njit(**JIT_OPTIONS)
def _backward_loop(dh, h, gates, n, hn, H, H_T, dax, dah):
    """Backpropagation through time (gru_step_backward for t = T-1 .. 0): fills
    dax (T, B, 3N), the gradient on x W + b, and dah (T, B, 3N), the gradient on
    h_prev H; returns dh0.

    One loop per row, in the reference's order (measured against two: see
    minirnn/kernels/__init__.py)."""
    T, B, N = dh.shape
    one = dh.dtype.type(1)
    dh_next = np.zeros((B, N), dtype=dh.dtype)    # (B, N) gradient flowing back from step t+1
    dh_via_gates = np.empty((B, N), dtype=dh.dtype)    # (B, N) the part of dh_prev that goes via the gates
    dh_via_gates_T = np.empty((N, B), dtype=dh.dtype)  # (N, B) scratch for rows_times
    for t in range(T - 1, -1, -1):
        for k in range(B):                     # one row (one sequence of the batch) at a time
            r, z = gates[t, k, :N], gates[t, k, N:2 * N]   # (N,) views
            dax_r, dax_z, dax_n = dax[t, k, :N], dax[t, k, N:2 * N], dax[t, k, 2 * N:]
            dah_r, dah_z, dah_n = dah[t, k, :N], dah[t, k, N:2 * N], dah[t, k, 2 * N:]
            dh_k, dh_next_k, h_prev, n_k, hn_k = dh[t, k], dh_next[k], h[t, k], n[t, k], hn[t, k]
            for j in range(N):
                # the state at step t feeds both the output and the next step: add both gradients
                dh_ = dh_k[j] + dh_next_k[j]
                dn = dh_ * (one - z[j])        # h = (1 - z) n + z h_prev
                dz = dh_ * (h_prev[j] - n_k[j])
                da_n = dn * (one - n_k[j] * n_k[j])   # backprop through tanh: tanh' = 1 - tanh^2
                dr = da_n * hn_k[j]            # n = tanh(ax_n + r * hn)
                dhn = da_n * r[j]
                da_r = dr * r[j] * (one - r[j])   # sigmoid' = sigmoid (1 - sigmoid)
                da_z = dz * z[j] * (one - z[j])
                dax_r[j], dax_z[j], dax_n[j] = da_r, da_z, da_n   # gradient on x W + b
                dah_r[j], dah_z[j], dah_n[j] = da_r, da_z, dhn    # gradient on h_prev H
                dh_next_k[j] = dh_ * z[j]      # dh_prev: straight through z ...
        rows_times(dah[t], H_T, H, dh_via_gates, dh_via_gates_T)   # ... and via the gates: dah @ H.T
        dh_next += dh_via_gates
    return dh_next


def gru_forward(x, h0, W, H, b, b_hn):
    """Run the cell over a whole sequence (mirrors minirnn.cells.gru.gru_forward).

    x (T, B, I), h0 (B, N)  ->  h (T, B, N) every step's state, cache
    """
    x, h0 = np.ascontiguousarray(x), np.ascontiguousarray(h0)
    T, B, I = x.shape
    N = H.shape[0]
    gates = (x.reshape(T * B, I) @ W).reshape(T, B, 3 * N)   # (T, B, 3N) x W for every step at once
    h = np.empty((T + 1, B, N), dtype=x.dtype)   # (T+1, B, N) h0, then h_t after each step t
    n = np.empty((T, B, N), dtype=x.dtype)       # (T, B, N)
    hn = np.empty((T, B, N), dtype=x.dtype)      # (T, B, N)
    h[0] = h0
    H = np.ascontiguousarray(H)                # (N, 3N)
    H_T = transposed(H, B, T)                  # (3N, N)
    _forward_loop(gates, h, n, hn, H, H_T, b, b_hn)
    return h[1:], GRUKernelCache(x, h, gates, n, hn, W, H, H_T)


def gru_backward(dh, cache):
    """Backpropagation through time (mirrors minirnn.cells.gru.gru_backward).

    dh (T, B, N) is the gradient reaching each step's state from outside the recurrence.
    Returns dx (T, B, I), dh0 (B, N), dW (I, 3N), dH (N, 3N), db (3N,), db_hn (N,).
    """
    x, h, gates, n, hn, W, H, H_T = cache
    T, B, I = x.shape
    N = H.shape[0]
    dh = np.ascontiguousarray(dh)
    dax = np.empty((T, B, 3 * N), dtype=dh.dtype)   # (T, B, 3N) gradient on x W + b
    dah = np.empty((T, B, 3 * N), dtype=dh.dtype)   # (T, B, 3N) gradient on h_prev H
    dh0 = _backward_loop(dh, h, gates, n, hn, H, H_T, dax, dah)
    # the weights are shared by every step: sum each step's share with one product over all steps
    dax = dax.reshape(T * B, 3 * N)            # (T*B, 3N)
    dah = dah.reshape(T * B, 3 * N)            # (T*B, 3N)
    dx = (dax @ W.T).reshape(T, B, I)          # (T, B, I)
    dW = x.reshape(T * B, I).T @ dax           # (I, 3N)
    dH = h[:-1].reshape(T * B, N).T @ dah      # (N, 3N)   (h[:-1]: every step's h_prev, h0 first)
    db = dax.sum(axis=0)                       # (3N,)  b is added to every row
    db_hn = dah[:, 2 * N:].sum(axis=0)         # (N,)
    return dx, dh0, dW, dH, db, db_hn
