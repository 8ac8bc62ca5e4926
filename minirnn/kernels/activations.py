"""Gate nonlinearities for the Numba kernels: sigmoid and tanh, one number at a time.

Why not ``math.exp`` / ``math.tanh``? Numba turns them into calls to the C library,
one number per call, and a loop that makes a call per element cannot be vectorised.
The functions below use only +, *, /, a comparison and integer adds and shifts, which
LLVM turns into SIMD instructions when it inlines them into a kernel's loop.

Each comes in two versions, float32 and float64, and ``sigmoid(a)`` / ``tanh(a)`` in a
kernel compile to the one of a's type (``overload`` at the end of this file: the choice
is made when the kernel is compiled, not at run time). The float32 version computes in
float32 with a polynomial sized for float32, so one AVX2 instruction works on 8 numbers
instead of 4. Measured on this project's machine (AMD EPYC, AVX2, 1 thread), ns per
element over 65536 numbers, median of 40:

                                         float32          float64
                                     sigmoid   tanh   sigmoid   tanh
    math.exp / math.tanh (C library)   3.4     19.0     5.7     18.6
    float64 only, math.floor (before)  3.55     3.81    3.28     3.26
    these functions                    0.94     0.96    1.90     1.92

(float64 gained from building 2^k without a float -> int64 conversion, which AVX2 has
no SIMD instruction for: see exp_split64.)

Accuracy, against np.exp and np.tanh in float64 (tests/test_kernels.py): float32 results
within 2 units in the last place of the exact value (checked on every float32 in
[-110, 110], beyond which the results are the exact limits: worst 1.96 units, tanh
near 0.17), float64 results within a relative 9e-16 (4 units). NaN in gives NaN out;
infinities give the limits 0, 1, -1.

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
from numba import njit, types
from numba.extending import overload

# Compile options shared by every kernel, each measured on this file's sigmoid over
# 65536 float64 numbers (ns per element; an AMD EPYC with AVX-512, before the float32 path):
# - cache=True: the compile (seconds) is paid once per machine, later imports load it from disk;
# - error_model="numpy": the default "python" model checks every division for zero, to
#   raise ZeroDivisionError, and that stops SIMD: 7.4 ns against 1.0;
# - fastmath={"contract"}: lets LLVM fuse a*b + c into one FMA instruction: 1.0 against 1.45.
#   Full fastmath (0.86) also lets LLVM assume there is no NaN or infinity, so a NaN could
#   come out as a number, and it broke exp in an earlier trial: not worth 15%.
# No parallel=True / prange: on 2 cores Numba's threads and BLAS's threads fight (up to
# 40x slower in an early trial of prange kernels; here two BLAS threads alone, with the other core
# busy, made a small LSTM step 100x slower).
JIT_OPTIONS = dict(cache=True, error_model="numpy", fastmath={"contract"})


# ---- float64 ----------------------------------------------------------------------------

LOG2E = 1.4426950408889634                 # 1 / ln 2
ROUNDER = 1.5 * 2.0 ** 52                  # x + ROUNDER rounds x to an integer, kept in the low bits
LN2_HI = 6.93147180369123816490e-01        # ln 2 split in two (Cody-Waite), so that k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
EXP_MIN_ARG = -708.3964185322641          # exp of it is the smallest normal float64, 2.2e-308


@njit(**JIT_OPTIONS)
def exp_split64(x):
    """exp(x) for x <= 0, float64, returned in two parts (p, m) with exp(x) = p * (1 + m).

    p is a power of two (or 0 where exp(x) < 2.2e-308, the smallest normal float64, so
    that sigmoid(-1000) is 0 like the exact value rounded) and |m| < 0.42. Keeping the
    parts apart lets tanh compute exp(x) - 1 = (p - 1) + p * m without cancellation
    when x is near 0.
    NaN in gives NaN out.
    """
    x_ = EXP_MIN_ARG if x < EXP_MIN_ARG else x  # keeps 2^k a normal number (NaN stays NaN)
    k_bits = x_ * LOG2E + ROUNDER              # k, the nearest integer to x / ln2, in the low bits
    k = k_bits - ROUNDER                       # ... and as a float
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
    # 2^k from its bits: exponent field k + 1023 (shifting k_bits' bits, not converting k
    # to an integer: AVX2 has no SIMD float64 -> int64 conversion, and that made this 1.7x slower)
    p = np.int64((np.float64(k_bits).view(np.int64) + 1023) << 52).view(np.float64)
    p = 0.0 if x < EXP_MIN_ARG else p          # exp(x) below the smallest normal float64: 0
    return p, r * q


@njit(**JIT_OPTIONS)
def sigmoid64(a):
    """1 / (1 + exp(-a)), from exp(-|a|) so that exp never overflows."""
    p, m = exp_split64(-abs(a))
    e = p + p * m                              # exp(-|a|), in (0, 1]
    inv = 1.0 / (1.0 + e)
    return inv if a >= 0 else e * inv          # sigmoid(-x) = e / (1 + e)


@njit(**JIT_OPTIONS)
def tanh64(a):
    """tanh(a) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)), with the sign of a."""
    p, m = exp_split64(-2.0 * abs(a))
    em1 = (p - 1.0) + p * m                    # exp(-2|a|) - 1, accurate even near a = 0
    t = -em1 / (2.0 + em1)
    return t if a >= 0 else -t


# ---- float32: the same steps, every constant a float32 -----------------------------------
# (In Numba, float32 combined with a Python number such as 1.0 gives float64: every
# constant here is a np.float32, so the arithmetic stays in float32.)

F0, F1, F2 = np.float32(0), np.float32(1), np.float32(2)
LOG2E_32 = np.float32(LOG2E)
ROUNDER_32 = np.float32(1.5 * 2.0 ** 23)
LN2_HI_32 = np.float32(0.693359375)       # 355 / 512: k * LN2_HI_32 is exact for |k| < 2^15
LN2_LO_32 = np.float32(-2.12194440e-4)    # ln 2 - LN2_HI_32
EXP_MIN_ARG_32 = np.float32(-87.33654)    # exp of it is the smallest normal float32, 1.2e-38
EXP_TAYLOR_32 = tuple(np.float32(1 / math.factorial(n)) for n in (7, 6, 5, 4, 3, 2, 1))


@njit(**JIT_OPTIONS)
def exp_split32(x):
    """exp(x) for x <= 0, float32, as exp_split64: (p, m) with exp(x) = p * (1 + m).

    exp(r) needs 8 Taylor terms here: the first left out is < 5e-9 for |r| <= ln2 / 2,
    a tenth of float32's 6e-8.
    """
    x_ = EXP_MIN_ARG_32 if x < EXP_MIN_ARG_32 else x
    k_bits = x_ * LOG2E_32 + ROUNDER_32
    k = k_bits - ROUNDER_32
    r = (x_ - k * LN2_HI_32) - k * LN2_LO_32
    q = EXP_TAYLOR_32[0]                       # exp(r) = 1 + r q(r), Horner's rule
    q = q * r + EXP_TAYLOR_32[1]
    q = q * r + EXP_TAYLOR_32[2]
    q = q * r + EXP_TAYLOR_32[3]
    q = q * r + EXP_TAYLOR_32[4]
    q = q * r + EXP_TAYLOR_32[5]
    q = q * r + EXP_TAYLOR_32[6]
    p = np.int32((np.float32(k_bits).view(np.int32) + 127) << 23).view(np.float32)   # exponent field k + 127
    p = F0 if x < EXP_MIN_ARG_32 else p        # exp(x) below the smallest normal float32: 0
    return p, r * q


@njit(**JIT_OPTIONS)
def sigmoid32(a):
    """sigmoid64 in float32, with its division corrected once (see divide32)."""
    p, m = exp_split32(-abs(a))
    pm = p * m                                 # exp(-|a|) = p + pm, both parts exact (p is a power of 2)
    if a >= F0:
        return divide32(F1, F0, F1 + p, pm)    # 1 / (1 + exp(-a))
    return divide32(p, pm, F1 + p, pm)         # exp(a) / (1 + exp(a))


@njit(**JIT_OPTIONS)
def tanh32(a):
    """tanh64 in float32: (1 - exp(-2|a|)) / (1 + exp(-2|a|)), the division corrected once."""
    p, m = exp_split32(-F2 * abs(a))
    pm = p * m                                 # exp(-2|a|) = p + pm
    t = divide32(F1 - p, -pm, F1 + p, pm)      # 1 - p and 1 + p are exact where it matters (p > 6e-8)
    return t if a >= F0 else -t


@njit(**JIT_OPTIONS)
def divide32(n_hi, n_lo, d_hi, d_lo):
    """(n_hi + n_lo) / (d_hi + d_lo) in float32, to about one rounding.

    Each operand comes as two floats whose sum is more precise than one float. Rounded
    to one float each and divided, sigmoid and tanh would carry three roundings and
    reach 2.7 units in the last place; instead q = n / d is corrected once with its
    residual n - q d, computed from the two parts with fused multiply-adds: within 2
    units for every float32 (the figures above), for 1.3x the time (1.14 against
    0.88 ns per element, measured side by side).
    """
    d = d_hi + d_lo
    q = (n_hi + n_lo) / d
    residual = (n_hi - q * d_hi) + (n_lo - q * d_lo)
    return q + residual / d


# ---- the names the kernels call: the version of the argument's type ----------------------

def sigmoid(a):
    """1 / (1 + exp(-a)) of one float32 or float64 number, in its type (jitted code only)."""
    raise TypeError("minirnn.kernels.activations.sigmoid is for jitted code; use minirnn.cells.activations")


def tanh(a):
    """tanh of one float32 or float64 number, in its type (jitted code only)."""
    raise TypeError("minirnn.kernels.activations.tanh is for jitted code; use np.tanh")


@overload(sigmoid, jit_options=JIT_OPTIONS)
def _sigmoid(a):
    if a == types.float32:
        return lambda a: sigmoid32(a)
    return lambda a: sigmoid64(a)


@overload(tanh, jit_options=JIT_OPTIONS)
def _tanh(a):
    if a == types.float32:
        return lambda a: tanh32(a)
    return lambda a: tanh64(a)
