"""A cell of your own: write one step, and minirnn runs it over sequences and in layers.

rnn.py, lstm.py and gru.py each write the same two loops around their own step: forward
over the steps, carrying the state, and backpropagation through time back over them.
This file writes them once, for any cell that has these pieces:

    class MyCell:
        state_names = ("h",)    # what each step hands to the next; the first is the output
        blocks = 2              # N-wide blocks stacked in W (I, 2N), H (N, 2N), b (2N,)
                                # (the simple cell has 1, the LSTM 4, the GRU 3)
        gate_names = ("f",)     # optional: cache fields that Recurrent.trace() returns

        def step_forward(self, x, states_prev, params):
            '''x (B, I), states_prev a tuple of (B, N), one per state name,
            params {"W", "H", "b"}  ->  (states: a tuple of (B, N), cache)'''

        def step_backward(self, dstates, cache):
            '''dstates: a tuple of (B, N), the whole gradient reaching each new state
            ->  (dx (B, I), dstates_prev: a tuple of (B, N), dparams: {"W", "H", "b"})'''

The two methods do what rnn_step_forward / rnn_step_backward do in cells/rnn.py, with
the states in a tuple and the parameters in a dict, so that one loop fits every cell.
The cache is whatever step_backward needs (a NamedTuple, with a (B, N) field per gate
name), and every array returned keeps the dtype of x. Then

    layer = CellLayer(MyCell, input_size, hidden_size, num_layers=2, bidirectional=True)

(at the end of this file) is a layer like minirnn.LSTM, and
``minirnn gradcheck --cell mycell.py:MyCell`` checks every gradient of it;
examples/08_your_own_cell.py writes one, the minimal gated unit, step by step.
"""
from typing import NamedTuple

import numpy as np

from minirnn.recurrent import Recurrent
from minirnn.toolkit import cell_protocol


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
    """Backpropagation through time for any cell, line for line rnn_backward's loop.

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
        dtotal = tuple(dn if dseq is None else dseq[t] + dn for dseq, dn in zip(dstates, dnext))
        dx[t], dnext, dparams_t = cell.step_backward(dtotal, steps[t])
        for name, grad in dparams_t.items():
            dparams[name] += grad              # the weights are shared: each step adds its share
    # after step 0, what flows back "from the next step" is the gradient on the initial states
    return dx, tuple(dnext), dparams


class CellLayer(Recurrent):
    """A layer from a cell of your own: num_layers, bidirectional, dropout, lengths,
    batch_first, dtype, seed and ``trace()``, as for minirnn.LSTM (minirnn/recurrent.py).

    cell: the class or an instance of it (a class is instantiated with no arguments).
    NumPy only: there is no Numba kernel for a cell minirnn has not seen.

        layer = CellLayer(MyCell(), input_size=2, hidden_size=16)
        y, h = layer.forward(x)                # x (T, B, 2) -> y (T, B, 16)

    W, H and b are drawn like the built-in layers', uniform in +-1/sqrt(N). A cell that
    needs other parameters (a peephole weight, say) defines ``init_params(input_size,
    hidden_size, rng)`` returning its dict name -> array, and step_backward returns a
    gradient for each.

    Raises TypeError naming what is missing when the cell does not follow the protocol,
    and names the method when a step returns the wrong shape or dtype (the checks live
    in minirnn/toolkit/cell_protocol.py, so that the loops above stay plain).
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, backend="numpy", **kwargs):
        self.cell = cell_protocol.cell_layer_arguments(cell, backend)    # the object, made if a class
        self.blocks = int(self.cell.blocks)
        self.state_names = tuple(self.cell.state_names)
        super().__init__(input_size, hidden_size, num_layers, backend=backend, **kwargs)

    def _init_params(self, in_size):
        """The cell's own init_params if it has one; otherwise W, H, b drawn like PyTorch's."""
        if hasattr(self.cell, "init_params"):
            return self.cell.init_params(in_size, self.hidden_size, self.rng)
        return super()._init_params(in_size)

    def _backend_module(self):
        return None                            # one backend: the loops above, for any cell

    def _cell_forward(self, module, x, states0, p):
        checked = cell_protocol.CheckedSteps(self.cell, x[0], states0, p)   # names a step that returns a wrong shape
        return sequence_forward(checked, x, states0, p)

    def _cell_backward(self, module, dstates, cache):
        return sequence_backward(dstates, cache)

    def __repr__(self):
        return (f"CellLayer({type(self.cell).__name__}, {self.input_size}, {self.hidden_size}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, dtype={self.dtype})")
