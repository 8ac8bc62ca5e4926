"""The gradient checker's argument checks, made once where users call in
(numerical_gradient, check_gradients): each raises TypeError or ValueError with a
message naming the argument, what it got and what was expected."""
import numpy as np


def checked_loss(loss_fn):
    """loss_fn, returning its value as a Python float, raising TypeError or ValueError
    whenever it returns anything but one finite number."""
    def loss():
        value = np.asarray(loss_fn())
        if value.size != 1 or not np.issubdtype(value.dtype, np.number):
            raise TypeError(
                f"loss_fn must return a scalar number, got shape {value.shape} dtype {value.dtype}")
        value = float(value.reshape(()))
        if not np.isfinite(value):
            raise ValueError(f"loss_fn returned {value}; finite differences need a finite loss")
        return value
    return loss


def checked_entries(x, eps, indices):
    """numerical_gradient's arguments: the flat (row-major) indices to estimate, (K,),
    every entry for indices=None. x must be a writable float64 array, eps a positive
    step that changes every one of those entries."""
    check_float64("x", x)
    check_eps(eps)
    flat = np.arange(x.size) if indices is None else np.asarray(indices, dtype=np.int64)
    if flat.ndim != 1 or (flat.size and (flat.min() < 0 or flat.max() >= x.size)):
        raise ValueError(
            f"indices: expected flat indices in [0, {x.size}), got {np.asarray(indices)!r}")
    values = x.ravel()[flat]                   # (K,)
    lost = np.flatnonzero(values + eps == values - eps)
    if lost.size:
        index = tuple(int(j) for j in np.unravel_index(flat[lost[0]], x.shape))
        raise ValueError(f"eps={eps} is too small to change entry {index} (value {x[index]}): "
                         f"x + eps rounds to x - eps")
    return flat


def check_comparison(arrays, analytic, eps, max_entries, floor, rel_tol):
    """check_gradients' arguments: the same names, shapes, finite gradients, sane settings."""
    check_eps(eps)
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
        check_float64(f"arrays[{name!r}]", array)
        grad = np.asarray(analytic[name])
        if grad.shape != array.shape:
            raise ValueError(f"analytic[{name!r}]: expected shape {array.shape} "
                             f"(the array's), got {grad.shape}")
        if not np.all(np.isfinite(grad)):
            raise ValueError(f"analytic[{name!r}] contains non-finite values "
                             f"(first at {np.argwhere(~np.isfinite(grad))[0].tolist()})")


def check_float64(name, array):
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


def check_eps(eps):
    """eps as a float; ValueError unless it is a positive finite step."""
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps: expected a positive finite step, got {eps}")
    return float(eps)
