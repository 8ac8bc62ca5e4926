"""Kinks: where relu, max or clipping switch within +-eps of an entry, the central
difference averages two slopes and is wrong however right the gradient is. kink_slack
measures, from loss values alone, how far off it can be; check_gradients skips (and
counts) a failing entry that a kink explains, and judges every other one."""
import math

import numpy as np

from minirnn.toolkit.gradcheck.differences import nudged_losses

KINK_FACTOR = 3


def kink_slack(loss_fn, array, flat_index, eps, loss_0, loss_up, loss_down):
    """How far the central difference at this entry can be off because L is not smooth
    within +-eps of it, in the gradient's units. Costs two more evaluations of L.

    Write L(t) for the loss with this entry moved from x to x + t. Over a step that
    small a smooth L is a cubic to within eps^4 terms, so the third differences of L on
    the five points t = -eps, -eps/2, 0, eps/2, eps,

        t1 = -L(-eps) + 3 L(-eps/2) - 3 L(0) + L(eps/2)       ~ (eps/2)^3 L'''
        t2 = -L(-eps/2) + 3 L(0) - 3 L(eps/2) + L(eps)        ~ (eps/2)^3 L'''

    are nearly zero. Now a kink: say the slope jumps by J at t = d, with 0 < d < eps (a
    relu pre-activation crossing zero there). Then L(t) = smooth(t) + J max(0, t - d).
    The central difference (L(eps) - L(-eps)) / (2 eps) picks up J (eps - d) / (2 eps)
    from the kink term, however right the gradient is. The kink term also enters t1
    or t2 (whichever stencil straddles d): working out where d falls among 0, eps/2
    and eps gives slack = max(|t1|, |t2|) / eps >= J (eps - d) / (4 eps), at least half
    the central difference's error, for every d (tightest at d = eps/3; t1 or t2 alone
    vanishes for some d, hence both). So at an entry where the function is
    differentiable but a kink is near, a correct gradient has |a - n| <= 2 slack;
    check_gradients skips a failing entry with |a - n| <= KINK_FACTOR slack (3: a
    margin of 1.5 over that bound).

    Where L is smooth, slack is about the central difference's own error (truncation
    eps^2 L'''/8 against its eps^2 L'''/6, and round-off), so a wrong gradient can be
    skipped only where its error is within three times what the estimate itself can
    resolve. Measured at eps 1e-5 (MINIRNN_KINK_TRIALS=5000 python -m pytest
    tests/toolkit/gradcheck/test_kinks.py -k figures -s; the scripts are in that file):
      - one kink within the step, 5,000 random functions sin + cubic + J relu(x - k):
        |a - n| / slack at most 1.9999 (the bound is 2), so every failure was skipped;
        two kinks within the step (their third differences can partly cancel): 0.32%
        of the failures were still failed (a ratio above 3);
      - relu RNN layers with one pre-activation placed within eps of zero, 200 random
        layers: 192 failed without skipping, none with it; 10.3% of their entries were
        skipped, since nudging any weight into that unit crosses the kink as well;
      - deliberately wrong gradients of tanh RNN, LSTM and GRU layers (scaled by
        1 + 1e-6 to 3, one wrong sign, added noise, zeroed), 312 layers: none of the
        4,041 failing entries was skipped (in another sample, 1 of 3,587: an error of
        1.4e-9 where slack, the estimate's own round-off there, was 6e-10).
    """
    (l_down_half, l_up_half), _ = nudged_losses(loss_fn, array, flat_index, (-eps / 2, eps / 2))
    l = [v / 8 for v in (loss_down, l_down_half, loss_0, l_up_half, loss_up)]   # /8: no overflow below
    t1 = math.fsum((-l[0], 3 * l[1], -3 * l[2], l[3]))      # fsum: exact, no cancellation error
    t2 = math.fsum((-l[1], 3 * l[2], -3 * l[3], l[4]))
    return 8 * max(abs(t1), abs(t2)) / eps


class KinkTest:
    """check_gradients' decision, entry by entry: is a failure explained by a kink?

    L at the unperturbed point, which kink_slack needs, is evaluated once per check,
    and only if some entry fails.
    """

    def __init__(self, loss_fn, eps):
        self.loss_fn, self.eps, self.loss_0 = loss_fn, eps, None

    def explains(self, array, flat, failed, a, n, loss_up, loss_down):
        """(K,) bool: the failed entries to skip, those with |a - n| <= KINK_FACTOR slack.
        flat, a, n, loss_up, loss_down are check_gradients' (K,) arrays for this array."""
        skipped = np.zeros(flat.size, dtype=bool)
        for j in np.flatnonzero(failed):
            if self.loss_0 is None:
                self.loss_0 = self.loss_fn()
            slack = kink_slack(self.loss_fn, array, flat[j], self.eps, self.loss_0, loss_up[j], loss_down[j])
            error = abs(float(a[j]) - float(n[j]))           # Python floats: inf, not a warning, past 1.8e308
            skipped[j] = error <= KINK_FACTOR * slack          # "<=": a NaN error or slack is not skipped
        return skipped
