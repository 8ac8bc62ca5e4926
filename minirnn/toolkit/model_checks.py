"""Checks for minirnn.model.Sequential: the modules it is given, and what they compute.

    modules(modules, recurrent)          at least one module, each with the layer protocol
                                         (forward, backward, params, grads), at most one recurrent
    finite(a, name, module, direction)   a module's output (or input gradient) holds no NaN/inf

Only the first module's input is the caller's (checked by that module); every later module
reads what the one before it computed. So Sequential checks each module's result on the
way: a NaN or an inf that appears inside (weights grown too large for the dtype, after a
diverging update) is reported as the model's, naming the module, not as a bad argument "x"
of a layer the caller never called.
"""
import numpy as np


def modules(modules, recurrent):
    """modules: name -> module given to Sequential; recurrent: the names of the recurrent ones."""
    if not modules:
        raise ValueError("Sequential needs at least one module, e.g. Sequential(rnn=minirnn.LSTM(3, 4))")
    for name, module in modules.items():
        if not all(hasattr(module, a) for a in ("forward", "backward", "params", "grads")):
            raise TypeError(f"module {name!r} must have forward, backward, params and grads, "
                            f"got {type(module).__name__}")
    if len(recurrent) > 1:
        raise ValueError(f"Sequential takes at most one recurrent module, got {recurrent}")


def finite(a, name, module, direction):
    """Raise FloatingPointError if a module's result holds NaN or inf, naming the module."""
    if not np.isfinite(a).all():
        what = "output" if direction == "forward" else "input gradient"
        raise FloatingPointError(
            f"the model's {direction} pass produced NaN or inf in the {what} of {name!r} "
            f"({type(module).__name__}): a number grew beyond {a.dtype}'s range (weights grown "
            f"too large, as after a diverging update)")
