"""Gradient checking: does a hand-written backward pass agree with what nudging the
inputs actually does to the loss?

For a scalar loss L and one entry x_k of an array, the central difference

    dL/dx_k  ~  (L(x_k + eps) - L(x_k - eps)) / (2 eps)

is off in two ways. Truncation: the Taylor terms of even order cancel and about
eps^2 L''' / 6 is left, which shrinks with eps. Round-off: L is computed to about u |L|
(unit round-off u = 1.1e-16 in float64), and dividing the difference of two such values
by 2 eps magnifies that to about u |L| / eps, which grows as eps shrinks. Against eps the
error draws a V (sweep_eps measures it) whose bottom lies near eps ~ u^(1/3), where the
two balance: hence eps = 1e-5 in float64, where minirnn's cells are estimated to 1e-10,
at worst a few 1e-9. In float32 (u = 6e-8) the bottom is only about 1e-3, so the
estimates are always made in float64.

Each entry is judged by its relative error  |a - n| / max(|a|, |n|, floor), a analytic,
n numerical. Correct backward passes of minirnn's cells stay below 3e-8, inside the
tolerance 1e-7; a missing term or a wrong sign gives 1e-3 to 1.

    numerical_gradient(f, x)                      the idea: an estimate for each entry of x
    relative_error(a, n)                          how far apart two gradients are, per entry
    check_gradients(loss_fn, arrays, analytic)    compare many arrays -> GradcheckReport

The loss function takes no arguments and reads the arrays it depends on, which are
nudged in place one entry at a time (and always restored): pass the very arrays it reads.

The toolkit (minirnn/toolkit/gradcheck/, imported at the end of this file) makes the
check robust: argument checks; kinks, where relu, max or clip switch within +-eps and
the estimate is wrong however right the gradient (found from loss values alone by
kink_slack, then skipped and counted); the report table; check_layer, a whole recurrent
layer (float32 against its float64 twin); sweep_eps and plot_sweep, the V itself.
"""
import numpy as np

DEFAULT_EPS = 1e-5          # ~ u^(1/3) in float64: truncation and round-off balance
DEFAULT_FLOOR = 1e-2        # least denominator of the relative error
DEFAULT_REL_TOL = 1e-7      # correct cells stay below 3e-8


def numerical_gradient(f, x, eps=DEFAULT_EPS, indices=None):
    """dL/dx by central differences, entry by entry (CS231n's eval_numerical_gradient_array).

    f        zero-argument function returning the scalar loss L; it must read x itself
    x        float64 ndarray, nudged in place one entry at a time and restored exactly
    indices  None: every entry, the result has x's shape; else flat (row-major) indices,
             the result is (K,), one estimate per index
    Raises TypeError/ValueError for a wrong x, eps or indices, a loss that is not a finite
    scalar, or an eps too small to change an entry.
    """
    flat = checked_entries(x, eps, indices)      # (K,) flat indices; the toolkit's checks
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


def check_gradients(loss_fn, arrays, analytic, eps=DEFAULT_EPS, max_entries=None, seed=0, *,
                    floor=DEFAULT_FLOOR, rel_tol=DEFAULT_REL_TOL, skip_kinks=True):
    """Compare analytic gradients with central differences, array by array.

    loss_fn      zero-argument function returning the scalar loss, reading `arrays`
    arrays       dict name -> float64 ndarray: the values loss_fn reads, nudged in place
    analytic     dict name -> ndarray of the same shape: the gradients to check
    eps          the finite-difference step
    max_entries  None checks every entry. Otherwise an array with more entries is checked
                 on max_entries distinct entries drawn by np.random.default_rng(seed),
                 array after array in the dict's order: the same call checks the same ones.
    floor        relative_error's: where the gradient is near zero, the absolute error is
                 judged. The estimate's noise grows with |L|; the default suits losses of 1 to 10.
    rel_tol      the tolerance of the report's PASS/FAIL column and of its passed()
    skip_kinks   True: an entry that fails while the loss has a kink within +-eps
                 (kink_slack) is skipped and reported, not failed. A check that skips over
                 half of the entries it examined fails: too little was verified.
    Returns a GradcheckReport. Raises TypeError/ValueError for mismatched arguments.
    """
    check_comparison(arrays, analytic, eps, max_entries, floor, rel_tol)   # the toolkit's checks
    loss_fn = checked_loss(loss_fn)
    rng = np.random.default_rng(seed)
    kinks = KinkTest(loss_fn, eps)
    rows = []
    for name, x in arrays.items():
        flat = sample_entries(x.size, max_entries, rng)                # (K,) all, or a sample
        a = np.asarray(analytic[name], dtype=np.float64).ravel()[flat]  # (K,) analytic
        # numerical, (K,): numerical_gradient's central difference, made robust (it divides
        # by the step actually taken, cannot overflow, and keeps L(x +- eps) for the kink test)
        n, loss_up, loss_down = central_differences(loss_fn, x, eps, flat)
        rel_error = relative_error(a, n, floor)                        # (K,)
        skipped = np.zeros(flat.size, dtype=bool)                      # (K,) not judged
        if skip_kinks:                                                 # failed (a NaN fails) at a kink
            skipped = kinks.explains(x, flat, ~(rel_error <= rel_tol), a, n, loss_up, loss_down)
        rows.append(GradcheckRow.compare(name, x.shape, flat, a, n, rel_error, skipped))
    return GradcheckReport(rows, eps=eps, floor=floor, rel_tol=rel_tol)


# ---- the toolkit (minirnn/toolkit/gradcheck/): the robust machinery, and what builds on it --
# Imported last, because those modules use the definitions above; imported here, so that
# `from minirnn.gradcheck import check_layer` (and every name below) gives the whole checker.
from minirnn.toolkit.gradcheck.arguments import check_comparison, checked_entries, checked_loss
from minirnn.toolkit.gradcheck.differences import central_differences, sample_entries
from minirnn.toolkit.gradcheck.kinks import KINK_FACTOR, KinkTest, kink_slack
from minirnn.toolkit.gradcheck.report import GradcheckReport, GradcheckRow
from minirnn.toolkit.gradcheck.layer import FLOAT32_REASON, FLOAT32_REL_TOL, check_layer
from minirnn.toolkit.gradcheck.sweep import SWEEP_EPS, UNIT_ROUNDOFF, EpsSweep, plot_sweep, sweep_eps
