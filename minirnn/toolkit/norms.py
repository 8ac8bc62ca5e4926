"""The norms clip.total_norm hands over: other norms than sqrt(sum of g^2), and the norm of
squares too large (or too small) for the dtype.

    p_norm(grads, p)              (sum of |g|^p)^(1/p) over every entry of every array, any
                                  p > 0; p = inf gives max |g|

Squaring overflows in float32 above |g| ~ 1.8e19 (in float64 above 1.3e154) and underflows
below 1e-19 (1e-154), although the norm itself is a fine number: the norm of [3e19, 4e19]
is 5e19, yet 3e19 ** 2 is inf in float32. So the plain sum of |g|^p is computed first, and
the scaled norm below taken only where that sum cannot be trusted:

    needs_scaling(sum_p, grads)   the sum is inf (a term or the sum overflowed), or below
                                  tiny / eps of the gradients' dtype (9.9e-32 in float32, 1e-292
                                  in float64), where terms lost to underflow could matter;
                                  an all-zero gradient lands here too, and gets 0
    scaled_norm(grads, p)         s ||g / s||_p in float64 with s = max |g| (the scaling LAPACK's
                                  nrm2 uses): every entry of g / s is in [-1, 1], so no term
                                  overflows and none that matters underflows

A NaN sum is trusted (a NaN entry gives a NaN norm either way); a norm beyond float64's
1.8e308 stays inf. torch.nn.utils.clip_grad_norm_ has no such fallback: there a float32
gradient of 2e19 has an infinite norm.
"""
import math

import numpy as np


def p_norm(grads, p):
    """The global p-norm as a Python float (p a float > 0 or inf), scaled where the plain sum
    of |g|^p cannot be trusted."""
    if p == math.inf:
        return float(np.max([np.abs(g).max() for g in grads.values() if g.size], initial=0.0))
    with np.errstate(over="ignore"):                                   # an overflow is caught below
        sum_p = sum(float(np.sum(np.abs(g) ** p)) for g in grads.values())   # sum of |g|^p
    if needs_scaling(sum_p, grads):
        return scaled_norm(grads, p)
    return sum_p ** (1 / p)


def needs_scaling(sum_p, grads):
    """True where the plain sum of |g|^p overflowed (inf) or is so small that underflow could matter."""
    floor = max((np.finfo(g.dtype).tiny / np.finfo(g.dtype).eps for g in grads.values()), default=0.0)
    return math.isinf(sum_p) or sum_p < floor


def scaled_norm(grads, p):
    """The global p-norm as a Python float: the p-norm of the per-array p-norms (torch's order)."""
    per_array = np.array([_scaled_norm(g, p) for g in grads.values()], dtype=np.float64)   # (arrays,)
    return _scaled_norm(per_array, p)


def _scaled_norm(a, p):
    """s ||a / s||_p in float64 with s = max |a|; 0 for an empty array, as torch; NaN/inf entries give NaN/inf."""
    if a.size == 0:
        return 0.0
    s = float(np.max(np.abs(a)))               # NaN if any entry is NaN
    if not (math.isfinite(s) and s > 0) or p == math.inf:
        return s                               # 0, inf, NaN, or the inf-norm itself
    scaled = np.asarray(a, dtype=np.float64).ravel() / s                   # entries in [-1, 1]
    with np.errstate(over="ignore"):           # beyond 1.8e308 even float64 overflows: inf, reported
        return float(s * np.linalg.norm(scaled, ord=p))
