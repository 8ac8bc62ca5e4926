"""Checks and diagnoses of gradient dicts (name -> float np.ndarray), for clip.py and optim.py.

    check(grads, where, in_place)    a dict of float arrays (writable when changed in place)
    check_clip_grad_norm(...), check_clip_grad_value(...)   clip.py's arguments, all of them
    nonfinite_arrays(grads)          the names of the arrays holding NaN or inf
    describe_nonfinite(grads, norm)  why a gradient norm is NaN or inf, in words
    nonfinite_norm(where, grads, norm, error)   raise that, or return the norm
"""
import numpy as np

from . import validate


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


def check_clip_grad_norm(grads, max_norm, norm_type, error_if_nonfinite):
    """clip_grad_norm's arguments: float arrays, writable; max_norm positive and finite;
    norm_type a positive number or inf; error_if_nonfinite True or False."""
    check(grads, "clip_grad_norm", in_place=True)
    validate.positive_number("max_norm", max_norm)
    validate.norm_type(norm_type)
    validate.flag("error_if_nonfinite", error_if_nonfinite)


def check_clip_grad_value(grads, clip):
    """clip_grad_value's arguments: float arrays, writable; clip positive and finite."""
    check(grads, "clip_grad_value", in_place=True)
    validate.positive_number("clip", clip)


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


def nonfinite_norm(where, grads, norm, error_if_nonfinite):
    """A NaN or infinite gradient norm: raise FloatingPointError saying why (describe_nonfinite),
    or, with error_if_nonfinite False, return the norm for the caller to skip the step."""
    if error_if_nonfinite:
        raise FloatingPointError(f"{where}: {describe_nonfinite(grads, norm)}; no gradient was changed")
    return norm
