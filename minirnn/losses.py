"""Losses: a number that says how wrong the outputs are, and its gradient on the outputs.

Softmax cross-entropy, the loss of every classifier and language model here, in nats:

    logp = log_softmax(logits)                     log-probabilities over the V classes
    loss = -mean over positions of logp[target]
    dloss/dlogits = (softmax(logits) - onehot(target)) / positions

Mean squared error, for a network that predicts numbers (examples/07's adding problem):

    loss = mean of (prediction - target)^2         dloss/dprediction = 2 (prediction - target) / count

Both return (loss as a Python float, gradient with the shape and dtype of the prediction);
the loss is summed in float64 whatever the dtype, so a long float32 batch neither loses
digits nor overflows while it is added up. Arguments are checked in minirnn/toolkit/validate.py.
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
    validate.cross_entropy_arguments(logits, targets, mask)
    V = logits.shape[-1]
    logp = log_softmax(logits).reshape(-1, V)                          # (M, V) one row per position
    y = targets.reshape(-1)                                            # (M,) the target of each
    rows = np.arange(y.size)
    # (M,) 1 where a position counts, 0 where the mask says it is padding
    counted = np.ones(y.size, logits.dtype) if mask is None else np.asarray(mask, logits.dtype).reshape(-1)
    positions = counted.sum()
    loss = -np.sum(counted * logp[rows, y], dtype=np.float64) / positions   # -mean logp[target]

    dlogits = np.exp(logp)                                             # (M, V) softmax
    dlogits[rows, y] -= 1                                              # softmax - onehot(target)
    dlogits *= (counted / positions)[:, None]                          # the mean over positions
    return float(loss), dlogits.reshape(logits.shape)


def mean_squared_error(prediction, target):
    """Mean of (prediction - target)^2 over every entry, and its gradient on prediction.

    prediction, target: float arrays of the same shape and dtype.
    Returns (loss as a Python float, dprediction with the shape and dtype of prediction).
    Raises TypeError or ValueError naming the argument for a wrong type, shape or dtype,
    an empty array, or a NaN or infinite entry.
    """
    validate.regression_arguments(prediction, target)
    diff = prediction - target
    loss = np.sum(np.square(diff, dtype=np.float64)) / diff.size     # float64: no overflow, no lost digits
    dprediction = (2 / diff.size) * diff
    return float(loss), dprediction.astype(prediction.dtype, copy=False)
