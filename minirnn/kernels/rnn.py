"""The simple recurrent cell over a whole sequence, jitted with Numba.

Mirrors ``minirnn.cells.rnn.rnn_forward`` / ``rnn_backward``: same signatures, same
numbers (to rounding), read them side by side. The math is the lesson's

    S_t = sigma(X_t W + S_(t-1) H + b)

Where the work is done and why (each choice measured): minirnn/kernels/__init__.py.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS, tanh


class RNNKernelCache(NamedTuple):
    """What rnn_backward needs from rnn_forward."""
    x: np.ndarray        # (T, B, I)    inputs
    states: np.ndarray   # (T+1, B, N)  s0, then the state after every step
    W: np.ndarray        # (I, N)
    H: np.ndarray        # (N, N)
    relu: bool           # False: tanh

    def gate_values(self):
        """The simple cell has no gates: an empty dict (as RNNCache.gate_values)."""
        return {}


@njit(**JIT_OPTIONS)
def _forward_loop(a, states, H, relu):
    """The recurrence. a (T, B, N) holds x W + b; fills states[1:] (T, B, N)."""
    T, B, N = a.shape
    sH = np.empty((B, N), dtype=a.dtype)       # (B, N) recurrent product of one step
    for t in range(T):
        np.dot(states[t], H, sH)               # s_prev @ H
        for k in range(B):
            for j in range(N):
                a_ = a[t, k, j] + sH[k, j]     # x W + s_prev H + b: the pre-activation
                if relu:
                    states[t + 1, k, j] = 0.0 if a_ < 0 else a_   # relu (NaN stays NaN, as in np.maximum)
                else:
                    states[t + 1, k, j] = tanh(a_)


@njit(**JIT_OPTIONS)
def _backward_loop(ds, states, H_T, relu, da):
    """Backpropagation through time: fills da (T, B, N) = dL/d(pre-activation), returns ds0."""
    T, B, N = ds.shape
    ds_next = np.zeros((B, N), dtype=ds.dtype)  # (B, N) gradient flowing back from step t+1
    for t in range(T - 1, -1, -1):
        for k in range(B):
            for j in range(N):
                # the state at step t feeds both the output and the next step: add both gradients
                ds_ = ds[t, k, j] + ds_next[k, j]
                s = states[t + 1, k, j]
                if relu:
                    da[t, k, j] = ds_ * (s > 0)          # backprop through relu: slope 1 where active
                else:
                    da[t, k, j] = ds_ * (1 - s * s)    # backprop through tanh: tanh' = 1 - tanh^2
        np.dot(da[t], H_T, ds_next)            # ds_prev = da @ H.T
    return ds_next


def rnn_forward(x, s0, W, H, b, nonlinearity="tanh"):
    """Run the cell over a whole sequence (mirrors minirnn.cells.rnn.rnn_forward).

    x (T, B, I), s0 (B, N)  ->  s (T, B, N) every step's state, cache
    """
    x, s0, W, H, b = (np.ascontiguousarray(v) for v in (x, s0, W, H, b))
    T, B, I = x.shape
    N = H.shape[0]
    a = (x.reshape(T * B, I) @ W).reshape(T, B, N) + b   # (T, B, N) x W + b for every step at once
    states = np.empty((T + 1, B, N), dtype=x.dtype)      # (T+1, B, N)
    states[0] = s0
    relu = nonlinearity == "relu"
    _forward_loop(a, states, H, relu)
    return states[1:], RNNKernelCache(x, states, W, H, relu)


def rnn_backward(ds, cache):
    """Backpropagation through time (mirrors minirnn.cells.rnn.rnn_backward).

    ds (T, B, N) is the gradient reaching each step's state from outside the recurrence.
    Returns dx (T, B, I), ds0 (B, N), dW (I, N), dH (N, N), db (N,).
    """
    x, states, W, H, relu = cache
    ds = np.ascontiguousarray(ds)
    T, B, I = x.shape
    N = H.shape[0]
    da = np.empty((T, B, N), dtype=ds.dtype)   # (T, B, N) gradient on every step's pre-activation
    # H.T copied into its own C-ordered array: BLAS multiplies by it 1.0-1.5x faster per step
    # than by the transposed view (measured, OpenBLAS, B=32..64, N=128..512)
    H_T = np.ascontiguousarray(H.T)          # (N, N)
    ds0 = _backward_loop(ds, states, H_T, relu, da)
    # the weights are shared by every step: sum each step's share with one product over all steps
    da = da.reshape(T * B, N)                  # (T*B, N)
    dx = (da @ W.T).reshape(T, B, I)           # (T, B, I)  a = x W + ...
    dW = x.reshape(T * B, I).T @ da            # (I, N)
    dH = states[:-1].reshape(T * B, N).T @ da  # (N, N)   a = ... + s_prev H + ...
    db = da.sum(axis=0)                        # (N,)     b is added to every row
    return dx, ds0, dW, dH, db
