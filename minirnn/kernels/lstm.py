"""The LSTM over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.lstm.lstm_forward`` / ``lstm_backward``: same signatures, same
numbers (to rounding). Inside the time loop, the element loops compute the lines of
``lstm_step_forward`` and ``lstm_step_backward`` in the same order, with the same names
and comments, one element at a time; what the reference does with one matrix product
per step (x W, and the weight gradients) is done here with one product over all steps.

    i, f, o = sigmoid(.), g = tanh(.)  of  a = X_t W + h_(t-1) H + b   (gates i, f, g, o)
    C_t = f * C_(t-1) + i * g
    h_t = o * tanh(C_t)

Two things differ from the reference in layout, not in math:
- ``gates`` (T, B, 4N) holds X_t W on entry to the time loop and the gate values i, f,
  g, o (after their nonlinearities) on exit; the pre-activations a are never stored.
- The states are stored with T+1 rows, row 0 the initial state: ``h[t]`` and ``c[t]``
  are h_(t-1) and C_(t-1), the states step t starts from (the reference's h[t], c[t]
  are the states step t ends with).

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, sigmoid, tanh
from minirnn.kernels.step_product import rows_times, transposed


class LSTMKernelCache(NamedTuple):
    """What lstm_backward needs from lstm_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    h: np.ndarray        # (T+1, B, N)  h0, then the hidden vector after every step
    c: np.ndarray        # (T+1, B, N)  c0, then the cell state after every step
    gates: np.ndarray    # (T, B, 4N)   i, f, g, o after their nonlinearities
    tanh_c: np.ndarray   # (T, B, N)    tanh of every step's new cell state
    W: np.ndarray        # (I, 4N)
    H: np.ndarray        # (N, 4N)
    H_T: np.ndarray      # (4N, N)      H.T for rows_times (minirnn/kernels/step_product.py)

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"i", "f", "g", "o"} -> (T, B, N) views
        (as LSTMCache.gate_values)."""
        return dict(zip("ifgo", np.split(self.gates, 4, axis=2)))


@njit(**JIT_OPTIONS)
def _forward_loop(gates, h, c, tanh_c, H, H_T, b):
    """The recurrence (lstm_step_forward for t = 0 .. T-1). gates (T, B, 4N) holds x W on
    entry, the gate values on return; fills h[1:], c[1:] and tanh_c.

    One loop per gate, each over one row's N entries from 0: the loops LLVM turns into
    SIMD code (minirnn/kernels/__init__.py has the figures).
    """
    T, B, N4 = gates.shape
    N = N4 // 4
    b_i, b_f, b_g, b_o = b[:N], b[N:2 * N], b[2 * N:3 * N], b[3 * N:]
    hH = np.empty((B, N4), dtype=gates.dtype)    # (B, 4N) the recurrent product of one step
    hH_T = np.empty((N4, B), dtype=gates.dtype)  # (4N, B) scratch for rows_times
    for t in range(T):
        rows_times(h[t], H, H_T, hH, hH_T)       # hH = h_prev @ H   (h[t] is h_(t-1): row 0 holds h0)
        for k in range(B):                     # one row (one sequence of the batch) at a time
            # (N,) views: x W and h_prev H of each gate; the gates are written over x W
            i, f, g, o = gates[t, k, :N], gates[t, k, N:2 * N], gates[t, k, 2 * N:3 * N], gates[t, k, 3 * N:]
            hH_i, hH_f, hH_g, hH_o = hH[k, :N], hH[k, N:2 * N], hH[k, 2 * N:3 * N], hH[k, 3 * N:]
            c_prev, c_new = c[t, k], c[t + 1, k]       # C_(t-1) and C_t
            h_new, tanh_c_new = h[t + 1, k], tanh_c[t, k]
            # a = x W + h_prev H + b, then each gate's nonlinearity
            for j in range(N):
                i[j] = sigmoid(i[j] + hH_i[j] + b_i[j])
            for j in range(N):
                f[j] = sigmoid(f[j] + hH_f[j] + b_f[j])
            for j in range(N):
                g[j] = tanh(g[j] + hH_g[j] + b_g[j])
            for j in range(N):
                o[j] = sigmoid(o[j] + hH_o[j] + b_o[j])
            for j in range(N):
                c_new[j] = f[j] * c_prev[j] + i[j] * g[j]    # keep some of the old, add some new
                tanh_c_new[j] = tanh(c_new[j])
                h_new[j] = o[j] * tanh_c_new[j]              # the output gate picks what is shown


@njit(**JIT_OPTIONS)
def _backward_loop(dh, dc, has_dc, c, gates, tanh_c, H, H_T, da):
    """Backpropagation through time (lstm_step_backward for t = T-1 .. 0): fills
    da (T, B, 4N), the gradient on every step's pre-activations a; returns (dh0, dc0).
    dc is read only if has_dc."""
    T, B, N = dh.shape
    one = dh.dtype.type(1)                     # 1 in the arrays' type: a bare 1 would turn float32 into float64
    dh_next = np.zeros((B, N), dtype=dh.dtype)   # (B, N) gradients flowing back from step t+1
    dc_next = np.zeros((B, N), dtype=dh.dtype)   # (B, N)
    dh_next_T = np.empty((N, B), dtype=dh.dtype)  # (N, B) scratch for rows_times
    for t in range(T - 1, -1, -1):
        for k in range(B):                     # one row (one sequence of the batch) at a time
            i, f, g, o = gates[t, k, :N], gates[t, k, N:2 * N], gates[t, k, 2 * N:3 * N], gates[t, k, 3 * N:]
            da_i, da_f, da_g, da_o = da[t, k, :N], da[t, k, N:2 * N], da[t, k, 2 * N:3 * N], da[t, k, 3 * N:]
            c_prev, tanh_c_k = c[t, k], tanh_c[t, k]   # C_(t-1) (row t of c) and tanh(C_t)
            dh_k, dc_k, dh_next_k, dc_next_k = dh[t, k], dc[t, k], dh_next[k], dc_next[k]
            for j in range(N):
                # each state at step t feeds the outside and the next step: add both gradients
                dh_ = dh_k[j] + dh_next_k[j]
                dc_ = dc_k[j] + dc_next_k[j] if has_dc else dc_next_k[j]
                do = dh_ * tanh_c_k[j]                         # h = o * tanh(c)
                dc_total = dc_ + dh_ * o[j] * (one - tanh_c_k[j] * tanh_c_k[j])   # c reaches the loss directly and through h
                di = dc_total * g[j]                           # c = f * c_prev + i * g
                df = dc_total * c_prev[j]
                dg = dc_total * i[j]
                dc_next_k[j] = dc_total * f[j]                 # dc_prev: the gentle path, one product with f
                # back through each gate's nonlinearity
                da_i[j] = di * i[j] * (one - i[j])             # sigmoid' = sigmoid (1 - sigmoid)
                da_f[j] = df * f[j] * (one - f[j])
                da_g[j] = dg * (one - g[j] * g[j])             # tanh' = 1 - tanh^2
                da_o[j] = do * o[j] * (one - o[j])
        rows_times(da[t], H_T, H, dh_next, dh_next_T)   # dh_prev = da @ H.T
    return dh_next, dc_next


def lstm_forward(x, h0, c0, W, H, b):
    """Run the cell over a whole sequence (mirrors minirnn.cells.lstm.lstm_forward).

    x (T, B, I), h0 (B, N), c0 (B, N)
    ->  h (T, B, N) every step's hidden vector, c (T, B, N) every step's cell state, cache
    """
    x, h0, c0 = np.ascontiguousarray(x), np.ascontiguousarray(h0), np.ascontiguousarray(c0)
    T, B, I = x.shape
    N = H.shape[0]
    gates = (x.reshape(T * B, I) @ W).reshape(T, B, 4 * N)   # (T, B, 4N) x W for every step at once
    h = np.empty((T + 1, B, N), dtype=x.dtype)   # (T+1, B, N) h0, then h_t after each step t
    c = np.empty((T + 1, B, N), dtype=x.dtype)   # (T+1, B, N) c0, then C_t after each step t
    tanh_c = np.empty((T, B, N), dtype=x.dtype)  # (T, B, N)
    h[0], c[0] = h0, c0
    H = np.ascontiguousarray(H)                # (N, 4N)
    H_T = transposed(H, B, T)                  # (4N, N)
    _forward_loop(gates, h, c, tanh_c, H, H_T, b)
    return h[1:], c[1:], LSTMKernelCache(x, h, c, gates, tanh_c, W, H, H_T)


def lstm_backward(dh, dc, cache):
    """Backpropagation through time (mirrors minirnn.cells.lstm.lstm_backward).

    dh (T, B, N), dc (T, B, N) or None: the gradients reaching each step's h and c from
    outside the recurrence. Returns dx (T, B, I), dh0 (B, N), dc0 (B, N), dW (I, 4N),
    dH (N, 4N), db (4N,).
    """
    x, h, c, gates, tanh_c, W, H, H_T = cache
    T, B, I = x.shape
    N = H.shape[0]
    dh = np.ascontiguousarray(dh)
    has_dc = dc is not None
    dc = np.ascontiguousarray(dc) if has_dc else dh     # dh stands in, unread, when there is no dc
    da = np.empty((T, B, 4 * N), dtype=dh.dtype)   # (T, B, 4N) gradient on every step's pre-activations
    dh0, dc0 = _backward_loop(dh, dc, has_dc, c, gates, tanh_c, H, H_T, da)
    # the weights are shared by every step: sum each step's share with one product over all steps
    da = da.reshape(T * B, 4 * N)              # (T*B, 4N)
    dx = (da @ W.T).reshape(T, B, I)           # (T, B, I)   a = x W + ...
    dW = x.reshape(T * B, I).T @ da            # (I, 4N)
    dH = h[:-1].reshape(T * B, N).T @ da       # (N, 4N)    a = ... + h_prev H + ...   (h[:-1]: every step's h_prev, h0 first)
    db = da.sum(axis=0)                        # (4N,)      b is added to every row
    return dx, dh0, dc0, dW, dH, db
