"""check_gradients: compare analytic gradients with central differences, array by array,
and gather the verdict in a GradcheckReport. It computes minirnn/gradcheck.py's central
difference, made robust (differences.py): the step actually taken, no overflow, and the
two losses kept for the kink test (kinks.py), which skips what a kink explains."""
import numpy as np

from minirnn.gradcheck import DEFAULT_EPS, DEFAULT_FLOOR, DEFAULT_REL_TOL, relative_error
from minirnn.toolkit.gradcheck.arguments import check_comparison, checked_loss
from minirnn.toolkit.gradcheck.differences import central_differences, sample_entries
from minirnn.toolkit.gradcheck.kinks import KinkTest
from minirnn.toolkit.gradcheck.report import GradcheckReport, GradcheckRow

ROUNDOFF_MARGIN = 10        # the floor keeps the estimate's round-off 10 times below rel_tol


def check_gradients(loss_fn, arrays, analytic, eps=DEFAULT_EPS, max_entries=None, seed=0, *,
                    floor=None, rel_tol=DEFAULT_REL_TOL, skip_kinks=True):
    """Compare analytic gradients with central differences, array by array.

    loss_fn      zero-argument function returning the scalar loss, reading `arrays`
    arrays       dict name -> float64 ndarray: the values loss_fn reads, nudged in place
                 one entry at a time and always restored: pass the very arrays it reads
    analytic     dict name -> ndarray of the same shape: the gradients to check
    eps          the finite-difference step
    max_entries  None checks every entry. Otherwise an array with more entries is checked
                 on max_entries distinct entries drawn by np.random.default_rng(seed),
                 array after array in the dict's order: the same call checks the same ones.
    floor        relative_error's: where the gradient is near zero, the absolute error is
                 judged. None (the default): DEFAULT_FLOOR, 0.01, raised where |L| is large.
                 The estimate resolves a gradient only to its round-off, about u |L| / eps
                 (u = 1.1e-16), so where |L| is large (a relu layer's can reach hundreds) the
                 floor rises to ROUNDOFF_MARGIN u |L| / (eps rel_tol), and that noise alone
                 never fails a correct gradient; for the default eps and rel_tol, once |L|
                 exceeds about 9. The report prints the floor used. A number: used as given.
    rel_tol      the tolerance (on the relative error) of the report's PASS/FAIL column
                 and of its passed()
    skip_kinks   True: an entry that fails while the loss has a kink within +-eps
                 (kink_slack) is skipped and reported, not failed. A check that skips over
                 half of the entries it examined fails: too little was verified.
    Returns a GradcheckReport. Raises TypeError/ValueError for mismatched arguments.
    """
    check_comparison(arrays, analytic, eps, max_entries, DEFAULT_FLOOR if floor is None else floor, rel_tol)
    loss_fn = checked_loss(loss_fn)
    rng = np.random.default_rng(seed)
    kinks = KinkTest(loss_fn, eps)
    differences = {}
    for name, x in arrays.items():
        flat = sample_entries(x.size, max_entries, rng)                # (K,) all, or a sample
        differences[name] = (flat, *central_differences(loss_fn, x, eps, flat))   # n, L(x +- eps)
    largest_loss = max(max(np.abs(up).max(), np.abs(down).max()) for _, _, up, down in differences.values())
    if floor is None:                                                  # the estimate's round-off, u |L| / eps,
        roundoff = np.finfo(np.float64).eps / 2 * largest_loss / eps   # kept ROUNDOFF_MARGIN times below rel_tol
        floor = max(DEFAULT_FLOOR, ROUNDOFF_MARGIN * roundoff / rel_tol)
    rows = []
    for name, x in arrays.items():
        flat, n, loss_up, loss_down = differences[name]
        a = np.asarray(analytic[name], dtype=np.float64).ravel()[flat]  # (K,) analytic
        rel_error = relative_error(a, n, floor)                        # (K,)
        skipped = np.zeros(flat.size, dtype=bool)                      # (K,) not judged
        if skip_kinks:                                                 # failed (a NaN fails) at a kink
            skipped = kinks.explains(x, flat, ~(rel_error <= rel_tol), a, n, loss_up, loss_down)
        rows.append(GradcheckRow.compare(name, x.shape, flat, a, n, rel_error, skipped))
    return GradcheckReport(rows, eps=eps, floor=floor, rel_tol=rel_tol)
