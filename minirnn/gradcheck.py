"""Finite-difference gradient checking: does a hand-written backward pass agree with
what nudging the inputs actually does to the loss?

For a scalar loss L and one entry x_k of an array, the central difference

    dL/dx_k  ~  (L(x_k + eps) - L(x_k - eps)) / (2 eps)

is off in two ways. Truncation: the first-order terms cancel and about eps^2 L''' / 6
is left, so it shrinks with eps. Round-off: L is computed to about u |L| (u = 1.1e-16
in float64), and dividing the difference of two such values by 2 eps magnifies that to
about u |L| / eps, which grows as eps shrinks. The two balance near eps ~ u^(1/3): the
default eps = 1e-5 in float64, where minirnn's cells are estimated to 1e-10, at worst a
few 1e-9. ``sweep_eps`` measures the whole V. In float32 (u = 6e-8) the bottom of the V
is near 1e-3 for the same cells, so the estimates are always made in float64
(``check_layer`` checks a float32 layer against its float64 twin).

Each entry is judged by its relative error  rel = |a - n| / max(|a|, |n|, floor),
a analytic, n numerical. Correct backward passes of minirnn's cells stay below 3e-8,
inside the default tolerance 1e-7; a missing term or a wrong sign gives 1e-3 to 1.
Where relu, max or clipping put a kink within +-eps of x_k, the estimate is wrong
however right the gradient is: ``check_gradients`` detects such entries from the loss
values alone and skips them, with the count in the report (``kink_slack`` says how).

    numerical_gradient(loss_fn, array)            the estimates for one array
    check_gradients(loss_fn, arrays, analytic)    compare many arrays -> GradcheckReport
    check_layer(layer, x, state)                  a whole recurrent layer -> GradcheckReport
    sweep_eps(layer, x, state)                    the error against eps, float64 and float32

loss_fn takes no arguments and reads the arrays it depends on, which are perturbed in
place one entry at a time (and always restored): pass the very arrays loss_fn reads.
"""
import copy
import math
import textwrap
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from minirnn.toolkit.validate import counted

DEFAULT_EPS = 1e-5
DEFAULT_FLOOR = 1e-2
DEFAULT_REL_TOL = 1e-7


def numerical_gradient(loss_fn, array, eps=DEFAULT_EPS, indices=None):
    """Estimate dL/d(array) by central differences.

    loss_fn   zero-argument function returning the scalar loss; it must read `array`
    array     float64 ndarray, perturbed in place one entry at a time and restored
    eps       the step
    indices   None: every entry, the result has array's shape; otherwise a sequence of
              flat (row-major) indices, the result is 1-D with one estimate per index
    Raises TypeError/ValueError for a wrong array, eps or indices, a loss that is not a
    finite scalar, or an eps too small to change an entry.
    """
    _check_float64("array", array)
    flat = _check_indices(array, indices)      # (K,) flat indices
    grad, _, _ = _central_differences(loss_fn, array, _check_eps(eps), flat)
    return grad.reshape(array.shape) if indices is None else grad


def _central_differences(loss_fn, array, eps, flat, step_lost="raise"):
    """(L(x + eps) - L(x - eps)) / (x + eps - (x - eps)) for each flat index.

    Returns the estimates, L(x + eps) and L(x - eps), each (K,). The step actually taken
    is used: x + eps and x - eps are rounded to the array's dtype. Where they round to
    the same number, step_lost="raise" raises and "nan" gives NaN (no estimate).
    """
    grad, loss_up, loss_down = np.empty(flat.size), np.empty(flat.size), np.empty(flat.size)
    for k, i in enumerate(flat):
        (loss_up[k], loss_down[k]), (up, down) = _nudged_losses(loss_fn, array, i, (eps, -eps))
        if up == down:
            if step_lost == "raise":
                index = tuple(int(j) for j in np.unravel_index(i, array.shape))
                raise ValueError(f"eps={eps} is too small to change entry {index} (value {array[index]}): "
                                 f"x + eps rounds to x - eps")
            grad[k] = np.nan
            continue
        # halves first, so that the difference of two huge losses cannot overflow
        grad[k] = (loss_up[k] / 2 - loss_down[k] / 2) / ((up - down) / 2)
    return grad, loss_up, loss_down


