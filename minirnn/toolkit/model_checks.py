"""Checks for the model's pieces: the layers of minirnn/layers.py and Sequential
(minirnn/sequential.py), where users call in.

The layers, one call at the top of each constructor, forward and backward:

    embedding_arguments(...), linear_arguments(...), one_hot_arguments(...)   the constructors'
    ids(ids, V)                          Embedding's and OneHot's input: integer ids in [0, V)
    linear_input(layer, x)               Linear's input: (..., I) of the layer's dtype, finite
    embedding_gradient(layer, dy), linear_gradient(layer, dy)   backward after forward, dy
                                         shaped as forward's output

Sequential:

    modules(modules, recurrent)          at least one module, each with the layer protocol
                                         (forward, backward, params, grads), at most one recurrent
    state_needs_recurrent(model, state, lengths), dstate_needs_recurrent(model, dstate)
    checked(modules.items())             the modules, each forward or backward result checked:
                                         NaN or inf raises FloatingPointError naming the module

Only the first module's input is the caller's (checked by that module); every later module
reads what the one before it computed. So Sequential checks each module's result on the
way: a NaN or an inf that appears inside (weights grown too large for the dtype, after a
diverging update) is reported as the model's, naming the module, not as a bad argument "x"
of a layer the caller never called.
"""
import numpy as np

from . import validate


# -- the layers ----------------------------------------------------------------------------------

def embedding_arguments(num_embeddings, embedding_dim, padding_idx, dtype):
    validate.positive_int("num_embeddings", num_embeddings)
    validate.positive_int("embedding_dim", embedding_dim)
    validate.float_dtype(dtype)
    validate.index_or_none("padding_idx", padding_idx, num_embeddings)


def linear_arguments(in_features, out_features, dtype):
    validate.positive_int("in_features", in_features)
    validate.positive_int("out_features", out_features)
    validate.float_dtype(dtype)


def one_hot_arguments(num_classes, dtype):
    validate.positive_int("num_classes", num_classes)
    validate.float_dtype(dtype)


def ids(ids, V):
    """Token ids: an integer array of shape (T, B), every entry in [0, V)."""
    validate.int_array("ids", ids, V, "of shape (T, B)")


def linear_input(layer, x):
    """x (..., I): the layer's dtype, its last axis in_features wide, finite."""
    validate.float_array("x", x, layer.dtype, (None,) * (np.ndim(x) - 1) + (layer.in_features,))


def embedding_gradient(layer, dy):
    """dy (T, B, I) after a forward call on ids (T, B)."""
    _called_after_forward(layer, layer._ids)
    validate.float_array("dy", dy, layer.dtype, layer._ids.shape + (layer.embedding_dim,))


def linear_gradient(layer, dy):
    """dy (..., O) after a forward call on x (..., I)."""
    _called_after_forward(layer, layer._x)
    validate.float_array("dy", dy, layer.dtype, layer._x.shape[:-1] + (layer.out_features,))


def _called_after_forward(layer, cache):
    if cache is None:
        raise RuntimeError(f"{type(layer).__name__}.backward called before forward")


# -- Sequential ----------------------------------------------------------------------------------

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


def state_needs_recurrent(model, state, lengths):
    if model.recurrent is None and (state is not None or lengths is not None):
        raise ValueError("state and lengths go to a recurrent module, and this Sequential has none")


def dstate_needs_recurrent(model, dstate):
    if model.recurrent is None and dstate is not None:
        raise ValueError("dstate goes to a recurrent module, and this Sequential has none")


def checked(items):
    """(name, module) pairs, each module wrapped so that its forward or backward result is
    checked for NaN and inf (_Checked)."""
    return [(name, _Checked(name, module)) for name, module in items]


class _Checked:
    """A module whose forward and backward raise FloatingPointError, naming it, when their
    result (the output; the input gradient) holds NaN or inf. NumPy's overflow warnings are
    silenced inside: the check reports the overflow instead."""

    def __init__(self, name, module):
        self.name, self.module = name, module

    def forward(self, *args, **kwargs):
        return self._call("forward", args, kwargs)

    def backward(self, *args, **kwargs):
        return self._call("backward", args, kwargs)

    def _call(self, direction, args, kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            result = getattr(self.module, direction)(*args, **kwargs)
        a = result[0] if isinstance(result, tuple) else result     # a recurrent module: (y, state)
        if a is not None:                                          # None: ids have no gradient
            finite(a, self.name, self.module, direction)
        return result


def finite(a, name, module, direction):
    """Raise FloatingPointError if a module's result holds NaN or inf, naming the module."""
    if not np.isfinite(a).all():
        what = "output" if direction == "forward" else "input gradient"
        raise FloatingPointError(
            f"the model's {direction} pass produced NaN or inf in the {what} of {name!r} "
            f"({type(module).__name__}): a number grew beyond {a.dtype}'s range (weights grown "
            f"too large, as after a diverging update)")
