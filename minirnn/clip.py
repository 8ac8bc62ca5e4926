"""Gradient clipping: keep one exploding gradient from throwing the weights far away.

Backpropagation through time multiplies by H at every step, so a gradient can grow
exponentially with the sequence length (the flip side of vanishing gradients). Two cures,
both applied to the gradients between the backward pass and the optimizer step:

    clip_grad_norm   rescale ALL the gradients together when their global norm is too big;
                     the step keeps its direction, only its length shrinks (as
                     torch.nn.utils.clip_grad_norm_):
                         norm = sqrt(sum of g^2 over every entry of every array)
                         g <- g * min(1, max_norm / (norm + 1e-6))
    clip_grad_value  clip every entry to [-clip, clip] on its own, as min-char-rnn does
                     with np.clip(dparam, -5, 5, out=dparam); cheaper, but it can turn the step.

Gradients are dicts name -> float np.ndarray and are changed IN PLACE.
"""
import math

import numpy as np

from minirnn.toolkit import gradients, norms, validate


def total_norm(grads, norm_type=2.0):
    """The norm of all the gradient arrays seen as one long vector, as a Python float.

    ||g||_p = (sum of |g|^p over every entry)^(1/p); p = 2 by default, p = inf gives max |g|.
    Where squares leave the dtype's range (a float32 gradient of 2e19: its square is inf),
    it is computed scaled, in float64 (minirnn/toolkit/norms.py). Arguments unchecked.
    """
    p = norm_type
    if p == math.inf:
        return float(np.max([np.abs(g).max() for g in grads.values() if g.size], initial=0.0))
    with np.errstate(over="ignore"):                                  # an overflow is caught below
        if p == 2:
            sum_p = sum(float(np.vdot(g, g)) for g in grads.values())          # sum of g^2
        else:
            sum_p = sum(float(np.sum(np.abs(g) ** p)) for g in grads.values())  # sum of |g|^p
    if norms.needs_scaling(sum_p, grads):                             # a square left the dtype's range
        return norms.scaled_norm(grads, p)
    return sum_p ** (1 / p)                                           # sqrt(sum of g^2) for p = 2


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=True):
    """Scale every gradient in place by min(1, max_norm / (norm + 1e-6)); return the norm before.

    grads: dict name -> float array, changed in place; max_norm: a positive finite number;
    norm_type: the p of the p-norm, any positive number or float("inf") for max |g|.
    A NaN or infinite norm (NaN/inf entries, or beyond float64's 1.8e308) changes nothing and
    raises FloatingPointError naming the arrays at fault; with error_if_nonfinite=False it is
    returned instead, so that the caller can skip the step (torch would scale by 0 or NaN).
    The 1e-6 keeps the division finite when the norm is 0, and lands a clipped norm just
    under max_norm; below the threshold the gradients are left exactly as they were.
    """
    gradients.check(grads, "clip_grad_norm", in_place=True)
    max_norm = validate.positive_number("max_norm", max_norm)
    p = validate.norm_type(norm_type)
    validate.flag("error_if_nonfinite", error_if_nonfinite)

    norm = total_norm(grads, p)
    if not math.isfinite(norm):
        if error_if_nonfinite:
            raise FloatingPointError(f"clip_grad_norm: {gradients.describe_nonfinite(grads, norm)}; "
                                     f"no gradient was changed")
        return norm
    scale = min(1.0, max_norm / (norm + 1e-6))
    if scale < 1:                              # multiplying by exactly 1 would change nothing
        for g in grads.values():
            g *= scale
    return norm


def clip_grad_value(grads, clip):
    """Clip every gradient entry to [-clip, clip] in place (np.clip(g, -clip, clip, out=g)).

    clip is a positive finite number. NaN entries stay NaN, as with np.clip and torch's
    clamp_; the optimizers' step refuses non-finite gradients.
    """
    gradients.check(grads, "clip_grad_value", in_place=True)
    clip = validate.positive_number("clip", clip)
    for g in grads.values():
        np.clip(g, -clip, clip, out=g)
