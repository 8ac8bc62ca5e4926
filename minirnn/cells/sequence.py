"""Any cell over a whole sequence: the forward loop and backpropagation through time.

rnn.py, lstm.py and gru.py each write the same two loops around their own step. This
file writes them once, for a cell of your own. Write the step, as a class whose two
methods do what cells/rnn.py's rnn_step_forward / rnn_step_backward do (with the states
and the parameters gathered into a tuple and a dict, so that one loop fits every cell),
and minirnn does the rest. For instance a cell with a forget gate f and a candidate n,
like the minimal gated unit of examples/08:

    class MyCell:
        state_names = ("h",)    # what each step hands to the next; the first is the output
        gates = 2               # N-wide blocks stacked in W (I, 2N), H (N, 2N), b (2N,): here
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
dtype of x; minirnn checks each step's shapes and dtypes and names the method that got
them wrong. A class is made with no arguments: MyCell and MyCell() both do.

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
        _check_forward(cell, new, states0)
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
        dx_t, dnext, dparams_t = cell.step_backward(dtotal, steps[t])
        _check_backward(cell, dx_t, dnext, dparams_t, x[t], states0, params)
        dx[t] = dx_t
        for name, grad in dparams_t.items():
            dparams[name] += grad              # the weights are shared: each step adds its share
    # after step 0, what flows back "from the next step" is the gradient on the initial states
    return dx, tuple(dnext), dparams


# ---- the protocol, checked --------------------------------------------------------------------

def check_cell(cell):
    """Return the cell (an instance; a class is instantiated with no arguments) if it
    follows the protocol above; raise TypeError naming what is missing otherwise."""
    name = getattr(cell, "__name__", type(cell).__name__)
    if isinstance(cell, type):
        try:
            cell = cell()
        except TypeError as e:
            raise TypeError(f"{name}: a cell class must be constructible with no arguments ({e})") from None
    problems = []
    for method in ("step_forward", "step_backward"):
        if not callable(getattr(cell, method, None)):
            problems.append(f"no method {method}")
    names = getattr(cell, "state_names", None)
    if (not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)):
        problems.append(f"state_names must be a non-empty tuple of distinct strings such as ('h',), got {names!r}")
    gates = getattr(cell, "gates", None)
    if isinstance(gates, bool) or not isinstance(gates, (int, np.integer)) or gates < 1:
        problems.append(f"gates must be a positive integer (the N-wide blocks in W, H and b), got {gates!r}")
    gate_names = getattr(cell, "gate_names", ())
    if not isinstance(gate_names, (tuple, list)) or not all(isinstance(n, str) for n in gate_names):
        problems.append(f"gate_names must be a tuple of strings, got {gate_names!r}")
    if problems:
        raise TypeError(f"{name} does not follow the cell protocol: {'; '.join(problems)} "
                        f"(the protocol: minirnn/cells/sequence.py)")
    return cell


def _check_forward(cell, states, states0):
    """step_forward must return one (B, N) array per state name."""
    _check_states(cell, "step_forward", "states", states, states0)


def _check_backward(cell, dx, dstates_prev, dparams, x, states0, params):
    """step_backward must return dx like x, one (B, N) array per state, a gradient per parameter."""
    where = f"{type(cell).__name__}.step_backward"
    if getattr(dx, "shape", None) != x.shape or dx.dtype != x.dtype:
        raise ValueError(f"{where} returned dx of shape {getattr(dx, 'shape', None)} dtype "
                         f"{getattr(dx, 'dtype', None)}, expected {x.shape} (B, I) dtype {x.dtype}")
    _check_states(cell, "step_backward", "dstates_prev", dstates_prev, states0)
    if not isinstance(dparams, dict) or set(dparams) != set(params):
        got = sorted(dparams) if isinstance(dparams, dict) else type(dparams).__name__
        raise TypeError(f"{where} must return dparams as a dict with a gradient for each parameter "
                        f"{sorted(params)}, got {got}")
    for name, grad in dparams.items():
        if getattr(grad, "shape", None) != params[name].shape or grad.dtype != params[name].dtype:
            raise ValueError(f"{where} returned dparams[{name!r}] of shape {getattr(grad, 'shape', None)} "
                             f"dtype {getattr(grad, 'dtype', None)}, expected {params[name].shape} "
                             f"dtype {params[name].dtype} (the parameter's)")


def _check_states(cell, method, what, got, like):
    where = f"{type(cell).__name__}.{method}"
    if not isinstance(got, (tuple, list)) or len(got) != len(like):
        length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        raise TypeError(f"{where} must return {what} as a tuple of {len(like)} arrays, one per "
                        f"state name {tuple(cell.state_names)}, got {type(got).__name__}{length}")
    for name, value, reference in zip(cell.state_names, got, like):
        if getattr(value, "shape", None) != reference.shape or value.dtype != reference.dtype:
            raise ValueError(f"{where} returned {what} {name!r} of shape {getattr(value, 'shape', None)} "
                             f"dtype {getattr(value, 'dtype', None)}, expected {reference.shape} (B, N) "
                             f"dtype {reference.dtype} (the layer's)")
