"""The central difference of minirnn/gradcheck.py's numerical_gradient, made robust for
check_gradients and sweep_eps: it returns the two losses too (the kink test reuses them),
divides by the step actually taken, cannot overflow, and can take samples of entries."""
import numpy as np


def central_differences(loss_fn, array, eps, flat, step_lost="raise"):
    """(L(x + eps) - L(x - eps)) / (x + eps - (x - eps)) for each flat index.

    Returns the estimates, L(x + eps) and L(x - eps), each (K,). The step actually taken
    is used: x + eps and x - eps are rounded to the array's dtype. Where they round to
    the same number, step_lost="raise" raises ValueError and "nan" gives NaN (no estimate).
    """
    grad, loss_up, loss_down = np.empty(flat.size), np.empty(flat.size), np.empty(flat.size)
    for k, i in enumerate(flat):
        (loss_up[k], loss_down[k]), (up, down) = nudged_losses(loss_fn, array, i, (eps, -eps))
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


def nudged_losses(loss_fn, array, flat_index, offsets):
    """L with array's entry flat_index moved by each offset in turn, and the offsets
    actually taken (after rounding to the array's dtype); the entry is restored exactly."""
    index = np.unravel_index(flat_index, array.shape)
    original = array[index]
    losses, taken = [], []
    try:
        for offset in offsets:
            array[index] = original + offset
            taken.append(float(array[index]) - float(original))
            losses.append(loss_fn())
    finally:
        array[index] = original                # restore exactly, even if loss_fn raised
    return losses, taken


def sample_entries(size, max_entries, rng):
    """The flat indices to check in an array of `size` entries, sorted: all of them, or
    when max_entries is smaller, max_entries distinct ones drawn by rng."""
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, size=int(max_entries), replace=False))
