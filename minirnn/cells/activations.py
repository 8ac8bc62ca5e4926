"""The logistic sigmoid, written so that it never overflows.

    sigmoid(a) = 1 / (1 + exp(-a))

Written literally, exp(-a) overflows for a below about -709 (float64) or -88 (float32)
and NumPy warns. The sigmoid is symmetric, sigmoid(-a) = 1 - sigmoid(a), so only
exp(-|a|) is ever needed, and that lies in (0, 1]:

    a >= 0:  1 / (1 + exp(-a))
    a <  0:  exp(a) / (1 + exp(a))

Its derivative is sigmoid(a) (1 - sigmoid(a)); the backward passes use that form,
from the saved output, so they never call this again.
"""
import numpy as np


def sigmoid(a):
    """Elementwise logistic sigmoid of a, same shape and dtype, values in [0, 1]."""
    e = np.exp(-np.abs(a))                     # exp(-|a|) in (0, 1]: cannot overflow
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))
