"""Gradient clipping: keep one exploding gradient from throwing the weights far away.

Backpropagation through time multiplies by H at every step, so a gradient can grow
exponentially with the sequence length (the flip side of vanishing gradients). Two cures,
both applied to the gradients between the backward pass and the optimizer step:

    clip_grad_norm   rescale ALL the gradients together when their global norm is too big;
                     the step keeps its direction, only its length shrinks:
                         ||g|| = the norm of every gradient array seen as one long vector
                         g <- g * min(1, max_norm / (||g|| + 1e-6))
                     exactly torch.nn.utils.clip_grad_norm_.
    clip_grad_value  clip every entry to [-clip, clip] on its own, as min-char-rnn does
                     with np.clip(dparam, -5, 5, out=dparam); cheaper, but it can turn the step.

Gradients are dicts name -> float np.ndarray and are changed IN PLACE.
"""
import math
from numbers import Real

import numpy as np


def total_norm(grads, norm_type=2.0):
    """The norm of all the gradient arrays seen as one long vector, as a float.

    ||g||_p = (sum over every entry of |g|^p)^(1/p), computed as the p-norm of the
    per-array p-norms (the same number, and torch's order); for p = inf, max |g|.
    It is exact to rounding for any finite entries, however large or small: where a
    square could overflow or underflow in the gradients' dtype it is computed as
    s ||g / s|| in float64 with s = max |g| (see _norm).
    """
    _check_grads(grads, "total_norm", in_place=False)
    return float(_total_norm(grads, _check_norm_type(norm_type)))


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=True):
    """Scale every gradient in place by min(1, max_norm / (||g|| + 1e-6)); return ||g|| before.

    grads      dict name -> float array, changed in place
    max_norm   positive finite number: the largest global norm let through
    norm_type  p of the p-norm: any positive number, or float("inf") for max |g|
    error_if_nonfinite
        True (the default): a NaN or infinite norm raises FloatingPointError naming the
        arrays that hold NaN/inf, with nothing changed. (A norm of finite entries is
        always finite and is clipped, up to a float64 overflow beyond 1.8e308.)
        False: return the non-finite norm and leave the gradients untouched, so the caller
        can skip the step. (torch's default, False, would multiply every gradient by
        max_norm / inf = 0, or by NaN, instead.)

    Below the threshold the gradients are left exactly as they were. The 1e-6 keeps the
    division finite when the norm is 0, and makes the clipped norm land just under max_norm.
    """
    _check_grads(grads, "clip_grad_norm", in_place=True)
    _check_positive("max_norm", max_norm)
    max_norm = float(max_norm)                 # a Python float keeps float32 gradients float32
    p = _check_norm_type(norm_type)
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise TypeError(f"error_if_nonfinite must be True or False, got {error_if_nonfinite!r}")

    norm = _total_norm(grads, p)               # a Python float
    if not math.isfinite(norm):
        if error_if_nonfinite:
            raise FloatingPointError(f"clip_grad_norm: {_describe_nonfinite(grads, norm)}; "
                                     f"no gradient was changed")
        return float(norm)

    # max_norm / (norm + 1e-6), computed as torch does it: a reciprocal, then a product
    # (a plain division can differ in the last bit)
    clip_coef = min(max_norm * (1 / (norm + 1e-6)), 1.0)
    if clip_coef < 1.0:                        # multiplying by exactly 1 would change nothing
        for g in grads.values():
            g *= clip_coef
    return float(norm)


def clip_grad_value(grads, clip):
    """Clip every gradient entry to [-clip, clip] in place (np.clip(g, -clip, clip, out=g)).

    clip is a positive finite number. NaN entries stay NaN, as with np.clip and torch's
    clamp_; the optimizers' step refuses non-finite gradients.
    """
    _check_grads(grads, "clip_grad_value", in_place=True)
    _check_positive("clip", clip)
    clip = float(clip)
    for g in grads.values():
        np.clip(g, -clip, clip, out=g)


def nonfinite_arrays(grads):
    """The names of the arrays holding NaN or inf, in order (an empty list if none)."""
    return [name for name, g in grads.items() if not np.isfinite(g).all()]


def _total_norm(grads, p):
    """The global p-norm as a Python float (0.0 for no gradients)."""
    per_array = np.array([_norm(g, p) for g in grads.values()], dtype=np.float64)   # (arrays,)
    return _norm(per_array, p)


def _norm(a, p):
    """The p-norm of all the entries of a as a Python float; 0 for an empty array, as torch.

    Squaring overflows in float32 above |a| ~ 1.8e19 (and in float64 above 1.3e154), and
    underflows below 1e-19 (1e-154), although the norm itself is a fine number. Where the
    largest entry s = max |a| is in the safe range, the norm is computed as it stands, in
    a's dtype (fast, and torch's result); elsewhere as s * ||a / s|| in float64, whose
    entries lie in [-1, 1] (the scaling LAPACK's nrm2 uses). NaN or inf entries give NaN or inf.
    """
    if a.size == 0:
        return 0.0
    s = float(np.max(np.abs(a)))               # NaN if any entry is NaN
    if not (math.isfinite(s) and s > 0) or p == math.inf:
        return s                               # 0, inf, NaN, or the inf-norm itself
    info = np.finfo(a.dtype)
    if p == 2 and math.sqrt(info.tiny) / info.eps < s < math.sqrt(info.max / a.size):
        return float(np.linalg.norm(a.ravel()))    # no square can overflow, none that matters underflows
    scaled = np.asarray(a, dtype=np.float64).ravel() / s                   # entries in [-1, 1]
    with np.errstate(over="ignore"):           # beyond 1.8e308 even float64 overflows: inf, reported
        return float(s * np.linalg.norm(scaled, ord=p))


def _describe_nonfinite(grads, norm):
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


def _check_grads(grads, where, in_place):
    """grads must be a dict name -> float np.ndarray (writable when changed in place)."""
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


def _check_positive(name, value):
    """value must be a real number, positive and finite."""
    if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive finite number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_norm_type(norm_type):
    """norm_type must be a positive number or inf; returned as a float."""
    if not isinstance(norm_type, Real) or isinstance(norm_type, (bool, np.bool_)):
        raise TypeError(f"norm_type must be a positive number or float('inf'), got {norm_type!r}")
    if not norm_type > 0:
        raise ValueError(f"norm_type must be a positive number or float('inf'), got {norm_type!r}")
    return float(norm_type)