def _nudged_losses(loss_fn, array, flat_index, offsets):
    """L with array's entry flat_index moved by each offset in turn, and the offsets
    actually taken (after rounding to the array's dtype); the entry is restored exactly."""
    index = np.unravel_index(flat_index, array.shape)
    original = array[index]
    losses, taken = [], []
    try:
        for offset in offsets:
            array[index] = original + offset
            taken.append(float(array[index]) - float(original))
            losses.append(_evaluate(loss_fn))
    finally:
        array[index] = original                # restore exactly, even if loss_fn raised
    return losses, taken


# ---- comparing analytic and numerical gradients --------------------------------------------

class GradcheckRow(NamedTuple):
    """The comparison for one array."""
    name: str
    shape: tuple
    checked: int            # entries examined: compared, or skipped at a kink (sampled ones only,
                            # with max_entries); checked - len(skipped) were verified
    size: int               # entries in the array
    max_rel_error: float    # over the checked entries that were not skipped
    max_abs_error: float
    worst_index: tuple      # index of the entry with the largest relative error
    analytic: float         # the two gradients at that entry
    numerical: float
    skipped: tuple = ()     # indices of the entries skipped at a kink

    def passed(self, rel_tol):
        """Every entry judged is within rel_tol (a NaN fails)."""
        return self.max_rel_error <= rel_tol


def check_gradients(loss_fn, arrays, analytic, eps=DEFAULT_EPS, max_entries=None, seed=0,
                    *, floor=DEFAULT_FLOOR, rel_tol=DEFAULT_REL_TOL, skip_kinks=True):
    """Compare analytic gradients with central differences, array by array.

    loss_fn      zero-argument function returning the scalar loss, reading `arrays`
    arrays       dict name -> float64 ndarray: the values loss_fn reads, perturbed in place
    analytic     dict name -> ndarray of the same shape: the gradients to check
    eps          the finite-difference step
    max_entries  None checks every entry. Otherwise an array with more entries is
                 checked on a random sample of max_entries distinct entries, drawn
                 without replacement by np.random.default_rng(seed), array after array
                 in the dict's order, so the same call checks the same entries.
    floor        the relative error's denominator is at least this: an entry whose
                 gradient is near zero is judged by its absolute error instead, so that
                 the estimate's absolute noise is not divided by almost nothing. The
                 noise grows with |L|, and the default suits losses of size 1 to 10.
    rel_tol      the tolerance the report's PASS/FAIL column and passed() use by default
    skip_kinks   True: an entry that fails and whose loss has a kink within +-eps
                 (``kink_slack``) is skipped and reported, not failed. A check that skips
                 over half of all the entries it examined fails: too little was verified.
    Returns a GradcheckReport. Raises TypeError/ValueError for mismatched arguments.
    """
    eps = _check_eps(eps)
    _check_comparison(arrays, analytic, max_entries, floor, rel_tol)
    rng = np.random.default_rng(seed)
    loss_at_x = []                             # L at the unperturbed point, computed once if needed
    rows = []
    for name, array in arrays.items():
        if max_entries is not None and array.size > max_entries:
            flat = np.sort(rng.choice(array.size, size=int(max_entries), replace=False))
        else:
            flat = np.arange(array.size)
        a = np.asarray(analytic[name], dtype=np.float64).ravel()[flat]          # (K,)
        n, loss_up, loss_down = _central_differences(loss_fn, array, eps, flat)  # (K,) each
        rel_error, abs_error = _errors(a, n, floor)
        judged = np.ones(flat.size, dtype=bool)
        if skip_kinks:
            for j in np.flatnonzero(~(rel_error <= rel_tol)):
                if not loss_at_x:
                    loss_at_x.append(_evaluate(loss_fn))
                slack = kink_slack(loss_fn, array, flat[j], eps, loss_at_x[0], loss_up[j], loss_down[j])
                # skipped (not judged) only where the kink explains the error; "not <=" so that
                # a NaN error or slack is judged, and fails
                judged[j] = not abs_error[j] <= KINK_FACTOR * slack
        rows.append(_row(name, array.shape, flat, a, n, rel_error, abs_error, judged))
    return GradcheckReport(rows, eps=eps, floor=floor, rel_tol=rel_tol)


