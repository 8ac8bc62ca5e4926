"""Gradient checking: does a hand-written backward pass agree with what nudging the
inputs actually does to the loss?

For a scalar loss L and one entry x_k of an array, the central difference

    dL/dx_k  ~  (L(x_k + eps) - L(x_k - eps)) / (2 eps)

is off in two ways. Truncation, about eps^2 L''' / 6, shrinks with eps. Round-off grows as
eps shrinks: L is computed to about u |L| (unit round-off u = 1.1e-16 in float64), and
dividing by 2 eps magnifies that to about u |L| / eps. Against eps the error draws a V whose
bottom lies near eps ~ u^(1/3), where the two balance: hence eps = 1e-5 in float64. In
float32 (u = 6e-8) the bottom is a relative error of about 1e-3, so estimates are always
made in float64.

Each entry is judged by its relative error  |a - n| / max(|a|, |n|, floor), a analytic,
n numerical, floor 1e-2 (below it, the absolute error is judged). Measured at eps 1e-5 on
480 random correct RNN, LSTM and GRU layers, each figure the largest over an array's
entries (tests/toolkit/gradcheck/test_layer.py, test_figures):

                              median    worst
    absolute error |a - n|    1.4e-10   4e-9    the estimate's own noise
    relative error            3e-9      6e-8    compare yours with these
    tolerance                           1e-7    on the relative error; a missing term or a
                                                wrong sign gives 1e-3 to 1
The worst, 6e-8, is an entry below the floor: 6e-10 of noise divided by 1e-2.

    numerical_gradient(f, x)   the idea: an estimate for each entry of x (CS231n's loop)
    relative_error(a, n)       how far apart two gradients are, entry by entry

The checker you run -- check_gradients, check_layer, sweep_eps -- lives in
minirnn/toolkit/gradcheck/; it computes this same central difference made robust (the step
actually taken, no overflow, kinks detected and skipped, a report), in its own function
because it also keeps the two losses for the kink test. For convenience it is importable
from here too (the last lines of this file).
"""
import numpy as np

from minirnn.toolkit.gradcheck.arguments import checked_entries, checked_loss

DEFAULT_EPS = 1e-5          # ~ u^(1/3) in float64: truncation and round-off balance
DEFAULT_FLOOR = 1e-2        # least denominator of the relative error
DEFAULT_REL_TOL = 1e-7      # on the relative error; correct layers: median 3e-9, worst 6e-8


def numerical_gradient(f, x, eps=DEFAULT_EPS, indices=None):
    """dL/dx by central differences, entry by entry (CS231n's eval_numerical_gradient_array).

    f        zero-argument function returning the scalar loss L; it must read x itself
    x        float64 ndarray, nudged in place one entry at a time and restored exactly
    indices  None: every entry, the result has x's shape; else flat (row-major) indices,
             the result is (K,), one estimate per index
    Raises TypeError/ValueError for a wrong x, eps or indices, a loss that is not a finite
    scalar, or an eps too small to change an entry.
    """
    flat = checked_entries(x, eps, indices)      # (K,) flat indices, checked
    f = checked_loss(f)                          # every L must be one finite number
    grad = np.zeros(flat.size)                   # (K,)
    for k, i in enumerate(flat):
        ix = np.unravel_index(i, x.shape)
        old = x[ix]                              # keep the entry
        try:
            x[ix] = old + eps
            fp = f()                             # L(x + eps)
            x[ix] = old - eps
            fm = f()                             # L(x - eps)
        finally:
            x[ix] = old                          # restore, even if f raised
        grad[k] = (fp - fm) / (2 * eps)          # the central difference
    return grad.reshape(x.shape) if indices is None else grad


def relative_error(a, n, floor=DEFAULT_FLOOR):
    """|a - n| / max(|a|, |n|, floor), entry by entry: a analytic, n numerical, same shape.

    The floor keeps an entry whose gradient is near zero from dividing the estimate's
    absolute noise by almost nothing: there the absolute error is judged instead. Both
    quotients lie in [-1, 1], so nothing overflows, even for gradients near 1e308.
    """
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    return np.abs(a / scale - n / scale)


# ---- for convenience: the toolkit's checker, importable from here ---------------------------
# Nothing above uses these names. They import this file (its constants, relative_error),
# so they come last: `from minirnn.gradcheck import check_layer` gives the whole checker.
from minirnn.toolkit.gradcheck.compare import check_gradients
from minirnn.toolkit.gradcheck.kinks import KINK_FACTOR, kink_slack
from minirnn.toolkit.gradcheck.layer import FLOAT32_REASON, FLOAT32_REL_TOL, check_layer
from minirnn.toolkit.gradcheck.report import GradcheckReport, GradcheckRow
from minirnn.toolkit.gradcheck.sweep import (
    SWEEP_EPS, UNIT_ROUNDOFF, EpsSweep, plot_sweep, sweep_eps)
