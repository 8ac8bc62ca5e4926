"""A cell of your own, checked against the protocol of minirnn/cells/sequence.py.

``CellLayer`` calls ``cell_layer_arguments`` when it is made (a cell that lacks a piece
of the protocol is refused, naming what is missing) and runs the cell wrapped in
``CheckedSteps``, which checks what every step returns and names the method that returned
the wrong shape or dtype. The loops of cells/sequence.py stay free of checks.
"""
import numpy as np


def cell_layer_arguments(cell, backend):
    """CellLayer's cell (an instance; a class is made with no arguments) and backend."""
    cell = check_cell(cell)
    if backend != "numpy":
        raise ValueError(f"backend must be 'numpy' for a CellLayer (a cell of your own runs on the "
                         f"NumPy loop of minirnn/cells/sequence.py), got {backend!r}")
    return cell


def check_cell(cell):
    """Return the cell (an instance; a class is instantiated with no arguments) if it
    follows the protocol; raise TypeError naming what is missing otherwise."""
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
    blocks = getattr(cell, "blocks", None)
    if isinstance(blocks, bool) or not isinstance(blocks, (int, np.integer)) or blocks < 1:
        renamed = " (the attribute once named gates is now blocks)" if hasattr(cell, "gates") else ""
        problems.append(f"blocks must be a positive integer (the N-wide blocks stacked in W, H and b), "
                        f"got {blocks!r}{renamed}")
    gate_names = getattr(cell, "gate_names", ())
    if not isinstance(gate_names, (tuple, list)) or not all(isinstance(n, str) for n in gate_names):
        problems.append(f"gate_names must be a tuple of strings, got {gate_names!r}")
    if problems:
        raise TypeError(f"{name} does not follow the cell protocol: {'; '.join(problems)} "
                        f"(the protocol: minirnn/cells/sequence.py)")
    return cell


class CheckedSteps:
    """The cell, with every step's results checked against one sequence's arrays.

    x_step (B, I) is one step's input, states0 the initial states (B, N) each, params the
    (layer, direction)'s parameters: what each step must return has their shapes and dtypes.
    """

    def __init__(self, cell, x_step, states0, params):
        self.cell, self.x_step, self.states0, self.params = cell, x_step, states0, params
        self.state_names = tuple(cell.state_names)
        self.gate_names = tuple(getattr(cell, "gate_names", ()))     # what trace() reads

    def step_forward(self, x, states_prev, params):
        states, cache = self.cell.step_forward(x, states_prev, params)
        self._check_states("step_forward", "states", states)
        return states, cache

    def step_backward(self, dstates, cache):
        dx, dstates_prev, dparams = self.cell.step_backward(dstates, cache)
        where = f"{type(self.cell).__name__}.step_backward"
        x = self.x_step
        if getattr(dx, "shape", None) != x.shape or dx.dtype != x.dtype:
            raise ValueError(f"{where} returned dx of shape {getattr(dx, 'shape', None)} dtype "
                             f"{getattr(dx, 'dtype', None)}, expected {x.shape} (B, I) dtype {x.dtype}")
        self._check_states("step_backward", "dstates_prev", dstates_prev)
        if not isinstance(dparams, dict) or set(dparams) != set(self.params):
            got = sorted(dparams) if isinstance(dparams, dict) else type(dparams).__name__
            raise TypeError(f"{where} must return dparams as a dict with a gradient for each parameter "
                            f"{sorted(self.params)}, got {got}")
        for name, grad in dparams.items():
            want = self.params[name]
            if getattr(grad, "shape", None) != want.shape or grad.dtype != want.dtype:
                raise ValueError(f"{where} returned dparams[{name!r}] of shape {getattr(grad, 'shape', None)} "
                                 f"dtype {getattr(grad, 'dtype', None)}, expected {want.shape} "
                                 f"dtype {want.dtype} (the parameter's)")
        return dx, dstates_prev, dparams

    def _check_states(self, method, what, got):
        """One (B, N) array per state name, each like the initial state's."""
        where, like = f"{type(self.cell).__name__}.{method}", self.states0
        if not isinstance(got, (tuple, list)) or len(got) != len(like):
            length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
            raise TypeError(f"{where} must return {what} as a tuple of {len(like)} arrays, one per "
                            f"state name {self.state_names}, got {type(got).__name__}{length}")
        for name, value, reference in zip(self.state_names, got, like):
            if getattr(value, "shape", None) != reference.shape or value.dtype != reference.dtype:
                raise ValueError(f"{where} returned {what} {name!r} of shape {getattr(value, 'shape', None)} "
                                 f"dtype {getattr(value, 'dtype', None)}, expected {reference.shape} (B, N) "
                                 f"dtype {reference.dtype} (the layer's)")
