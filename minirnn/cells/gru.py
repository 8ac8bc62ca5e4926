"""The GRU cell (gated recurrent unit), as PyTorch computes it.

The GRU keeps a single state h, like the simple cell, but updates it through two
sigmoid gates (outputs in [0, 1], used as masks):

    r_t = sigmoid(X_t W_r + h_(t-1) H_r + b_r)                     reset gate
    z_t = sigmoid(X_t W_z + h_(t-1) H_z + b_z)                     update gate
    n_t =    tanh(X_t W_n + b_n + r_t * (h_(t-1) H_n + b_hn))      candidate state
    h_t = (1 - z_t) * n_t + z_t * h_(t-1)

The reset gate decides how much of the previous state the candidate may look at
(r = 0: the candidate is computed from the input alone). The update gate decides,
entry by entry, whether to keep the old state (z = 1) or take the candidate (z = 0).
Where z stays near 1 the state, and the gradient, pass through a step almost
untouched: that is the GRU's defence against vanishing gradients.

Row vectors throughout: one row per sequence in the batch. The three blocks are
stacked on the last axis in PyTorch's order r, z, n:

    X_t    (B, I)    the input at step t
    h_t    (B, N)    the state after step t (also the cell's output)
    W      (I, 3N)   input-to-gates weights  [W_r | W_z | W_n]
    H      (N, 3N)   state-to-gates weights  [H_r | H_z | H_n], shared by every step
    b      (3N,)     biases                  [b_r | b_z | b_n]
    b_hn   (N,)      the bias added to h_(t-1) H_n, inside the reset product

Four functions, each forward paired with its backward, which takes the gradient on
the forward's outputs and returns the gradients on its inputs and parameters:

    gru_step_forward / gru_step_backward   one step
    gru_forward      / gru_backward        a whole sequence (backpropagation through time)

This file is the reference: the Numba kernel in ``minirnn/kernels/gru.py`` computes
the same numbers faster and is tested against it. At the end of the file: why b_hn
stands apart, and how this GRU differs from the original one (Cho et al. 2014).
"""
from typing import NamedTuple

import numpy as np

from minirnn.cells.activations import sigmoid


class GRUStepCache(NamedTuple):
    """What the backward pass of one step needs from its forward pass."""
    x: np.ndarray        # (B, I)  input
    h_prev: np.ndarray   # (B, N)  previous state
    r: np.ndarray        # (B, N)  reset gate
    z: np.ndarray        # (B, N)  update gate
    n: np.ndarray        # (B, N)  candidate state
    hn: np.ndarray       # (B, N)  h_prev H_n + b_hn, the part the reset gate multiplies
    W: np.ndarray        # (I, 3N)
    H: np.ndarray        # (N, 3N)


def gru_step_forward(x, h_prev, W, H, b, b_hn):
    """One step: the gates from (x, h_prev), the candidate, then the mix of old and new.

    x (B, I), h_prev (B, N), W (I, 3N), H (N, 3N), b (3N,), b_hn (N,)  ->  h (B, N), cache
    """
    ax = x @ W + b                             # (B, 3N) the input's share of every gate
    ah = h_prev @ H                            # (B, 3N) the previous state's share
    ax_r, ax_z, ax_n = np.split(ax, 3, axis=1)    # three (B, N) views, order r, z, n
    ah_r, ah_z, ah_n = np.split(ah, 3, axis=1)
    r = sigmoid(ax_r + ah_r)
    z = sigmoid(ax_z + ah_z)
    hn = ah_n + b_hn                           # (B, N)
    n = np.tanh(ax_n + r * hn)                 # the reset gate masks the state's share
    h = (1 - z) * n + z * h_prev               # (B, N) z = 1 keeps the old state
    return h, GRUStepCache(x, h_prev, r, z, n, hn, W, H)


def gru_step_backward(dh, cache):
    """Backpropagate through one step.

    Given dh = dL/dh (B, N), return dx (B, I), dh_prev (B, N), dW (I, 3N), dH (N, 3N),
    db (3N,), db_hn (N,).
    """
    x, h_prev, r, z, n, hn, W, H = cache
    dn = dh * (1 - z)                          # h = (1 - z) n + z h_prev
    dz = dh * (h_prev - n)
    da_n = dn * (1 - n * n)                    # backprop through tanh: tanh' = 1 - tanh^2
    dr = da_n * hn                             # n = tanh(ax_n + r * hn)
    dhn = da_n * r
    da_r = dr * r * (1 - r)                    # sigmoid' = sigmoid (1 - sigmoid)
    da_z = dz * z * (1 - z)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)   # (B, 3N) gradient on x W + b
    dah = np.concatenate([da_r, da_z, dhn], axis=1)    # (B, 3N) gradient on h_prev H
    dx = dax @ W.T                             # (B, I)
    dh_prev = dh * z + dah @ H.T               # (B, N) straight through z, and via the gates
    dW = x.T @ dax                             # (I, 3N)
    dH = h_prev.T @ dah                        # (N, 3N)
    db = dax.sum(axis=0)                       # (3N,)  b is added to every row
    db_hn = dhn.sum(axis=0)                    # (N,)
    return dx, dh_prev, dW, dH, db, db_hn


