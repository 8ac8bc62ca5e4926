"""Argument checks for the public entry points.

Every check raises at the door with a message that names the argument, says what it
got and what was expected, so that a mistake never surfaces as a broadcasting error
deep inside a backward pass, or as a silent NaN.
"""
import math
from numbers import Real

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def float_dtype(dtype):
    """The layer dtype as a NumPy dtype; only float32 and float64 are supported."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype}")
    return dtype


def positive_int(name, value):
    """An int >= 1 (bools are refused: True is not a size)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def probability(name, value):
    """A float in [0, 1)."""
    if not isinstance(value, (int, float, np.floating)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def one_of(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def float_array(name, x, dtype, shape):
    """x as an ndarray of `dtype` whose shape matches `shape`.

    `shape` is a tuple whose entries are ints (must match), None (anything) or a
    string used only in the message (anything, but named: "T" for steps).
    Integer data, the wrong dtype, the wrong rank or width and NaN/inf are refused.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != dtype:
        hint = f"; convert it with {name}.astype(np.{dtype})" if x.dtype.kind in "fiub" else ""
        raise TypeError(f"{name} must have dtype {dtype} (the layer's dtype), got {x.dtype}{hint}")
    expected = "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if x.ndim != len(shape) or any(isinstance(s, int) and s != n for s, n in zip(shape, x.shape)):
        raise ValueError(f"{name} must have shape {expected}, got {x.shape}")
    if not np.isfinite(x).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(f"{name} holds a non-finite value ({x[bad]}) at index {bad}")
    return x


def int_array(name, ids, high, shape_desc):
    """ids as an integer array with every entry in [0, high)."""
    if not isinstance(ids, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of integer ids, got {type(ids).__name__}")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer ids {shape_desc}, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= high):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise ValueError(f"{name} must hold ids in [0, {high}), got {bad}")
    return ids


def counted(n, noun, plural=None):
    """'1 character', '2 characters', '1,000 steps', '2.5 minutes': a count and its noun,
    agreeing in number. Every message that counts goes through it.

    plural defaults to noun + "s"; give it for nouns that do not follow that rule ("classes").
    """
    number = f"{n:,}" if isinstance(n, (int, np.integer)) else f"{n:g}"
    return f"{number} {noun if n == 1 else (plural or noun + 's')}"


def positive_number(name, value):
    """A real number, positive and finite, as a Python float (a Python float keeps float32
    arrays float32 when they are multiplied by it). Bools are refused: True is not a threshold."""
    if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive finite number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def flag(name, value):
    """True or False (NumPy's bool too), as a Python bool; 1 and "yes" are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def norm_type(value):
    """The p of a p-norm: a positive number or float('inf'), as a float."""
    if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"norm_type must be a positive number or float('inf'), got {value!r}")
    if not value > 0:
        raise ValueError(f"norm_type must be a positive number or float('inf'), got {value!r}")
    return float(value)


def index_or_none(name, value, high):
    """None, or an int in [0, high) (bools are refused)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or not 0 <= value < high):
        raise ValueError(f"{name} must be None or an int in [0, {high}), got {value!r}")
    return value


def cross_entropy_arguments(logits, targets, mask):
    """softmax_cross_entropy's arguments: logits (..., V) float, finite; targets (...) ids in
    [0, V); mask None or (...) of 0/1 selecting at least one position."""
    if not isinstance(logits, np.ndarray) or logits.dtype.kind != "f" or logits.ndim < 1:
        raise TypeError(f"logits must be a float array of shape (..., V), got {type(logits).__name__} "
                        f"{getattr(logits, 'dtype', '')} {getattr(logits, 'shape', '')}")
    V = logits.shape[-1]
    float_array("logits", logits, logits.dtype, (None,) * (logits.ndim - 1) + (V,))
    int_array("targets", targets, V, f"of shape {logits.shape[:-1]}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets must have shape {logits.shape[:-1]} (logits without the class axis), "
                         f"got {targets.shape}")
    if targets.size == 0:
        raise ValueError(f"logits must hold at least one position, got shape {logits.shape}")
    if mask is None:
        return
    mask = np.asarray(mask)
    if mask.shape != targets.shape:
        raise ValueError(f"mask must have shape {targets.shape}, got {mask.shape}")
    if not np.isin(mask, (0, 1)).all():
        bad = mask[~np.isin(mask, (0, 1))].flat[0]
        raise ValueError(f"mask must hold only 0/1 or True/False, got {bad}")
    if not mask.any():
        raise ValueError("mask selects no position: the mean loss would be 0/0")


def regression_arguments(prediction, target):
    """mean_squared_error's arguments: float arrays of the same shape and dtype, not empty, finite."""
    if not isinstance(prediction, np.ndarray) or prediction.dtype.kind != "f":
        raise TypeError(f"prediction must be a float array, got {type(prediction).__name__} "
                        f"{getattr(prediction, 'dtype', '')}")
    float_array("prediction", prediction, prediction.dtype, (None,) * prediction.ndim)
    float_array("target", target, prediction.dtype, prediction.shape)
    if prediction.size == 0:
        raise ValueError(f"prediction must hold at least one entry, got shape {prediction.shape}")
