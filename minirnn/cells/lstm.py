"""The LSTM cell (long short-term memory), in the lesson's notation.

The LSTM carries two states from step to step: the cell state C, a memory whose
entries behave like flags that are switched on and off ("the subject is plural"),
and the hidden vector h, which is also the cell's output. Three gates decide how C
changes. A gate is a small sigmoid layer: its outputs lie in [0, 1] and act as a mask,
multiplied entry by entry into what it controls.

    i_t = sigmoid(X_t W_i + h_(t-1) H_i + b_i)   input gate:  what new information to add to C
    f_t = sigmoid(X_t W_f + h_(t-1) H_f + b_f)   forget gate: what of C to keep (0 = drop it)
    g_t =    tanh(X_t W_g + h_(t-1) H_g + b_g)   candidate:   the new information itself
    o_t = sigmoid(X_t W_o + h_(t-1) H_o + b_o)   output gate: what of tanh(C) becomes h

    C_t = f_t * C_(t-1) + i_t * g_t              forget some of the old, add some of the new
    h_t = o_t * tanh(C_t)

The lesson calls the hidden vector H; here it is h (c in code for C), because H is always
the state-to-state weight matrix, as in the simple cell.

Row vectors throughout: one row per sequence in the batch. The four blocks are computed
together, one product with W and one with H, stacked on the last axis in PyTorch's
order i, f, g, o:

    X_t    (B, I)    the input at step t
    h_t    (B, N)    the hidden vector after step t (the cell's output)
    C_t    (B, N)    the cell state after step t
    W      (I, 4N)   input-to-gates weights   [W_i | W_f | W_g | W_o]
    H      (N, 4N)   hidden-to-gates weights  [H_i | H_f | H_g | H_o], shared by every step
    b      (4N,)     gate biases              [b_i | b_f | b_g | b_o]

Why it helps against vanishing gradients: the gradient flows from C_t back to C_(t-1)
through a single product with f_t, no squashing nonlinearity and no weight matrix in
between, so while the forget gate stays near 1 the error signal survives many steps.

Four functions, each forward paired with its backward, which takes the gradient on
the forward's outputs and returns the gradients on its inputs and parameters:

    lstm_step_forward / lstm_step_backward   one step
    lstm_forward      / lstm_backward        a whole sequence (backpropagation through time)

This file is the reference: the Numba kernel in ``minirnn/kernels/lstm.py`` computes
the same numbers faster and is tested against it.
"""
from typing import NamedTuple

import numpy as np

from minirnn.cells.activations import sigmoid


class LSTMStepCache(NamedTuple):
    """What the backward pass of one step needs from its forward pass."""
    x: np.ndarray        # (B, I)  input
    h_prev: np.ndarray   # (B, N)  previous hidden vector
    c_prev: np.ndarray   # (B, N)  previous cell state
    i: np.ndarray        # (B, N)  input gate
    f: np.ndarray        # (B, N)  forget gate
    g: np.ndarray        # (B, N)  candidate
    o: np.ndarray        # (B, N)  output gate
    tanh_c: np.ndarray   # (B, N)  tanh of the new cell state
    W: np.ndarray        # (I, 4N)
    H: np.ndarray        # (N, 4N)


def lstm_step_forward(x, h_prev, c_prev, W, H, b):
    """One step: the gates from (x, h_prev), then the new cell state and hidden vector.

    x (B, I), h_prev (B, N), c_prev (B, N), W (I, 4N), H (N, 4N), b (4N,)
    ->  h (B, N), c (B, N), cache
    """
    a = x @ W + h_prev @ H + b                 # (B, 4N) every gate's pre-activation at once
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)   # four (B, N) views, order i, f, g, o
    i = sigmoid(a_i)
    f = sigmoid(a_f)
    g = np.tanh(a_g)
    o = sigmoid(a_o)
    c = f * c_prev + i * g                     # (B, N) keep some of the old, add some new
    tanh_c = np.tanh(c)
    h = o * tanh_c                             # (B, N) the output gate picks what is shown
    return h, c, LSTMStepCache(x, h_prev, c_prev, i, f, g, o, tanh_c, W, H)


