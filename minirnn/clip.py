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

Gradients are dicts name -> float np.ndarray and are changed IN PLACE. The toolkit holds the
rest: the arguments' checks and the report of a NaN or an inf (minirnn/toolkit/gradients.py),
other norms than sqrt(sum of g^2) and the norm of squares too large for the dtype
(minirnn/toolkit/norms.py).
"""
import math

import numpy as np

from minirnn.toolkit import gradients, norms


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=True):
    """Scale every gradient in place by min(1, max_norm / (norm + 1e-6)); return the norm before.

    grads: dict name -> float array, changed in place; max_norm: a positive finite number;
    norm_type: the p of the p-norm, any positive number or float("inf") for max |g|.
    The 1e-6 keeps the division finite when the norm is 0, and lands a clipped norm just
    under max_norm; below the threshold the gradients are left exactly as they were.
    A NaN or infinite norm (NaN/inf entries, or beyond float64's 1.8e308) changes nothing and
    raises FloatingPointError naming the arrays at fault; with error_if_nonfinite=False it is
    returned instead, so that the caller can skip the step (torch would scale by 0 or NaN).
    """
    gradients.check_clip_grad_norm(grads, max_norm, norm_type, error_if_nonfinite)
    norm = total_norm(grads, norm_type)                # sqrt(sum of g^2), all arrays as one vector
    if not math.isfinite(norm):                        # scale nothing: raise, or return the norm
        return gradients.nonfinite_norm("clip_grad_norm", grads, norm, error_if_nonfinite)
    scale = min(1.0, float(max_norm) / (norm + 1e-6))
    if scale < 1:                                      # multiplying by exactly 1 would change nothing
        for g in grads.values():
            g *= scale
    return norm


def total_norm(grads, norm_type=2.0):
    """The norm of all the gradient arrays seen as one long vector, as a Python float.

    sqrt(sum of g^2 over every entry of every array). Another norm_type p gives
    (sum of |g|^p)^(1/p), and p = inf max |g| (norms.p_norm). Where squares leave the dtype's
    range (a float32 gradient of 2e19: its square is inf), the norm is computed scaled, in
    float64 (norms.scaled_norm). Arguments unchecked.
    """
    if norm_type != 2:
        return norms.p_norm(grads, float(norm_type))
    sum_of_squares = sum(float(np.vdot(g, g)) for g in grads.values())
    if norms.needs_scaling(sum_of_squares, grads):   # a square overflowed, or may have underflowed
        return norms.scaled_norm(grads, 2.0)
    return math.sqrt(sum_of_squares)


def clip_grad_value(grads, clip):
    """Clip every gradient entry to [-clip, clip] in place (np.clip(g, -clip, clip, out=g)).

    clip is a positive finite number. NaN entries stay NaN, as with np.clip and torch's
    clamp_; the optimizers' step refuses non-finite gradients.
    """
    gradients.check_clip_grad_value(grads, clip)
    for g in grads.values():
        np.clip(g, -clip, clip, out=g)
