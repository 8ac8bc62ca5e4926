"""Losses: a number that says how wrong the outputs are, and its gradient on the outputs.

Softmax cross-entropy, the loss of every classifier and language model here:

    p = softmax(logits)             probabilities over the V classes
    loss = mean over positions of  -log p[target]          (nats)

Its gradient is famously simple: dloss/dlogits = (p - onehot(target)) / count.

Mean squared error, for a network that predicts numbers (examples/07's adding problem):

    loss = mean of (prediction - target)^2         dloss/dprediction = 2 (prediction - target) / count

Both return (loss as a Python float, gradient with the shape of the prediction); the loss
is summed in float64 whatever the dtype, so a long float32 batch neither loses digits
nor overflows while it is added up.
"""
import numpy as np

from minirnn.toolkit import validate


def log_softmax(logits):
    """log softmax over the last axis, stable for any logits: subtract the max first."""
    shifted = logits - logits.max(axis=-1, keepdims=True)          # <= 0: exp cannot overflow
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, targets, mask=None):
    """Mean negative log-likelihood of `targets` in nats, and its gradient.

    logits (..., V) float, targets (...) int in [0, V), mask (...) of 0/1 or bool or None.
    Positions where the mask is 0 (padding) add nothing to the loss or the gradient;
    the mean is over the positions that count.
    Returns (loss as a Python float, dlogits with the shape and dtype of logits).
    Raises TypeError or ValueError naming the argument for logits, targets or mask of
    the wrong type, shape or range, and for a mask that selects no position.
    """
    weight = _check_cross_entropy(logits, targets, mask)              # (...) 1 where it counts
    count = weight.sum()
    V = logits.shape[-1]
    logp = log_softmax(logits).reshape(-1, V)                         # (M, V) one row per position
    y, w = targets.reshape(-1), weight.reshape(-1)                    # (M,), (M,)
    rows = np.arange(y.size)
    loss = -np.sum(w * logp[rows, y], dtype=np.float64) / count

    dlogits = np.exp(logp)                                            # (M, V) p
    dlogits[rows, y] -= 1                                             # p - onehot(target)
    dlogits *= (w / count)[:, None]                                   # the mean over counted positions
    return float(loss), dlogits.reshape(logits.shape)


def mean_squared_error(prediction, target):
    """Mean of (prediction - target)^2 over every entry, and its gradient on prediction.

    prediction, target: float arrays of the same shape and dtype.
    Returns (loss as a Python float, dprediction with the shape and dtype of prediction).
    Raises TypeError or ValueError naming the argument for a wrong type, shape or dtype,
    an empty array, or a NaN or infinite entry.
    """
    _check_regression(prediction, target)
    diff = prediction - target
    loss = np.sum(np.square(diff, dtype=np.float64)) / diff.size     # float64: no overflow, no lost digits
    dprediction = (2 / diff.size) * diff
    return float(loss), dprediction.astype(prediction.dtype, copy=False)


# ---- argument checks ---------------------------------------------------------------------------

def _check_cross_entropy(logits, targets, mask):
    """Check the arguments of softmax_cross_entropy; return the weights (...) of the positions."""
    if not isinstance(logits, np.ndarray) or logits.dtype.kind != "f" or logits.ndim < 1:
        raise TypeError(f"logits must be a float array of shape (..., V), got {type(logits).__name__} "
                        f"{getattr(logits, 'dtype', '')} {getattr(logits, 'shape', '')}")
    V = logits.shape[-1]
    validate.float_array("logits", logits, logits.dtype, (None,) * (logits.ndim - 1) + (V,))
    validate.int_array("targets", targets, V, f"of shape {logits.shape[:-1]}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets must have shape {logits.shape[:-1]} (logits without the class axis), "
                         f"got {targets.shape}")
    if targets.size == 0:
        raise ValueError(f"logits must hold at least one position, got shape {logits.shape}")
    if mask is None:
        return np.ones(targets.shape, logits.dtype)
    mask = np.asarray(mask)
    if mask.shape != targets.shape:
        raise ValueError(f"mask must have shape {targets.shape}, got {mask.shape}")
    if not np.isin(mask, (0, 1)).all():
        bad = mask[~np.isin(mask, (0, 1))].flat[0]
        raise ValueError(f"mask must hold only 0/1 or True/False, got {bad}")
    if not mask.any():
        raise ValueError("mask selects no position: the mean loss would be 0/0")
    return mask.astype(logits.dtype)


def _check_regression(prediction, target):
    """Check the arguments of mean_squared_error."""
    if not isinstance(prediction, np.ndarray) or prediction.dtype.kind != "f":
        raise TypeError(f"prediction must be a float array, got {type(prediction).__name__} "
                        f"{getattr(prediction, 'dtype', '')}")
    validate.float_array("prediction", prediction, prediction.dtype, (None,) * prediction.ndim)
    validate.float_array("target", target, prediction.dtype, prediction.shape)
    if prediction.size == 0:
        raise ValueError(f"prediction must hold at least one entry, got shape {prediction.shape}")