def lstm_step_backward(dh, dc, cache):
    """Backpropagate through one step.

    dh (B, N), dc (B, N): the gradient reaching this step's h and c from outside the
    step (from the outputs and from the next step).
    Returns dx (B, I), dh_prev (B, N), dc_prev (B, N), dW (I, 4N), dH (N, 4N), db (4N,).
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, W, H = cache
    do = dh * tanh_c                           # h = o * tanh(c)
    dc_total = dc + dh * o * (1 - tanh_c * tanh_c)   # c reaches the loss directly and through h
    di = dc_total * g                          # c = f * c_prev + i * g
    df = dc_total * c_prev
    dg = dc_total * i
    dc_prev = dc_total * f                     # the gentle path: one product with f
    da = np.concatenate([                      # (B, 4N) back through each gate's nonlinearity
        di * i * (1 - i),                      # sigmoid' = sigmoid (1 - sigmoid)
        df * f * (1 - f),
        dg * (1 - g * g),                      # tanh' = 1 - tanh^2
        do * o * (1 - o),
    ], axis=1)
    dx = da @ W.T                              # (B, I)   a = x W + ...
    dh_prev = da @ H.T                         # (B, N)   a = ... + h_prev H + ...
    dW = x.T @ da                              # (I, 4N)
    dH = h_prev.T @ da                         # (N, 4N)
    db = da.sum(axis=0)                        # (4N,)    b is added to every row
    return dx, dh_prev, dc_prev, dW, dH, db


class LSTMCache(NamedTuple):
    """One step cache per time step."""
    steps: list

    def gate_values(self):
        """Every step's gates after their nonlinearity: {"i", "f", "g", "o"} -> (T, B, N)."""
        return {name: np.stack([getattr(step, name) for step in self.steps]) for name in "ifgo"}


def lstm_forward(x, h0, c0, W, H, b):
    """Run the cell over a whole sequence, carrying h and C from step to step.

    x (T, B, I), h0 (B, N), c0 (B, N) the initial states
    ->  h (T, B, N) every step's hidden vector, c (T, B, N) every step's cell state, cache
    The final states are h[-1] and c[-1].
    """
    T, B = x.shape[:2]
    N = H.shape[0]
    h = np.empty((T, B, N), dtype=x.dtype)     # (T, B, N)
    c = np.empty((T, B, N), dtype=x.dtype)     # (T, B, N)
    steps = []
    h_prev, c_prev = h0, c0
    for t in range(T):
        h[t], c[t], step_cache = lstm_step_forward(x[t], h_prev, c_prev, W, H, b)
        steps.append(step_cache)
        h_prev, c_prev = h[t], c[t]            # both states carry over to the next step
    return h, c, LSTMCache(steps)


def lstm_backward(dh, dc, cache):
    """Backpropagation through time.

    dh (T, B, N) is the gradient reaching each step's h from outside the recurrence:
    from the outputs, plus, at whichever step the caller puts it, the gradient on the
    final hidden vector. dc (T, B, N) is the same for the cell state (usually zero except
    where a final cell state's gradient enters), or None for no such gradient.
    Returns dx (T, B, I), dh0 (B, N), dc0 (B, N), dW, dH, db (summed over every step:
    the weights are shared, so each step adds its share).
    """
    steps = cache.steps
    h0, c0 = steps[0].h_prev, steps[0].c_prev  # step 0 started from the initial states h0, c0
    W, H = steps[0].W, steps[0].H
    T, (B, I) = len(steps), steps[0].x.shape
    dx = np.empty((T, B, I), dtype=dh.dtype)   # (T, B, I)
    dW, dH, db = np.zeros_like(W), np.zeros_like(H), np.zeros(H.shape[1], dh.dtype)
    dh_next = np.zeros_like(h0)                # (B, N) gradients flowing back from step t+1
    dc_next = np.zeros_like(c0)                # (B, N)
    for t in reversed(range(T)):
        # each state at step t feeds the outside and the next step: add both gradients
        dc_t = dc_next if dc is None else dc[t] + dc_next
        dx[t], dh_next, dc_next, dW_t, dH_t, db_t = lstm_step_backward(
            dh[t] + dh_next, dc_t, steps[t])
        dW += dW_t
        dH += dH_t
        db += db_t
    # after step 0, what flows back "from the next step" is the gradient on h0 and c0 themselves
    dh0, dc0 = dh_next, dc_next
    return dx, dh0, dc0, dW, dH, db
