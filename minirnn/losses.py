"""Softmax cross-entropy: the loss of every classifier and language model here.

    p = softmax(logits)             probabilities over the V classes
    loss = mean over positions of  -log p[target]

Its gradient is famously simple: dloss/dlogits = (p - onehot(target)) / count.
"""
import numpy as np

from . import validate


def log_softmax(logits):
    """log softmax over the last axis, stable for any logits: subtract the max first."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, targets, mask=None):
    """Mean negative log-likelihood of `targets` and its gradient.

    logits (..., V) float, targets (...) int in [0, V), mask (...) of 0/1 or bool or None.
    Positions where the mask is 0 (padding) add nothing to the loss or the gradient;
    the mean is over the positions that count.
    Returns (loss as a Python float, dlogits with the shape of logits).
    """
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
        weight = np.ones(targets.shape, logits.dtype)
    else:
        mask = np.asarray(mask)
        if mask.shape != targets.shape:
            raise ValueError(f"mask must have shape {targets.shape}, got {mask.shape}")
        if not np.isin(mask, (0, 1)).all():
            bad = mask[~np.isin(mask, (0, 1))].flat[0]
            raise ValueError(f"mask must hold only 0/1 or True/False, got {bad}")
        weight = mask.astype(logits.dtype)
    count = weight.sum()
    if count == 0:
        raise ValueError("mask selects no position: the mean loss would be 0/0")

    logp = log_softmax(logits)                                          # (..., V)
    logp_target = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]   # (...)
    loss = -(weight * logp_target).sum() / count

    dlogits = np.exp(logp)                                              # p
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1)  # p - onehot
    dlogits *= (weight / count)[..., None]                             # mean over counted positions
    return float(loss), dlogits
