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


def check_gradients(loss_fn, arrays, analytic, eps=DEFAULT_EPS, max_entries=None, seed=0, *,
                    floor=DEFAULT_FLOOR, rel_tol=DEFAULT_REL_TOL, skip_kinks=True):
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
                 judged. The estimate's noise grows with |L|; the default suits losses of 1 to 10.
    rel_tol      the tolerance (on the relative error) of the report's PASS/FAIL column
                 and of its passed()
    skip_kinks   True: an entry that fails while the loss has a kink within +-eps
                 (kink_slack) is skipped and reported, not failed. A check that skips over
                 half of the entries it examined fails: too little was verified.
    Returns a GradcheckReport. Raises TypeError/ValueError for mismatched arguments.
    """
    check_comparison(arrays, analytic, eps, max_entries, floor, rel_tol)
    loss_fn = checked_loss(loss_fn)
    rng = np.random.default_rng(seed)
    kinks = KinkTest(loss_fn, eps)
    rows = []
    for name, x in arrays.items():
        flat = sample_entries(x.size, max_entries, rng)                # (K,) all, or a sample
        a = np.asarray(analytic[name], dtype=np.float64).ravel()[flat]  # (K,) analytic
        n, loss_up, loss_down = central_differences(loss_fn, x, eps, flat)   # (K,) numerical, L(x +- eps)
        rel_error = relative_error(a, n, floor)                        # (K,)
        skipped = np.zeros(flat.size, dtype=bool)                      # (K,) not judged
        if skip_kinks:                                                 # failed (a NaN fails) at a kink
            skipped = kinks.explains(x, flat, ~(rel_error <= rel_tol), a, n, loss_up, loss_down)
        rows.append(GradcheckRow.compare(name, x.shape, flat, a, n, rel_error, skipped))
    return GradcheckReport(rows, eps=eps, floor=floor, rel_tol=rel_tol)