def _errors(a, n, floor):
    """Relative and absolute errors, (K,) each; the relative one cannot overflow."""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)   # (K,)
    rel_error = np.abs(a / scale - n / scale)                     # both quotients in [-1, 1]
    with np.errstate(over="ignore"):                              # beyond float64: inf, as it should
        abs_error = np.abs(a - n)
    return rel_error, abs_error


def _row(name, shape, flat, a, n, rel_error, abs_error, judged):
    """One GradcheckRow: the worst judged entry, and the skipped ones."""
    index = lambda i: tuple(int(j) for j in np.unravel_index(i, shape))
    skipped = tuple(index(i) for i in flat[~judged])
    if not judged.any():                       # nothing (left) to disagree on
        return GradcheckRow(name, shape, int(flat.size), int(np.prod(shape)), 0.0, 0.0, (), 0.0, 0.0, skipped)
    rel, err = np.where(judged, rel_error, -1.0), np.where(judged, abs_error, 0.0)
    worst = int(np.argmax(np.where(np.isnan(rel), np.inf, rel)))   # a NaN is the worst of all
    return GradcheckRow(name, shape, int(flat.size), int(np.prod(shape)), float(rel[worst]),
                        float(err.max()), index(flat[worst]), float(a[worst]), float(n[worst]), skipped)


# ---- kinks: where the central difference cannot be trusted ------------------------------------

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
    tests/test_gradcheck_kinks.py -k figures -s; the scripts are in that file):
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
    (l_down_half, l_up_half), _ = _nudged_losses(loss_fn, array, flat_index, (-eps / 2, eps / 2))
    l = [v / 8 for v in (loss_down, l_down_half, loss_0, l_up_half, loss_up)]   # /8: no overflow below
    t1 = math.fsum((-l[0], 3 * l[1], -3 * l[2], l[3]))      # fsum: exact, no cancellation error
    t2 = math.fsum((-l[1], 3 * l[2], -3 * l[3], l[4]))
    return 8 * max(abs(t1), abs(t2)) / eps


# ---- the report --------------------------------------------------------------------------------

