"""The simple (vanilla, Elman) recurrent cell, in the lesson's notation.

    S_t = sigma(X_t W + S_(t-1) H + b)

The lesson writes W X_i with W (emb x hid): with row vectors, one row per sequence in the
batch, that product is X_t W, and we write t for the step where the lesson writes i. The
state S is called h everywhere else in minirnn, as in PyTorch (the layers' state_names
("h",), Recurrent.trace()); this file keeps the lesson's S, as s.

    X_t    (B, I)   the input at step t
    S_t    (B, N)   the state after step t (also the cell's output)
    W      (I, N)   input-to-state weights
    H      (N, N)   state-to-state weights, shared by every step
    b      (N,)     bias
    sigma           tanh (the default) or relu

Four functions, each forward paired with its backward, which takes the gradient on
the forward's outputs and returns the gradients on its inputs and parameters:

    rnn_step_forward / rnn_step_backward   one step
    rnn_forward      / rnn_backward        a whole sequence (backpropagation through time)

Why the gradient vanishes: each step of rnn_backward multiplies the gradient flowing back
by sigma'(a) and by H^T (ds_prev = (ds * (1 - s^2)) @ H.T for tanh). Reaching k steps back,
it has been through k such factors: a product that shrinks exponentially in k when they
are small (tanh' <= 1, and H's singular values below 1) and explodes when they are large.
examples/02_vanishing_gradients.py measures it; the LSTM's cell state (cells/lstm.py) is
the cure.

This file is the reference: the Numba kernel in ``minirnn/kernels/rnn.py`` computes
the same numbers faster and is tested against it.
"""
from typing import NamedTuple

import numpy as np


class RNNStepCache(NamedTuple):
    """What the backward pass of one step needs from its forward pass."""
    x: np.ndarray        # (B, I)  input
    s_prev: np.ndarray   # (B, N)  previous state
    s: np.ndarray        # (B, N)  new state, sigma(a)
    W: np.ndarray        # (I, N)
    H: np.ndarray        # (N, N)
    nonlinearity: str    # "tanh" or "relu"


def rnn_step_forward(x, s_prev, W, H, b, nonlinearity="tanh"):
    """One step: s = sigma(x W + s_prev H + b).

    x (B, I), s_prev (B, N), W (I, N), H (N, N), b (N,)  ->  s (B, N), cache
    """
    a = x @ W + s_prev @ H + b                 # (B, N) pre-activation
    if nonlinearity == "tanh":
        s = np.tanh(a)
    elif nonlinearity == "relu":
        s = np.maximum(a, 0)
    else:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return s, RNNStepCache(x, s_prev, s, W, H, nonlinearity)


def rnn_step_backward(ds, cache):
    """Backpropagate through one step: given ds = dL/ds (B, N), return (dx, ds_prev, dW, dH, db).

    dx (B, I), ds_prev (B, N), dW (I, N), dH (N, N), db (N,)
    """
    x, s_prev, s, W, H, nonlinearity = cache
    if nonlinearity == "tanh":
        da = ds * (1 - s * s)                  # backprop through tanh: tanh' = 1 - tanh^2
    else:                                      # relu, the only other one step_forward accepts
        da = ds * (s > 0)                      # backprop through relu: slope 1 where active
    dx = da @ W.T                              # (B, I)  a = x W + ...
    ds_prev = da @ H.T                         # (B, N)  a = ... + s_prev H + ...
    dW = x.T @ da                              # (I, N)
    dH = s_prev.T @ da                         # (N, N)
    db = da.sum(axis=0)                        # (N,)    b is added to every row
    return dx, ds_prev, dW, dH, db


class RNNCache(NamedTuple):
    """One step cache per time step."""
    steps: list

    def gate_values(self):
        """The simple cell has no gates: an empty dict (see LSTMCache.gate_values)."""
        return {}


def rnn_forward(x, s0, W, H, b, nonlinearity="tanh"):
    """Run the cell over a whole sequence, carrying the state from step to step.

    x (T, B, I), s0 (B, N) the initial state  ->  s (T, B, N) every step's state, cache
    s[t] is the state after step t; the final state is s[-1].
    """
    T, B = x.shape[:2]
    s = np.empty((T, B, H.shape[0]), dtype=x.dtype)   # (T, B, N)
    steps = []
    s_prev = s0
    for t in range(T):
        s[t], step_cache = rnn_step_forward(x[t], s_prev, W, H, b, nonlinearity)
        steps.append(step_cache)
        s_prev = s[t]                          # the state carries over to the next step
    return s, RNNCache(steps)


def rnn_backward(ds, cache):
    """Backpropagation through time.

    ds (T, B, N) is the gradient reaching each step's state from outside the recurrence:
    from the outputs, plus, at each sequence's own last step, any gradient on the final
    state (the layer puts it there: minirnn/recurrent.py).
    Returns dx (T, B, I), ds0 (B, N), dW, dH, db (summed over every step: the weights
    are shared, so each step adds its share).
    """
    steps = cache.steps
    s0, W, H = steps[0].s_prev, steps[0].W, steps[0].H   # step 0 started from the initial state s0
    T, (B, I) = len(steps), steps[0].x.shape
    dx = np.empty((T, B, I), dtype=ds.dtype)   # (T, B, I)
    dW, dH, db = np.zeros_like(W), np.zeros_like(H), np.zeros(H.shape[0], ds.dtype)
    ds_next = np.zeros_like(s0)                # (B, N) gradient flowing back from step t+1
    for t in reversed(range(T)):
        # the state at step t feeds both the output and the next step: add both gradients
        dx[t], ds_next, dW_t, dH_t, db_t = rnn_step_backward(ds[t] + ds_next, steps[t])
        dW += dW_t
        dH += dH_t
        db += db_t
    # after step 0, what flows back "from the next step" is the gradient on s0 itself
    ds0 = ds_next
    return dx, ds0, dW, dH, db
