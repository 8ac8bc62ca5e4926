"""Argument checks for the public entry points.

Every check raises at the door with a message that names the argument, says what it
got and what was expected, so that a mistake never surfaces as a broadcasting error
deep inside a backward pass, or as a silent NaN.
"""
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