@dataclass
class GradcheckReport:
    """The per-array results of check_gradients; print it to read them as a table."""
    rows: list
    eps: float = DEFAULT_EPS
    floor: float = DEFAULT_FLOOR
    rel_tol: float = DEFAULT_REL_TOL

    @property
    def max_rel_error(self):
        """The largest relative error over every array (0.0 when nothing was checked)."""
        return max((row.max_rel_error for row in self.rows), default=0.0)

    @property
    def skipped(self):
        """How many entries were skipped at kinks, over every array."""
        return sum(len(row.skipped) for row in self.rows)

    @property
    def checked(self):
        return sum(row.checked for row in self.rows)

    def passed(self, rel_tol=None):
        """True when every array's max relative error is <= rel_tol (default self.rel_tol)
        and at most half of the entries examined were skipped at kinks."""
        rel_tol = self.rel_tol if rel_tol is None else rel_tol
        return all(row.passed(rel_tol) for row in self.rows) and not self._mostly_skipped()

    def _mostly_skipped(self):
        return 2 * self.skipped > self.checked

    def __str__(self):
        header = ["array", "shape", "examined", "max rel err", "max abs err", "worst at",
                  "analytic", "numerical", "result"]
        lines = [_format_row(row, self.rel_tol) for row in self.rows]
        if self.skipped:                       # the column appears only when it says something
            header.insert(3, "skipped")
            for cells, row in zip(lines, self.rows):
                cells.insert(3, str(len(row.skipped)))
        widths = [max(len(cells[j]) for cells in [header] + lines) for j in range(len(header))]
        left = {header.index(h) for h in ("array", "shape", "worst at", "result")}   # text flush left

        def join(cells):
            return "  ".join(c.ljust(w) if j in left else c.rjust(w)
                             for j, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [f"gradient check: central differences with eps={self.eps:g}; "
               f"rel err = |a - n| / max(|a|, |n|, {self.floor:g}), a analytic, n numerical",
               join(header)]
        out += [join(cells) for cells in lines]
        failed = [row.name for row in self.rows if not row.passed(self.rel_tol)]
        if failed:
            out.append(f"FAIL: {len(failed)} of {counted(len(self.rows), 'array')} above "
                       f"rel tol {self.rel_tol:.0e} ({', '.join(failed)}); "
                       f"max rel err {self.max_rel_error:.1e}")
        elif self._mostly_skipped():
            out.append(f"FAIL: {self.skipped} of the {self.checked} entries examined were skipped, over half: "
                       f"too little was verified (is eps far from 1e-5? see --sweep-eps)")
        else:
            out.append(f"PASS: all {counted(len(self.rows), 'array')} within rel tol {self.rel_tol:.0e}; "
                       f"max rel err {self.max_rel_error:.1e}")
        if self.skipped:
            out.append(_describe_skipped(self.rows))
        # the commonest mistake: loss_fn computes from a copy, so nudging changes nothing
        unread = [row.name for row in self.rows
                  if row.numerical == 0 and row.analytic != 0 and row.max_rel_error >= 1]
        if unread:
            out.append(f"note: the loss did not move when {', '.join(unread)} changed; "
                       f"does loss_fn read these very arrays, not copies?")
        return "\n".join(out)


def _format_row(row, rel_tol):
    """The table cells of one row, as strings."""
    verdict = "PASS" if row.passed(rel_tol) else "FAIL"
    return [row.name, str(row.shape), f"{row.checked}/{row.size}",
            f"{row.max_rel_error:.1e}", f"{row.max_abs_error:.1e}", str(row.worst_index),
            f"{row.analytic:.6e}", f"{row.numerical:.6e}", verdict]


def _describe_skipped(rows):
    """The skipped entries, a few per array, and why."""
    count = sum(len(row.skipped) for row in rows)
    where = "; ".join(f"{row.name} at {', '.join(map(str, row.skipped[:3]))}"
                      + (f" and {len(row.skipped) - 3} more" if len(row.skipped) > 3 else "")
                      for row in rows if row.skipped)
    return (f"skipped {count} {_plural(count, 'entry', 'entries')} ({where}): the loss has a kink "
            f"within +-eps there (a relu, max or clip switching), so the central difference averages "
            f"two slopes and is no test of the gradient")


def _plural(count, one, many):
    return one if count == 1 else many


# ---- a whole recurrent layer -----------------------------------------------------------------

FLOAT32_REL_TOL = 1e-3
FLOAT32_REASON = (
    "float32 keeps 24 bits (unit round-off u = 6.0e-8), and each gradient entry is a sum of "
    "many products carried back through T steps, each rounded, so a correct float32 backward "
    "pass differs from the exact gradient by about 1e-6 to 1e-4 relative, more for longer "
    "sequences and where terms cancel (measured: median 3.7e-6 and max 6.2e-5 over 600 random "
    "small layers, up to 1.3e-4 at T=50); tolerance 1e-3 leaves room for that, while a missing "
    "term or a wrong sign (1e-2 to 1) still fails")


def check_layer(layer, x, state=None, lengths=None, seed=0, **options):
    """Gradient-check a recurrent layer: every parameter, the input and the initial state.

    The loss is a random linear function of everything the layer returns,
        L = sum(dy * y) + sum(dstate * final_state),
    so that backward(dy, dstate) must give exactly dL/d(params), dL/dx, dL/dstate0.
    A float64 layer is checked against its own finite differences. A float32 layer's
    gradients (its own float32 backward pass) are checked against the finite
    differences of its float64 twin at the same point, with rel_tol FLOAT32_REL_TOL
    by default (FLOAT32_REASON says why). x and state are copied; the layer's arrays
    are perturbed and restored. With dropout, every evaluation reuses the random masks
    of the first one, so the dropout backward is checked too.
    `options` go to check_gradients.
    Returns a GradcheckReport with rows "x", "h0" (and "c0"), then every parameter.
    """
    twin = layer if layer.dtype == np.float64 else _in_dtype(layer, np.float64)
    problem = _LayerProblem(twin, x, state, lengths, seed, values_dtype=layer.dtype)
    analytic = problem.gradients(layer)        # the layer's own backward pass, in its own dtype
    options.setdefault("rel_tol", DEFAULT_REL_TOL if layer.dtype == np.float64 else FLOAT32_REL_TOL)
    report = check_gradients(problem.loss, problem.arrays, analytic, seed=seed, **options)
    problem.done(layer)
    return report


class _LayerProblem:
    """The random linear loss of check_layer, for one layer at one point.

    x, the initial state, dy and dstate are values of values_dtype (rounded to float32
    for a float32 check), x and the state stored in the layer's dtype, dy and dstate in
    float64. So a float32 layer and its float64 twin evaluate the same loss at the same
    point. The loss is accumulated in float64
    whatever the layer's dtype: sum(dy * y) neither overflows nor loses digits.
    """

    def __init__(self, layer, x, state, lengths, seed, values_dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.layer, self.lengths = layer, lengths
        self.masks_state = layer.rng.bit_generator.state      # replayed: the same dropout masks each time
        as_values = lambda a: np.asarray(a, dtype=np.float64).astype(values_dtype).astype(layer.dtype)
        self.x = as_values(x)
        states0 = None if state is None else tuple(as_values(s) for s in layer.state_parts(state))
        y, final = layer.forward(self.x, None if states0 is None else self._pack(states0), lengths=lengths)
        layer.rng.bit_generator.state = self.masks_state
        finals = layer.state_parts(final)                      # (h,) or (h, c), each (L*D, B, N)
        self.states0 = states0 if states0 is not None else tuple(np.zeros_like(f) for f in finals)
        as_float64_values = lambda a: a.astype(values_dtype).astype(np.float64)
        self.dy = as_float64_values(rng.standard_normal(y.shape))
        self.dfinals = tuple(as_float64_values(rng.standard_normal(f.shape)) for f in finals)
        state_names = [f"{n}0" for n in layer.state_names]
        self.arrays = {"x": self.x, **dict(zip(state_names, self.states0)), **layer.params}

    @staticmethod
    def _pack(parts):
        return parts if len(parts) > 1 else parts[0]           # the layer's own form: h, or (h, c)

    def loss(self, layer=None):
        """L at the current arrays, as a float64 number."""
        layer = self.layer if layer is None else layer
        layer.rng.bit_generator.state = self.masks_state
        states0 = tuple(np.asarray(s, dtype=layer.dtype) for s in self.states0)
        y, final = layer.forward(np.asarray(self.x, dtype=layer.dtype), self._pack(states0),
                                 lengths=self.lengths)
        return (np.sum(self.dy * y) +                          # dy float64: float64 products and sums
                sum(np.sum(d * f) for d, f in zip(self.dfinals, layer.state_parts(final))))

    def gradients(self, layer):
        """dL/d(every array) from layer's backward pass (this problem's layer or its float32 twin)."""
        self.loss(layer)
        self.masks_used = layer.rng.bit_generator.state        # as if the layer had run forward once
        dx, dstate0 = layer.backward(self.dy.astype(layer.dtype),
                                     self._pack(tuple(d.astype(layer.dtype) for d in self.dfinals)))
        values = [dx, *layer.state_parts(dstate0), *(layer.grads[k].copy() for k in layer.params)]
        return dict(zip(self.arrays, values))

    def done(self, layer):
        """Leave layer's random generator as if it had run forward once."""
        layer.rng.bit_generator.state = self.masks_used


def _in_dtype(layer, dtype):
    """A copy of a recurrent layer computing in dtype, with the same (cast) parameters
    and its own copy of the random generator (the same dropout masks)."""
    twin = copy.copy(layer)
    twin.dtype = np.dtype(dtype)
    twin.rng = copy.deepcopy(layer.rng)
    twin.params = {name: p.astype(dtype) for name, p in layer.params.items()}
    twin.grads = {name: np.zeros_like(p) for name, p in twin.params.items()}
    return twin


# ---- the V: error against eps ------------------------------------------------------------------

SWEEP_EPS = tuple(10.0 ** -k for k in range(1, 11))           # 1e-1 .. 1e-10
UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}


@dataclass
class EpsSweep:
    """The max relative error of the central difference per array, against eps.

    eps      the steps, largest first
    errors   dtype name ("float64", "float32") -> array name -> (len(eps),) max rel error
    lost     dtype name -> (len(eps),) bool: some entry's step rounded away (x + eps == x
             - eps in that dtype), so no estimate exists there; its error counts as 1
    """
    eps: tuple
    errors: dict
    lost: dict
    floor: float = DEFAULT_FLOOR

    def worst(self, dtype):
        """(len(eps),) the max over arrays, per eps."""
        return np.max(np.stack(list(self.errors[dtype].values())), axis=0)

    def minimum(self, dtype):
        """(eps, error) where the worst array's error is smallest."""
        worst = self.worst(dtype)
        k = int(np.argmin(worst))
        return self.eps[k], float(worst[k])

    def arms(self, dtype):
        """The slopes of log10(error) against log10(eps) on each side of the minimum, by
        least squares from the minimum out, leaving out errors of 0.5 and more (there the
        estimate says nothing): (right arm, about +2 where truncation rules; left arm,
        about -1 where round-off rules). NaN for an arm with fewer than two such points."""
        worst, logs = self.worst(dtype), np.log10(self.eps)
        k = int(np.argmin(worst))
        usable = (worst < 0.5) & ~self.lost[dtype]

        def slope(side):
            points = [j for j in side if usable[j]]
            if len(points) < 2:
                return float("nan")
            return float(np.polyfit(logs[points], np.log10(worst[points]), 1)[0])

        return slope(range(0, k + 1)), slope(range(k, len(self.eps)))

    def __str__(self):
        out = [textwrap.fill("eps sweep: the largest relative error of the central difference in each "
                             f"array, rel err = |a - n| / max(|a|, |n|, {self.floor:g}), n computed in "
                             "the dtype shown, a the float64 analytic gradient at the same point", 92)]
        for dtype, errors in self.errors.items():
            names = list(errors) + ["max"]
            width = max(8, *(len(n) + 1 for n in names))
            out.append(f"\n{dtype} (unit round-off u = {UNIT_ROUNDOFF[dtype]:.1e})")
            out.append(f"{'eps':>6}" + "".join(f"{n:>{width}}" for n in names))
            worst = self.worst(dtype)
            for k, eps in enumerate(self.eps):
                values = [errors[n][k] for n in errors] + [worst[k]]
                mark = "  *" if self.lost[dtype][k] else ""
                out.append(f"{eps:>6.0e}" + "".join(f"{v:>{width}.1e}" for v in values) + mark)
            eps_min, err_min = self.minimum(dtype)
            right, left = self.arms(dtype)
            out.append(f"minimum {err_min:.1e} at eps = {eps_min:.0e}; the arms' slopes "
                       f"(log error per log eps): {right:+.1f} to the right, {left:+.1f} to the left")
            if self.lost[dtype].any():
                out.append("* x + eps rounds to x - eps for some entries: no estimate there (counted as error 1)")
        u64, u32 = UNIT_ROUNDOFF["float64"], UNIT_ROUNDOFF["float32"]
        out.append(
            "\nWhy a V: the central difference is off by truncation, about eps^2 L'''/6 (slope +2 "
            "on this log-log scale: ten times smaller eps, a hundred times smaller error), and by "
            "round-off (slope -1: L is computed with a rounding error of a few u |L| or more, and "
            "the difference of two such values is divided by 2 eps). For a loss whose size and "
            "derivatives are about 1 the two are equal near eps ~ u^(1/3), "
            f"{u64 ** (1 / 3):.0e} in float64 and {u32 ** (1 / 3):.0e} in float32, where the error "
            f"is about u^(2/3), {u64 ** (2 / 3):.0e} and {u32 ** (2 / 3):.0e}; a loss summed from "
            "many rounded terms, and gradient entries near zero (judged against the floor), lift "
            "the bottom, as measured above. A right arm flatter than +2 means kinks (relu) inside "
            "the step; a V whose bottom stays above the tolerance at every eps means a wrong gradient.")
        out[-1] = "\n" + textwrap.fill(out[-1].lstrip("\n"), 92)
        return "\n".join(out)


def sweep_eps(layer, x, state=None, lengths=None, seed=0, eps_values=SWEEP_EPS, max_entries=None,
              floor=DEFAULT_FLOOR):
    """Measure the central difference's error against eps, in float64 and in float32.

    The layer's loss is check_layer's. Its parameters are rounded to float32 values, so
    that a float64 copy and a float32 copy compute the same function at the same point;
    the reference is the float64 copy's analytic gradient (exact to ~1e-15). For each
    dtype and each eps the central differences are taken in that dtype (the layer
    computes in it; the loss is summed in float64), with no kink skipping: this
    measures the estimate itself. The layer itself is not changed.
    max_entries samples entries as in check_gradients. Returns an EpsSweep.
    """
    eps_values = tuple(_check_eps(e) for e in eps_values)
    layer64 = _in_dtype(_in_dtype(layer, np.float32), np.float64)   # float32 values, float64 layer
    reference = _LayerProblem(layer64, x, state, lengths, seed, values_dtype=np.float32)
    analytic = reference.gradients(layer64)
    errors, lost = {}, {}
    for dtype in (np.float64, np.float32):
        twin = _in_dtype(layer64, dtype)
        problem = _LayerProblem(twin, x, state, lengths, seed, values_dtype=np.float32)
        rng = np.random.default_rng(seed)
        name = np.dtype(dtype).name
        errors[name], lost[name] = {}, np.zeros(len(eps_values), dtype=bool)
        for array_name, array in problem.arrays.items():
            flat = np.arange(array.size)
            if max_entries is not None and array.size > max_entries:
                flat = np.sort(rng.choice(array.size, size=int(max_entries), replace=False))
            a = analytic[array_name].ravel()[flat]
            row = np.empty(len(eps_values))
            for k, eps in enumerate(eps_values):
                n, _, _ = _central_differences(problem.loss, array, eps, flat, step_lost="nan")
                lost[name][k] |= bool(np.isnan(n).any())
                rel_error, _ = _errors(a, np.where(np.isnan(n), 0.0, n), floor)
                rel_error[np.isnan(n)] = 1.0
                row[k] = rel_error.max()
            errors[name][array_name] = row
    return EpsSweep(eps_values, errors, lost, floor)


def plot_sweep(sweep, path, title=""):
    """Draw an EpsSweep on log-log axes to a PNG at path, written atomically."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minirnn.toolkit.atomic import atomic_write

    fig, ax = plt.subplots(figsize=(7.5, 5))
    eps = np.array(sweep.eps)
    for (dtype, errors), color in zip(sweep.errors.items(), ("tab:blue", "tab:orange")):
        for row in errors.values():
            ax.loglog(eps, row, color=color, alpha=0.3, linewidth=1)
        worst = sweep.worst(dtype)
        ax.loglog(eps, worst, color=color, linewidth=2.5, marker="o",
                  label=f"{dtype}: the worst array (thin lines: each array)")
        eps_min, err_min = sweep.minimum(dtype)
        right_side = eps_min < eps.max() / 100      # the label goes where the V leaves room
        ax.annotate(f"minimum {err_min:.0e}\nat eps = {eps_min:.0e}", (eps_min, err_min), color=color,
                    textcoords="offset points", xytext=(12 if right_side else -10, -30),
                    ha="left" if right_side else "right", fontsize=8)
        # slope -1, through the smallest eps that still has an estimate: the round-off arm
        j = np.flatnonzero((worst < 0.5) & ~sweep.lost[dtype])[-1]
        guide = eps[list(sweep.eps).index(eps_min):j + 1]
        ax.loglog(guide, worst[j] * eps[j] / guide, color=color, linestyle=":", linewidth=1.5,
                  label=f"{dtype} round-off ~ u/eps (slope -1)")
    guide = eps[:5]                            # slope +2, through the largest eps: truncation
    ax.loglog(guide, sweep.worst("float64")[0] * (guide / eps[0]) ** 2, color="gray", linestyle="--",
              linewidth=1.5, label="truncation ~ eps^2 (slope +2)")
    ax.set_xlabel("eps (the finite-difference step)")
    ax.set_ylabel("max relative error of the central difference")
    ax.set_title(title or "Central differences: truncation ~ eps^2 against round-off ~ u/eps")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_ylim(bottom=min(ax.get_ylim()[0], 1e-4 * min(sweep.minimum(d)[1] for d in sweep.errors)))
    ax.legend(fontsize=8, loc="lower left")                  # under the round-off arms: room made above
    fig.tight_layout()
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    finally:
        plt.close(fig)


# ---- argument checks ----------------------------------------------------------------------------

def _evaluate(loss_fn):
    """Call loss_fn() and return its value as a Python float, refusing anything else."""
    value = np.asarray(loss_fn())
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        raise TypeError(
            f"loss_fn must return a scalar number, got shape {value.shape} dtype {value.dtype}")
    value = float(value.reshape(()))
    if not np.isfinite(value):
        raise ValueError(f"loss_fn returned {value}; finite differences need a finite loss")
    return value


def _check_float64(name, array):
    """Raise unless array is a writable float64 ndarray: finite differences need both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name}: expected a numpy float64 array, got {type(array).__name__}")
    if array.dtype != np.float64:
        raise TypeError(
            f"{name}: expected dtype float64, got {array.dtype}; finite differences in "
            f"lower precision are dominated by rounding (convert with .astype(np.float64) "
            f"and make loss_fn read the converted array)")
    if not array.flags.writeable:
        raise ValueError(f"{name}: the array is read-only; it must be perturbed in place")


