"""Argument checks for the recurrent layers (minirnn/recurrent.py), at their public doors.

``Recurrent.forward`` and ``backward`` call these once, before any arithmetic; the cells
never check again. Each raises one error that names the argument, what it got and what
was expected, so that a mistake never surfaces as a broadcasting error deep inside a
backward pass, or as a silent NaN.
"""
import numpy as np

from minirnn.toolkit import validate


def seed(value):
    """The seed of a layer's random generator: an int >= 0 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {value!r}")
    return value


def forward_arguments(layer, x, state, lengths):
    """Check Recurrent.forward's x, state and lengths (their meaning: its docstring)."""
    _input(layer, x)
    T, B = (x.shape[1], x.shape[0]) if layer.batch_first else x.shape[:2]
    _lengths(lengths, T, B)
    if state is not None:
        _state(layer, "state", state, B)


def backward_arguments(layer, dy, dstate):
    """Check Recurrent.backward's dy and dstate against the last forward call."""
    called_after_forward(layer, "backward")
    T, B = layer._cache.T, layer._cache.B
    width = layer.num_directions * layer.hidden_size
    validate.float_array("dy", dy, layer.dtype, (B, T, width) if layer.batch_first else (T, B, width))
    if dstate is not None:
        _state(layer, "dstate", dstate, B)


def called_after_forward(layer, method):
    if layer._cache is None:
        raise RuntimeError(f"{type(layer).__name__}.{method} called before forward")


def _input(layer, x):
    shape = ("B", "T", layer.input_size) if layer.batch_first else ("T", "B", layer.input_size)
    if isinstance(x, np.ndarray) and x.dtype.kind in "iub":
        raise TypeError(f"x must be floating point, got dtype {x.dtype}: token ids go through "
                        f"minirnn.Embedding first (or one-hot encode them)")
    validate.float_array("x", x, layer.dtype, shape)
    if 0 in x.shape[:2]:
        raise ValueError(f"x must hold at least one step and one sequence, got shape {x.shape}")


def _lengths(lengths, T, B):
    if lengths is None:
        return
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},), one length per sequence in the batch, "
                         f"got {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > T:
        bad = lengths.min() if lengths.min() < 1 else lengths.max()
        raise ValueError(f"lengths must lie in [1, {T}] (T, the number of steps in x), got {bad}")


def _state(layer, name, state, B):
    """A state (or its gradient): h, or the tuple (h, c) for the LSTM, each (L*D, B, N)."""
    LD, N, names = layer.num_layers * layer.num_directions, layer.hidden_size, layer.state_names
    if len(names) > 1:
        if not isinstance(state, (tuple, list)) or len(state) != len(names):
            raise TypeError(f"{name} must be a tuple ({', '.join(names)}) for "
                            f"{type(layer).__name__}, got {type(state).__name__}")
        parts = tuple(state)
    else:
        parts = (state,)
    for i, part in enumerate(parts):
        label = name if len(parts) == 1 else f"{name}[{i}] ({names[i]})"
        if isinstance(part, np.ndarray) and part.ndim == 3 and part.shape[0] != LD:
            raise ValueError(
                f"{label} must have shape ({LD}, {B}, {N}): its first axis is num_layers * "
                f"num_directions = {layer.num_layers} * {layer.num_directions}; got {part.shape}")
        validate.float_array(label, part, layer.dtype, (LD, B, N))