class GRUCache(NamedTuple):
    """One step cache per time step."""
    steps: list

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"r", "z", "n"} -> (T, B, N)."""
        return {name: np.stack([getattr(step, name) for step in self.steps]) for name in "rzn"}


def gru_forward(x, h0, W, H, b, b_hn):
    """Run the cell over a whole sequence, carrying the state from step to step.

    x (T, B, I), h0 (B, N) the initial state  ->  h (T, B, N) every step's state, cache
    The final state is h[-1].
    """
    T, B = x.shape[:2]
    h = np.empty((T, B, H.shape[0]), dtype=x.dtype)   # (T, B, N)
    steps = []
    h_prev = h0
    for t in range(T):
        h[t], step_cache = gru_step_forward(x[t], h_prev, W, H, b, b_hn)
        steps.append(step_cache)
        h_prev = h[t]                          # the state carries over to the next step
    return h, GRUCache(steps)


def gru_backward(dh, cache):
    """Backpropagation through time.

    dh (T, B, N) is the gradient reaching each step's state from outside the recurrence:
    from the outputs, plus, at whichever step the caller puts it, the gradient on the
    final state.
    Returns dx (T, B, I), dh0 (B, N), dW, dH, db, db_hn (summed over every step: the
    weights are shared, so each step adds its share).
    """
    steps = cache.steps
    h0, W, H = steps[0].h_prev, steps[0].W, steps[0].H   # step 0 started from the initial state h0
    T, (B, I), N = len(steps), steps[0].x.shape, H.shape[0]
    dx = np.empty((T, B, I), dtype=dh.dtype)   # (T, B, I)
    dW, dH = np.zeros_like(W), np.zeros_like(H)
    db, db_hn = np.zeros(3 * N, dh.dtype), np.zeros(N, dh.dtype)
    dh_next = np.zeros_like(h0)                # (B, N) gradient flowing back from step t+1
    for t in reversed(range(T)):
        # the state at step t feeds both the output and the next step: add both gradients
        dx[t], dh_next, dW_t, dH_t, db_t, db_hn_t = gru_step_backward(dh[t] + dh_next, steps[t])
        dW += dW_t
        dH += dH_t
        db += db_t
        db_hn += db_hn_t
    # after step 0, what flows back "from the next step" is the gradient on h0 itself
    dh0 = dh_next
    return dx, dh0, dW, dH, db, db_hn


# ---- why b_hn, and how this GRU differs from the original ----------------------------------
#
# PyTorch gives every gate two biases, bias_ih and bias_hh. For r and z they are simply
# added, so b_r and b_z are their sums; b_n is bias_ih's n part. bias_hh's n part cannot
# be merged into b_n because the reset gate multiplies it, so it stays separate as b_hn.
#
# The original GRU (Cho et al. 2014, "Learning Phrase Representations using RNN
# Encoder-Decoder for Statistical Machine Translation", eqs. 5-8, written there without
# biases and with column vectors; here in row vectors) resets the state before the product:
#
#     n_t = tanh(X_t W_n + (r_t * h_(t-1)) H_n)        Cho: reset the state, then multiply
#     n_t = tanh(X_t W_n + r_t * (h_(t-1) H_n))        PyTorch: multiply, then reset
#
# The reset gate masks h_(t-1) before the product in Cho et al., after it in PyTorch
# (and cuDNN, whose layout PyTorch follows; Keras calls this `reset_after=True`). The
# two are different functions with different gradients; minirnn follows PyTorch so its
# weights load into torch.nn.GRU unchanged. The final mix is the same in both:
# Cho et al. write h_t = z_t * h_(t-1) + (1 - z_t) * n_t, so z = 1 keeps the old state
# there too. (Some later papers, e.g. Chung et al. 2014, swap the roles and write
# h_t = (1 - z_t) * h_(t-1) + z_t * n_t; when reading one, check which way round z is.)
