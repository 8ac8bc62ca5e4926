"""Any cell over a whole sequence: the forward loop and backpropagation through time.

rnn.py, lstm.py and gru.py each write the same two loops around their own step. This
file writes them once, for a cell of your own. Write the step, as a class whose two
methods do what cells/rnn.py's rnn_step_forward / rnn_step_backward do (with the states
and the parameters gathered into a tuple and a dict, so that one loop fits every cell),
and minirnn does the rest. For instance a cell with a forget gate f and a candidate n,
like the minimal gated unit of examples/08:

    class MyCell:
        state_names = ("h",)    # what each step hands to the next; the first is the output
        blocks = 2              # N-wide blocks stacked in W (I, 2N), H (N, 2N), b (2N,): here
                                # one for the gate f and one for the candidate n (the simple
                                # cell has 1 block, the LSTM 4, the GRU 3)
        gate_names = ("f",)     # optional: cache fields that Recurrent.trace() returns

        def step_forward(self, x, states_prev, params):
            '''x (B, I), states_prev a tuple of (B, N), one per state name,
            params {"W", "H", "b"}  ->  (states: a tuple of (B, N), cache)'''

        def step_backward(self, dstates, cache):
            '''dstates: a tuple of (B, N), the whole gradient reaching each new state
            ->  (dx (B, I), dstates_prev: a tuple of (B, N), dparams: {"W", "H", "b"})'''

Then
    layer = minirnn.recurrent.CellLayer(MyCell(), input_size, hidden_size, num_layers=2,
                                        bidirectional=True, dropout=0.2)
is a layer like minirnn.LSTM (NumPy only): lengths, layers, directions, dropout,
``trace()``, any minirnn optimizer, and
    minirnn gradcheck --cell mycell.py:MyCell
checks every gradient of it. ``examples/08_your_own_cell.py`` writes one, step by step.

The cache is whatever step_backward needs: a NamedTuple like cells/rnn.py's
RNNStepCache, with a (B, N) field for each of gate_names. Every array returned keeps the
dtype of x; CellLayer checks each step's shapes and dtypes and names the method that got
them wrong (minirnn/toolkit/cell_protocol.py, so that the loops below stay plain).
A class is made with no arguments: MyCell and MyCell() both do.

W, H and b are drawn like PyTorch's, uniform in +-1/sqrt(N). A cell that needs other
parameters (a peephole weight, say) defines ``init_params(input_size, hidden_size, rng)``
returning its dict name -> array, and step_backward returns a gradient for each.

The step sees one step; this file carries the states and the caches along the sequence.
Backward walks the steps in reverse: the gradient reaching state s at step t is what the
outside puts there (dstates[s][t], from the outputs and the final state) plus what step
t+1 sends back, and the parameters' gradients are summed over the steps because every
step shares the same W, H, b. ``sequence_forward`` / ``sequence_backward`` are these
two loops, line for line the loops of rnn_forward / rnn_backward.
"""
from typing import NamedTuple

import numpy as np


class SequenceCache(NamedTuple):
    """What sequence_backward needs from sequence_forward."""
    cell: object         # the cell, whose step_backward runs each step
    steps: list          # one cell cache per step
    x: np.ndarray        # (T, B, I) the input, for dx's shape and dtype
    states0: tuple       # the initial states, (B, N) each
    params: dict         # the parameters, for dparams' names and shapes

    def gate_values(self):
        """The cell's gate_names, each stacked over the steps: name -> (T, B, N)."""
        return {name: np.stack([getattr(step, name) for step in self.steps])
                for name in getattr(self.cell, "gate_names", ())}


def sequence_forward(cell, x, states0, params):
    """Run cell.step_forward over a whole sequence, carrying the states from step to step.

    x (T, B, I), states0 a tuple of (B, N), params a dict of arrays
    ->  states: a tuple of (T, B, N), every step's value of each state, and a SequenceCache
    """
    T = len(x)
    states = tuple(np.empty((T,) + s0.shape, x.dtype) for s0 in states0)   # each (T, B, N)
    steps = []
    states_prev = states0
    for t in range(T):
        new, step_cache = cell.step_forward(x[t], states_prev, params)
        for sequence, state in zip(states, new):
            sequence[t] = state
        steps.append(step_cache)
        states_prev = tuple(new)               # the states carry over to the next step
    return states, SequenceCache(cell, steps, x, states0, params)


def sequence_backward(dstates, cache):
    """Backpropagation through time for any cell.

    dstates: a tuple with one entry per state, each the (T, B, N) gradient reaching that
    state from outside the recurrence (outputs, and the final state's gradient at each
    sequence's own last step), or None for none.
    Returns dx (T, B, I), dstates0 a tuple of (B, N), dparams summed over every step.
    """
    cell, steps, x, states0, params = cache
    dx = np.empty_like(x)                                # (T, B, I)
    dnext = tuple(np.zeros_like(s0) for s0 in states0)   # (B, N) each, flowing back from step t+1
    dparams = {name: np.zeros_like(p) for name, p in params.items()}
    for t in reversed(range(len(steps))):
        # each state at step t feeds the outside and the next step: add both gradients
        dtotal = tuple(dn if ds is None else ds[t] + dn for ds, dn in zip(dstates, dnext))
        dx[t], dnext, dparams_t = cell.step_backward(dtotal, steps[t])
        for name, grad in dparams_t.items():
            dparams[name] += grad              # the weights are shared: each step adds its share
    # after step 0, what flows back "from the next step" is the gradient on the initial states
    return dx, tuple(dnext), dparams

