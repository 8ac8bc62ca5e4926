"""The simple recurrent cell over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.rnn.rnn_forward`` / ``rnn_backward``: same signatures, same
numbers (to rounding), read them side by side. The math is the lesson's

    S_t = sigma(X_t W + S_(t-1) H + b)

One difference in layout, not in math: the states are stored with T+1 rows, row 0 the
initial state, so ``states[t]`` is S_(t-1), the state step t starts from, and
``states[t + 1]`` is S_t, the state it ends with (the reference's s[t]).

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, tanh
from minirnn.kernels.step_product import rows_times, transposed


class RNNKernelCache(NamedTuple):
    """What rnn_backward needs from rnn_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    states: np.ndarray   # (T+1, B, N)  s0, then the state after every step
    W: np.ndarray        # (I, N)
    H: np.ndarray        # (N, N)
    H_T: np.ndarray      # (N, N)       H.T for rows_times (minirnn/kernels/step_product.py)
    relu: bool           # False: tanh

    def gate_values(self):
        """The simple cell has no gates: an empty dict (as RNNCache.gate_values)."""
        return {}


@njit(**JIT_OPTIONS)
def _forward_loop(xw, states, H, H_T, b, relu):
    """The recurrence (rnn_step_forward for t = 0 .. T-1). xw (T, B, N) holds x W;
    fills states[1:] (T, B, N)."""
    T, B, N = xw.shape
    zero = xw.dtype.type(0)                     # 0 in the arrays' type: a bare 0.0 would turn float32 into float64
    sH = np.empty((B, N), dtype=xw.dtype)       # (B, N) the recurrent product of one step
    sH_T = np.empty((N, B), dtype=xw.dtype)     # (N, B) scratch for rows_times
    for t in range(T):
        rows_times(states[t], H, H_T, sH, sH_T)   # sH = s_prev @ H   (states[t] is S_(t-1))
        for k in range(B):
            xw_k, sH_k, s_new = xw[t, k], sH[k], states[t + 1, k]   # (N,) views
            for j in range(N):
                a = xw_k[j] + sH_k[j] + b[j]   # x W + s_prev H + b: the pre-activation
                if relu:
                    s_new[j] = zero if a < 0 else a    # relu (NaN stays NaN, as in np.maximum)
                else:
                    s_new[j] = tanh(a)


@njit(**JIT_OPTIONS)
def _backward_loop(ds, states, H, H_T, relu, da):
    """Backpropagation through time (rnn_step_backward for t = T-1 .. 0): fills
    da (T, B, N) = dL/d(pre-activation), returns ds0."""
    T, B, N = ds.shape
    one, zero = ds.dtype.type(1), ds.dtype.type(0)   # in the arrays' type: a bare 1 would turn float32 into float64
    ds_next = np.zeros((B, N), dtype=ds.dtype)    # (B, N) gradient flowing back from step t+1
    ds_next_T = np.empty((N, B), dtype=ds.dtype)  # (N, B) scratch for rows_times
    for t in range(T - 1, -1, -1):
        for k in range(B):
            ds_k, ds_next_k, s, da_k = ds[t, k], ds_next[k], states[t + 1, k], da[t, k]   # s: S_t
            for j in range(N):
                # the state at step t feeds both the output and the next step: add both gradients
                ds_ = ds_k[j] + ds_next_k[j]
                if relu:
                    da_k[j] = ds_ * (one if s[j] > 0 else zero)   # backprop through relu: slope 1 where active
                else:
                    da_k[j] = ds_ * (one - s[j] * s[j])   # backprop through tanh: tanh' = 1 - tanh^2
        rows_times(da[t], H_T, H, ds_next, ds_next_T)   # ds_prev = da @ H.T
    return ds_next


def rnn_forward(x, s0, W, H, b, nonlinearity="tanh"):
    """Run the cell over a whole sequence (mirrors minirnn.cells.rnn.rnn_forward).

    x (T, B, I), s0 (B, N)  ->  s (T, B, N) every step's state, cache
    """
    x, s0 = np.ascontiguousarray(x), np.ascontiguousarray(s0)
    T, B, I = x.shape
    N = H.shape[0]
    xw = (x.reshape(T * B, I) @ W).reshape(T, B, N)   # (T, B, N) x W for every step at once
    states = np.empty((T + 1, B, N), dtype=x.dtype)   # (T+1, B, N) s0, then S_t after each step t
    states[0] = s0
    relu = nonlinearity == "relu"
    H = np.ascontiguousarray(H)                # (N, N)
    H_T = transposed(H, B, T)                  # (N, N)
    _forward_loop(xw, states, H, H_T, b, relu)
    return states[1:], RNNKernelCache(x, states, W, H, H_T, relu)


def rnn_backward(ds, cache):
    """Backpropagation through time (mirrors minirnn.cells.rnn.rnn_backward).

    ds (T, B, N) is the gradient reaching each step's state from outside the recurrence.
    Returns dx (T, B, I), ds0 (B, N), dW (I, N), dH (N, N), db (N,).
    """
    x, states, W, H, H_T, relu = cache
    ds = np.ascontiguousarray(ds)
    T, B, I = x.shape
    N = H.shape[0]
    da = np.empty((T, B, N), dtype=ds.dtype)   # (T, B, N) gradient on every step's pre-activation
    ds0 = _backward_loop(ds, states, H, H_T, relu, da)
    # the weights are shared by every step: sum each step's share with one product over all steps
    da = da.reshape(T * B, N)                  # (T*B, N)
    dx = (da @ W.T).reshape(T, B, I)           # (T, B, I)  a = x W + ...
    dW = x.reshape(T * B, I).T @ da            # (I, N)
    dH = states[:-1].reshape(T * B, N).T @ da  # (N, N)   a = ... + s_prev H + ...   (states[:-1]: S_(t-1) of every step)
    db = da.sum(axis=0)                        # (N,)     b is added to every row
    return dx, ds0, dW, dH, db
