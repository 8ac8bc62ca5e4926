"""Checks and diagnoses of gradient dicts (name -> float np.ndarray), for clip.py and optim.py.

    check(grads, where, in_place)    a dict of float arrays (writable when changed in place)
    nonfinite_arrays(grads)          the names of the arrays holding NaN or inf
    describe_nonfinite(grads, norm)  why a gradient norm is NaN or inf, in words
"""
import numpy as np


def check(grads, where, in_place):
    """grads must be a dict name -> float np.ndarray, writable when in_place; where names the caller."""
    if not isinstance(grads, dict):
        raise TypeError(f"{where}: grads must be a dict name -> np.ndarray, "
                        f"got {type(grads).__name__}")
    for name, g in grads.items():
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{where}: grads[{name!r}] must be a np.ndarray, got {type(g).__name__}")
        if not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"{where}: grads[{name!r}] must hold floats, got dtype {g.dtype}")
        if in_place and not g.flags.writeable:
            raise ValueError(f"{where}: grads[{name!r}] is read-only; it is changed in place")


def nonfinite_arrays(grads):
    """The names of the arrays holding NaN or inf, in order (an empty list if none)."""
    return [name for name, g in grads.items() if not np.isfinite(g).all()]


def describe_nonfinite(grads, norm):
    """Say why the norm is not finite: which arrays hold NaN/inf, or that it overflowed."""
    bad = nonfinite_arrays(grads)
    if bad:
        counts = []
        for name in bad:
            g = grads[name]
            n_nan, n_inf = int(np.isnan(g).sum()), int(np.isinf(g).sum())
            counts.append(f"{name!r} ({n_nan} NaN, {n_inf} inf of {g.size})")
        return f"the gradient norm is {norm}; arrays holding NaN or inf: " + ", ".join(counts)
    largest = max(grads, key=lambda name: float(np.abs(grads[name]).max(initial=0)))
    biggest = float(np.abs(grads[largest]).max())
    return (f"the gradient norm overflowed to {norm} although every entry is finite: it exceeds "
            f"the largest float64, 1.8e308 (largest |entry| {biggest:.3g}, in {largest!r})")