def _check_eps(eps):
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps: expected a positive finite step, got {eps}")
    return float(eps)


def _check_indices(array, indices):
    """The flat indices to estimate: every entry for None, else checked to be in range."""
    flat = np.arange(array.size) if indices is None else np.asarray(indices, dtype=np.int64)
    if flat.ndim != 1 or (flat.size and (flat.min() < 0 or flat.max() >= array.size)):
        raise ValueError(
            f"indices: expected flat indices in [0, {array.size}), got {np.asarray(indices)!r}")
    return flat


def _check_comparison(arrays, analytic, max_entries, floor, rel_tol):
    """The arguments of check_gradients: the same names, shapes, finite gradients, sane settings."""
    if set(arrays) != set(analytic):
        raise ValueError(
            f"arrays and analytic must name the same arrays; only in arrays: "
            f"{sorted(set(arrays) - set(analytic))}, only in analytic: "
            f"{sorted(set(analytic) - set(arrays))}")
    if max_entries is not None and (int(max_entries) != max_entries or max_entries < 1):
        raise ValueError(f"max_entries: expected None or a positive integer, got {max_entries!r}")
    if not floor > 0:
        raise ValueError(f"floor: expected a positive number, got {floor}")
    if not np.isfinite(rel_tol) or rel_tol <= 0:
        raise ValueError(f"rel_tol: expected a positive finite number, got {rel_tol}")
    for name, array in arrays.items():
        _check_float64(f"arrays[{name!r}]", array)
        grad = np.asarray(analytic[name])
        if grad.shape != array.shape:
            raise ValueError(f"analytic[{name!r}]: expected shape {array.shape} "
                             f"(the array's), got {grad.shape}")
        if not np.all(np.isfinite(grad)):
            raise ValueError(f"analytic[{name!r}] contains non-finite values "
                             f"(first at {np.argwhere(~np.isfinite(grad))[0].tolist()})")
