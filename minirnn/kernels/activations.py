"""Gate nonlinearities for the Numba kernels: sigmoid and tanh, one number at a time.

Why not ``math.exp`` / ``math.tanh``? Numba turns them into calls to the C library,
one number per call, and a loop that makes a call per element cannot be vectorised.
Measured on this project's machine (AMD EPYC, AVX-512), ns per element over 65536:

    sigmoid with math.exp      2.6 (float32)   4.5 (float64)
    math.tanh                  14.7            14.4
    these functions            1.0             0.95 (sigmoid), 1.1 / 1.0 (tanh)

The functions below use only +, *, /, floor, a comparison and an integer shift, which
LLVM turns into SIMD instructions when it inlines them into a kernel's loop. They
compute in float64 whatever the input: float32 results are within one unit in the
last place, float64 results within a relative 5e-16 (about 2 units) of np.exp and
np.tanh (tested in tests/test_kernels.py).

exp(x) is computed the classic way: write x = k ln2 + r with k an integer and
|r| <= ln2 / 2, so exp(x) = 2^k * exp(r); 2^k is built directly from its bit pattern
and exp(r) is a short Taylor polynomial. Only x <= 0 is ever needed (sigmoid and tanh
are computed from exp(-|a|)), so nothing can overflow.

Numba's on-disk cache (cache=True) checks only the kernel's own file: after editing
this one, delete minirnn/kernels/__pycache__/*.nbi and *.nbc so the kernels that
inline these functions are compiled again.
"""
import math

import numpy as np
from numba import njit

# Compile options shared by every kernel, each measured on this file's sigmoid over
# 65536 float64 numbers (ns per element; AMD EPYC, AVX-512):
# - cache=True: the compile (seconds) is paid once per machine, later imports load it from disk;
# - error_model="numpy": the default "python" model checks every division for zero, to
#   raise ZeroDivisionError, and that stops SIMD: 7.4 ns against 1.0;
# - fastmath={"contract"}: lets LLVM fuse a*b + c into one FMA instruction: 1.0 against 1.45.
#   Full fastmath (0.86) also lets LLVM assume there is no NaN or infinity, so a NaN could
#   come out as a number, and it broke exp in an earlier trial: not worth 15%.
# No parallel=True / prange: on 2 cores Numba's threads and BLAS's threads fight (up to
# 40x slower in the trial behind issue 3; here two BLAS threads alone, with the other core
# busy, made a small LSTM step 100x slower).
JIT_OPTIONS = dict(cache=True, error_model="numpy", fastmath={"contract"})

LOG2E = 1.4426950408889634                 # 1 / ln 2
LN2_HI = 6.93147180369123816490e-01        # ln 2 split in two (Cody-Waite), so that k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
EXP_MIN_ARG = -708.0                       # exp(-708) ~ 3e-308, still a normal float64


@njit(**JIT_OPTIONS)
def exp_split(x):
    """exp(x) for x <= 0, returned in two parts (p, m) with exp(x) = p * (1 + m).

    p is a power of two (or 0 where exp(x) < 3e-308, the smallest normal float64, so
    that sigmoid(-1000) is 0 like the exact value rounded) and |m| < 0.42. Keeping the
    parts apart lets tanh compute exp(x) - 1 = (p - 1) + p * m without cancellation
    when x is near 0.
    NaN in gives NaN out.
    """
    x_ = EXP_MIN_ARG if x < EXP_MIN_ARG else x  # keeps 2^k a normal number (NaN stays NaN)
    k = math.floor(x_ * LOG2E + 0.5)           # nearest integer to x / ln2
    r = (x_ - k * LN2_HI) - k * LN2_LO         # x = k ln2 + r, |r| <= ln2 / 2
    q = 1.0 / 479001600.0                      # exp(r) = 1 + r q(r), q by Horner's rule (Taylor, 12 terms:
    q = q * r + 1.0 / 39916800.0               # the first term left out is < 2e-16 for |r| <= ln2 / 2)
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = q * r + 1.0
    p = np.int64((np.int64(k) + 1023) << 52).view(np.float64)   # 2^k from its bits: exponent field k + 1023
    p = 0.0 if x < EXP_MIN_ARG else p          # exp(x) < 3e-308: round it to 0
    return p, r * q


@njit(**JIT_OPTIONS)
def sigmoid(a):
    """1 / (1 + exp(-a)), from exp(-|a|) so that exp never overflows."""
    p, m = exp_split(-abs(a))
    e = p + p * m                              # exp(-|a|), in (0, 1]
    inv = 1.0 / (1.0 + e)
    return inv if a >= 0 else e * inv          # sigmoid(-x) = e / (1 + e)


@njit(**JIT_OPTIONS)
def tanh(a):
    """tanh(a) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)), with the sign of a."""
    p, m = exp_split(-2.0 * abs(a))
    em1 = (p - 1.0) + p * m                    # exp(-2|a|) - 1, accurate even near a = 0
    t = -em1 / (2.0 + em1)
    return t if a >= 0 else -t
