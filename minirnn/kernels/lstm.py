"""The LSTM over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.lstm.lstm_forward`` / ``lstm_backward``: same signatures, same
numbers (to rounding); the jitted loops follow ``lstm_step_forward`` and
``lstm_step_backward`` line for line, with the same comments, one element at a time.

    i, f, o = sigmoid(.), g = tanh(.)  of  a = X_t W + h_(t-1) H + b   (gates i, f, g, o)
    C_t = f * C_(t-1) + i * g
    h_t = o * tanh(C_t)

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py;
why the element loops are split as they are: _forward_loop's docstring.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, sigmoid, tanh


class LSTMKernelCache(NamedTuple):
    """What lstm_backward needs from lstm_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    h: np.ndarray        # (T+1, B, N)  h0, then the hidden vector after every step
    c: np.ndarray        # (T+1, B, N)  c0, then the cell state after every step
    gates: np.ndarray    # (T, B, 4N)   i, f, g, o after their nonlinearities
    tanh_c: np.ndarray   # (T, B, N)    tanh of every step's cell state
    W: np.ndarray        # (I, 4N)
    H: np.ndarray        # (N, 4N)

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"i", "f", "g", "o"} -> (T, B, N) views
        (as LSTMCache.gate_values)."""
        return dict(zip("ifgo", np.split(self.gates, 4, axis=2)))


@njit(**JIT_OPTIONS)
def _forward_loop(gates, h, c, tanh_c, H):
    """The recurrence. gates (T, B, 4N) holds x W + b on entry, the gate values on return;
    fills h[1:], c[1:] and tanh_c.

    Each step's element work is split in simple loops over one row (one sequence of
    the batch), each starting at 0, because that is what LLVM vectorises (measured on
    the gates of B=32, N=128, T=50): one fused loop that writes the gates back in place
    9 ms, loops over range(2N, 3N) 2.3 ms, loops over range(N) as here 1.4 ms.
    """
    T, B, N4 = gates.shape
    N = N4 // 4
    hH = np.empty((B, N4), dtype=gates.dtype)  # (B, 4N) recurrent product of one step
    for t in range(T):
        np.dot(h[t], H, hH)                    # h_prev @ H
        for k in range(B):
            a = gates[t, k]                    # (4N,) this row's x W + b, becomes i, f, g, o
            hH_k = hH[k]                       # (4N,)
            c_prev, c_new, h_new, tanh_c_new = c[t, k], c[t + 1, k], h[t + 1, k], tanh_c[t, k]   # (N,) each
            # a = x W + h_prev H + b; then each gate's nonlinearity, order i, f, g, o
            for j in range(2 * N):
                a[j] = sigmoid(a[j] + hH_k[j])                   # i, f
            for j in range(N):
                a[2 * N + j] = tanh(a[2 * N + j] + hH_k[2 * N + j])      # g
            for j in range(N):
                a[3 * N + j] = sigmoid(a[3 * N + j] + hH_k[3 * N + j])   # o
            for j in range(N):
                i, f, g, o = a[j], a[N + j], a[2 * N + j], a[3 * N + j]
                c_ = f * c_prev[j] + i * g     # keep some of the old, add some new
                c_new[j] = c_
                tanh_c_new[j] = tanh(c_)
                h_new[j] = o * tanh_c_new[j]   # the output gate picks what is shown


@njit(**JIT_OPTIONS)
def _backward_loop(dh, dc, c, gates, tanh_c, H_T, da):
    """Backpropagation through time: fills da (T, B, 4N) = dL/d(gate pre-activations),
    returns (dh0, dc0). Two loops per row, for the same reason as in _forward_loop."""
    T, B, N = dh.shape
    dh_next = np.zeros((B, N), dtype=dh.dtype)  # (B, N) gradients flowing back from step t+1
    dc_next = np.zeros((B, N), dtype=dh.dtype)  # (B, N)
    for t in range(T - 1, -1, -1):
        for k in range(B):
            a, da_k = gates[t, k], da[t, k]    # (4N,) gate values i, f, g, o and their gradients
            dh_k, dh_next_k, dc_k, dc_next_k = dh[t, k], dh_next[k], dc[t, k], dc_next[k]   # (N,) each
            tanh_c_k, c_prev = tanh_c[t, k], c[t, k]   # (N,)
            for j in range(N):
                # each state at step t feeds the outside and the next step: add both gradients
                dh_ = dh_k[j] + dh_next_k[j]
                o, tanh_c_ = a[3 * N + j], tanh_c_k[j]
                do = dh_ * tanh_c_             # h = o * tanh(c)
                da_k[3 * N + j] = do * o * (1 - o)     # sigmoid' = sigmoid (1 - sigmoid)
                # c reaches the loss directly and through h (dc_next_k now holds this step's dc)
                dc_next_k[j] = dc_k[j] + dc_next_k[j] + dh_ * o * (1 - tanh_c_ * tanh_c_)
            for j in range(N):
                i, f, g = a[j], a[N + j], a[2 * N + j]
                dc_ = dc_next_k[j]
                di = dc_ * g                   # c = f * c_prev + i * g
                df = dc_ * c_prev[j]
                dg = dc_ * i
                da_k[j] = di * i * (1 - i)             # sigmoid' = sigmoid (1 - sigmoid)
                da_k[N + j] = df * f * (1 - f)
                da_k[2 * N + j] = dg * (1 - g * g)     # tanh' = 1 - tanh^2
                dc_next_k[j] = dc_ * f         # the gentle path: one product with f
        np.dot(da[t], H_T, dh_next)            # dh_prev = da @ H.T
    return dh_next, dc_next


def lstm_forward(x, h0, c0, W, H, b):
    """Run the cell over a whole sequence (mirrors minirnn.cells.lstm.lstm_forward).

    x (T, B, I), h0 (B, N), c0 (B, N)
    ->  h (T, B, N) every step's hidden vector, c (T, B, N) every step's cell state, cache
    """
    x, h0, c0, W, H, b = (np.ascontiguousarray(v) for v in (x, h0, c0, W, H, b))
    T, B, I = x.shape
    N = H.shape[0]
    gates = (x.reshape(T * B, I) @ W).reshape(T, B, 4 * N)   # (T, B, 4N) x W for every step at once
    gates += b
    h = np.empty((T + 1, B, N), dtype=x.dtype)  # (T+1, B, N)
    c = np.empty((T + 1, B, N), dtype=x.dtype)  # (T+1, B, N)
    tanh_c = np.empty((T, B, N), dtype=x.dtype)  # (T, B, N)
    h[0], c[0] = h0, c0
    _forward_loop(gates, h, c, tanh_c, H)
    return h[1:], c[1:], LSTMKernelCache(x, h, c, gates, tanh_c, W, H)


def lstm_backward(dh, dc, cache):
    """Backpropagation through time (mirrors minirnn.cells.lstm.lstm_backward).

    dh (T, B, N), dc (T, B, N) or None: the gradients reaching each step's h and c from
    outside the recurrence. Returns dx (T, B, I), dh0 (B, N), dc0 (B, N), dW (I, 4N),
    dH (N, 4N), db (4N,).
    """
    x, h, c, gates, tanh_c, W, H = cache
    T, B, I = x.shape
    N = H.shape[0]
    dh = np.ascontiguousarray(dh)
    dc = np.zeros_like(dh) if dc is None else np.ascontiguousarray(dc)   # (T, B, N)
    da = np.empty((T, B, 4 * N), dtype=dh.dtype)   # (T, B, 4N) gradient on every step's gates
    # H.T copied into its own C-ordered array: BLAS multiplies by it 1.0-1.5x faster per step
    # than by the transposed view (measured, OpenBLAS, B=32..64, N=128..512)
    H_T = np.ascontiguousarray(H.T)          # (4N, N)
    dh0, dc0 = _backward_loop(dh, dc, c, gates, tanh_c, H_T, da)
    # the weights are shared by every step: sum each step's share with one product over all steps
    da = da.reshape(T * B, 4 * N)              # (T*B, 4N)
    dx = (da @ W.T).reshape(T, B, I)           # (T, B, I)   a = x W + ...
    dW = x.reshape(T * B, I).T @ da            # (I, 4N)
    dH = h[:-1].reshape(T * B, N).T @ da       # (N, 4N)    a = ... + h_prev H + ...
    db = da.sum(axis=0)                        # (4N,)      b is added to every row
    return dx, dh0, dc0, dW, dH, db
