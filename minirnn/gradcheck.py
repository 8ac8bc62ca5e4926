"""Finite-difference gradient checking: does a hand-written backward pass agree with
what nudging the inputs actually does to the loss?

For a scalar loss L and one entry x_k of an array, the central difference

    dL/dx_k  ~  (L(x_k + eps) - L(x_k - eps)) / (2 eps)

approximates the derivative with an error that shrinks like eps^2 (the first-order
terms cancel). eps cannot be made arbitrarily small: L itself is computed with
rounding errors of about 1e-16 |L|, and dividing their difference by 2 eps magnifies
them. In float64, with losses of size 1 to 10, the two errors balance near eps = 1e-5,
the default: there the estimate is typically good to 1e-10 and at worst to a few 1e-9
(measured on minirnn's cells). At eps = 1e-6 rounding already dominates and the
relative errors below grow about tenfold, to 2e-7. In float32 rounding is 1e-7
instead of 1e-16 and the estimate is worthless, so only float64 arrays are accepted.

Each entry is compared by its relative error

    rel = |a - n| / max(|a|, |n|, floor)          a analytic, n numerical

Relative, so that a gradient of 1e+3 and one of 1e-1 are judged alike. The floor
(default 1e-2) keeps an entry whose true gradient is near zero from dividing the
estimate's absolute noise by almost nothing: below the floor, the error is measured
against the floor instead, i.e. absolutely. The noise grows with |L|, so the floor
suits losses of size about 1 to 10; for a loss scaled far from that, scale the floor
alike. Measured on 150 random problems per cell (T 3-5, B 2-3, I and N 1-4, eps 1e-5,
default floor), correct backward passes of minirnn's cells stay below 3e-8, inside
the default tolerance 1e-7; a missing term or a wrong sign gives 1e-3 to 1, and even
a gradient scaled by 1 + 1e-5 fails.

    numerical_gradient(loss_fn, array, eps, indices)    the estimates for one array
    check_gradients(loss_fn, arrays, analytic, ...)     compare many arrays -> GradcheckReport
    check_layer(layer, x, state, lengths, ...)          a whole RNN/LSTM/GRU layer -> GradcheckReport

loss_fn takes no arguments and reads the arrays it depends on, which are perturbed
in place one entry at a time (and always restored): pass the very arrays loss_fn reads,
not copies.
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

DEFAULT_EPS = 1e-5
DEFAULT_FLOOR = 1e-2
DEFAULT_REL_TOL = 1e-7


def _require_float64(name, array):
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


def numerical_gradient(loss_fn, array, eps=DEFAULT_EPS, indices=None):
    """Estimate dL/d(array) by central differences.

    loss_fn   zero-argument function returning the scalar loss; it must read `array`
    array     float64 ndarray, perturbed in place one entry at a time and restored
    eps       the step
    indices   None: every entry, the result has array's shape;
              otherwise a sequence of flat (row-major) indices, the result is 1-D with one
              estimate per index, in the same order
    """
    _require_float64("array", array)
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps: expected a positive finite step, got {eps}")
    flat = np.arange(array.size) if indices is None else np.asarray(indices, dtype=np.int64)
    if flat.ndim != 1 or (flat.size and (flat.min() < 0 or flat.max() >= array.size)):
        raise ValueError(
            f"indices: expected flat indices in [0, {array.size}), got {np.asarray(indices)!r}")
    grad = np.empty(flat.size)                 # (K,) one estimate per index
    for k, flat_index in enumerate(flat):
        index = np.unravel_index(flat_index, array.shape)
        original = array[index]
        up, down = original + eps, original - eps
        try:
            array[index] = up
            loss_up = _evaluate(loss_fn)
            array[index] = down
            loss_down = _evaluate(loss_fn)
        finally:
            array[index] = original            # restore exactly, even if loss_fn raised
        if up == down:
            raise ValueError(f"eps={eps} is too small to change entry {tuple(map(int, index))} (value {original}): "
                             f"x + eps rounds to x - eps")
        # divide by the step actually taken: up - down is 2 eps up to rounding of x +- eps
        grad[k] = (loss_up - loss_down) / (up - down)
    return grad.reshape(array.shape) if indices is None else grad


class GradcheckRow(NamedTuple):
    """The comparison for one array."""
    name: str
    shape: tuple
    checked: int            # entries compared
    size: int               # entries in the array
    max_rel_error: float
    max_abs_error: float
    worst_index: tuple      # index of the entry with the largest relative error
    analytic: float         # the two gradients at that entry
    numerical: float


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

    def passed(self, rel_tol=None):
        """True when every array's max relative error is <= rel_tol (default self.rel_tol)."""
        rel_tol = self.rel_tol if rel_tol is None else rel_tol
        return all(row.max_rel_error <= rel_tol for row in self.rows)

    def __str__(self):
        header = ("array", "shape", "checked", "max rel err", "max abs err", "worst at",
                  "analytic", "numerical", "result")
        lines = [tuple(_format_row(row, self.rel_tol)) for row in self.rows]
        widths = [max(len(cells[j]) for cells in [header] + lines) for j in range(len(header))]
        # text columns flush left, numbers flush right
        left = {0, 1, 5, 8}

        def join(cells):
            return "  ".join(c.ljust(w) if j in left else c.rjust(w)
                             for j, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [f"gradient check: central differences with eps={self.eps:g}; "
               f"rel err = |a - n| / max(|a|, |n|, {self.floor:g}), a analytic, n numerical",
               join(header)]
        out += [join(cells) for cells in lines]
        failed = [row.name for row in self.rows if not row.max_rel_error <= self.rel_tol]   # NaN fails
        if failed:
            out.append(f"FAIL: {len(failed)} of {len(self.rows)} arrays above "
                       f"rel tol {self.rel_tol:.0e} ({', '.join(failed)}); "
                       f"max rel err {self.max_rel_error:.1e}")
        else:
            out.append(f"PASS: all {len(self.rows)} arrays within rel tol {self.rel_tol:.0e}; "
                       f"max rel err {self.max_rel_error:.1e}")
        # the commonest mistake: loss_fn computes from a copy, so nudging changes nothing
        unread = [row.name for row in self.rows
                  if row.numerical == 0 and row.analytic != 0 and row.max_rel_error >= 1]
        if unread:
            out.append(f"note: the loss did not move when {', '.join(unread)} changed; "
                       f"does loss_fn read these very arrays, not copies?")
        return "\n".join(out)


def _format_row(row, rel_tol):
    """The table cells of one row, as strings."""
    verdict = "PASS" if row.max_rel_error <= rel_tol else "FAIL"
    return (row.name, str(row.shape), f"{row.checked}/{row.size}",
            f"{row.max_rel_error:.1e}", f"{row.max_abs_error:.1e}", str(row.worst_index),
            f"{row.analytic:.6e}", f"{row.numerical:.6e}", verdict)


def check_gradients(loss_fn, arrays, analytic, eps=DEFAULT_EPS, max_entries=None, seed=0,
                    *, floor=DEFAULT_FLOOR, rel_tol=DEFAULT_REL_TOL):
    """Compare analytic gradients with central differences, array by array.

    loss_fn      zero-argument function returning the scalar loss, reading `arrays`
    arrays       dict name -> float64 ndarray: the values loss_fn reads, perturbed in place
    analytic     dict name -> ndarray of the same shape: the gradients to check
    eps          the finite-difference step
    max_entries  None checks every entry. Otherwise an array with more entries is
                 checked on a random sample of max_entries distinct entries, drawn
                 without replacement by np.random.default_rng(seed), array after array
                 in the dict's order, so the same call checks the same entries.
    floor        the floor of the relative error's denominator (see the module docstring)
    rel_tol      the tolerance the report's PASS/FAIL column and passed() use by default
    Returns a GradcheckReport.
    """
    if set(arrays) != set(analytic):
        raise ValueError(
            f"arrays and analytic must name the same arrays; only in arrays: "
            f"{sorted(set(arrays) - set(analytic))}, only in analytic: "
            f"{sorted(set(analytic) - set(arrays))}")
    if max_entries is not None and (int(max_entries) != max_entries or max_entries < 1):
        raise ValueError(f"max_entries: expected None or a positive integer, got {max_entries!r}")
    if floor <= 0:
        raise ValueError(f"floor: expected a positive number, got {floor}")
    if not np.isfinite(rel_tol) or rel_tol <= 0:
        raise ValueError(f"rel_tol: expected a positive finite number, got {rel_tol}")
    for name, array in arrays.items():
        _require_float64(f"arrays[{name!r}]", array)
        grad = np.asarray(analytic[name])
        if grad.shape != array.shape:
            raise ValueError(f"analytic[{name!r}]: expected shape {array.shape} "
                             f"(the array's), got {grad.shape}")
        if not np.all(np.isfinite(grad)):
            raise ValueError(f"analytic[{name!r}] contains non-finite values "
                             f"(first at {np.argwhere(~np.isfinite(grad))[0].tolist()})")

    rng = np.random.default_rng(seed)
    rows = []
    for name, array in arrays.items():
        if max_entries is not None and array.size > max_entries:
            flat = np.sort(rng.choice(array.size, size=int(max_entries), replace=False))
        else:
            flat = np.arange(array.size)
        if flat.size == 0:                     # an empty array has nothing to disagree on
            rows.append(GradcheckRow(name, array.shape, 0, 0, 0.0, 0.0, (), 0.0, 0.0))
            continue
        a = np.asarray(analytic[name], dtype=np.float64).ravel()[flat]   # (K,)
        n = numerical_gradient(loss_fn, array, eps, flat)                 # (K,)
        abs_error = np.abs(a - n)
        rel_error = abs_error / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
        worst = int(np.argmax(rel_error))
        worst_index = tuple(int(i) for i in np.unravel_index(flat[worst], array.shape))
        rows.append(GradcheckRow(name, array.shape, int(flat.size), int(array.size),
                                 float(rel_error[worst]), float(abs_error.max()),
                                 worst_index, float(a[worst]), float(n[worst])))
    return GradcheckReport(rows, eps=eps, floor=floor, rel_tol=rel_tol)


def check_layer(layer, x, state=None, lengths=None, seed=0, **options):
    """Gradient-check a recurrent layer: every parameter, the input and the initial state.

    The loss is a random linear function of everything the layer returns,
        L = sum(dy * y) + sum(dstate * final_state),
    so that backward(dy, dstate) must give exactly dL/d(params), dL/dx, dL/dstate0.
    The layer must be float64; x and state are copied. With dropout, every evaluation
    reuses the random masks of the first one, so the dropout backward is checked too.
    `options` go to check_gradients.
    Returns a GradcheckReport with rows "x", "h0" (and "c0"), then every parameter.
    """
    if layer.dtype != np.float64:
        raise TypeError(f"layer must be float64 for a gradient check, got {layer.dtype}")
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    masks_state = layer.rng.bit_generator.state          # replayed: the same dropout masks each time
    y, final = layer.forward(x, state, lengths=lengths)
    finals = layer.state_parts(final)                      # (h,) or (h, c), each (L*D, B, N)
    state0 = tuple(np.array(s, dtype=np.float64) for s in layer.state_parts(state)) \
        if state is not None else tuple(np.zeros_like(f) for f in finals)
    dy = rng.standard_normal(y.shape)
    dfinals = tuple(rng.standard_normal(f.shape) for f in finals)

    def pack(parts):
        return parts if len(parts) > 1 else parts[0]      # the layer's own form: h, or (h, c)

    def loss():
        layer.rng.bit_generator.state = masks_state
        y, final = layer.forward(x, pack(state0), lengths=lengths)
        return np.sum(dy * y) + sum(np.sum(d * f) for d, f in zip(dfinals, layer.state_parts(final)))

    loss()
    masks_used = layer.rng.bit_generator.state             # as if the layer had run forward once
    dx, dstate0 = layer.backward(dy, pack(dfinals))
    dstates0 = layer.state_parts(dstate0)
    state_names = [f"{n}0" for n in layer.state_names]
    arrays = {"x": x, **dict(zip(state_names, state0)), **layer.params}
    analytic = {"x": dx, **dict(zip(state_names, dstates0)), **{k: g.copy() for k, g in layer.grads.items()}}
    report = check_gradients(loss, arrays, analytic, seed=seed, **options)
    layer.rng.bit_generator.state = masks_used
    return report
