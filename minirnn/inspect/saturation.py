"""How often each gate is saturated: the gates as masks that shut (0) or open (1).

Karpathy, Johnson and Fei-Fei (2015, section 4.2, figure 3) call a gate unit
left-saturated at a step when its value is below 0.1 and right-saturated above 0.9,
and plot, for every unit, the fraction of steps it spends at each end. A forget gate
right-saturated most of the time keeps its cell's memory for long stretches (an
integrator); one left-saturated most of the time forgets at once; a unit near the
diagonal's origin works in the gate's soft middle.

Only the sigmoid gates have that [0, 1] range: the LSTM's i, f, o and the GRU's r, z.
The LSTM's g and the GRU's n are tanh candidates in [-1, 1], not masks.
"""
from typing import NamedTuple

import numpy as np

SIGMOID_GATES = ("i", "f", "o", "r", "z")
LEFT, RIGHT = 0.1, 0.9        # below LEFT: left-saturated (shut); above RIGHT: right-saturated (open)
MOSTLY = 0.5                  # a unit saturated at one end on more than half the steps


class Saturation(NamedTuple):
    """One gate of one (layer, direction): per unit, the fraction of steps at each end."""
    cell: int            # index into Trace.cells
    gate: str            # "i", "f", "o", "r" or "z"
    left: np.ndarray     # (N,) fraction of steps with value < LEFT
    right: np.ndarray    # (N,) fraction of steps with value > RIGHT

    def mostly_left(self):
        """The fraction of units left-saturated on more than half the steps."""
        return float((self.left > MOSTLY).mean())

    def mostly_right(self):
        """The fraction of units right-saturated on more than half the steps."""
        return float((self.right > MOSTLY).mean())


def gate_saturation(cells):
    """Trace.cells -> a list of Saturation, one per (cell, sigmoid gate), in cell order.
    Empty for the simple RNN, which has no gates."""
    return [Saturation(k, gate, (values[gate] < LEFT).mean(axis=0), (values[gate] > RIGHT).mean(axis=0))
            for k, values in enumerate(cells) for gate in SIGMOID_GATES if gate in values]
