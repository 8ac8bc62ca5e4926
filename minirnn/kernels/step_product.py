"""The matrix product inside every kernel's time loop, in the order OpenBLAS runs fastest.

Each step of a recurrence multiplies the B rows of one step (one row per sequence) by
the recurrent weights: ``h_(t-1) H`` in the forward pass, ``da H.T`` in the backward
pass. It cannot be batched over steps, so it is a product with few rows, called T
times. OpenBLAS (its Haswell kernels, float32) runs it much faster transposed: with
the weights as its first operand and the B rows as its second, ``out.T = M.T @ s.T``,
and the result comes out as (columns, B), so it is copied back into B rows for the
element loops. Measured per step, float32, 1 thread (AMD EPYC, AVX2), time of the
transposed product against the plain ``s @ M``, for ``M`` (N, 4N):

    B             1      2      4      8      16     32     64
    N = 100       1.24   0.36   0.49   0.40   0.59   0.69   0.84
    N = 256       0.97   0.38   0.49   0.42   0.62   0.65   0.79
    N = 512       1.38   0.41   0.53   0.49   0.61   0.66   0.88

so the plain order is kept at B = 1 (a vector-matrix product). The copy back costs
0.22-0.39 ns per element written four rows at a time (0.66-1.00 one row at a time),
2 to 15% of what the transposed order saves. In float64 OpenBLAS's
kernel runs both orders at about the same speed (0.85-1.12 at N <= 512, 1.19 at
N = 1024, B = 16), so float64 keeps the plain order.
"""
import numpy as np
from numba import njit

from minirnn.kernels.activations import JIT_OPTIONS


def transposed(M, rows, steps):
    """M.T for rows_times: a C-contiguous copy where rows_times multiplies in the
    transposed order (float32, rows > 1) at several steps, the view M.T elsewhere (no copy
    to pay for). A call of one step (text generation, beam search: one token per call)
    keeps the plain order: there the copy costs more than one transposed product saves
    (GRU 384, float32, B = 5 beams: 0.27 ms a call without it, 0.61 ms with it)."""
    return np.ascontiguousarray(M.T) if rows > 1 and steps > 1 and M.dtype == np.float32 else M.T


@njit(**JIT_OPTIONS)
def rows_times(s, M, M_T, out, out_T):
    """out = s @ M, for s (B, K) with few rows; M (K, C), M_T = M.T (C, K); out (B, C);
    out_T (C, B) scratch. The plain order reads M (C- or F-contiguous), the transposed
    order M_T, which must then be C-contiguous (``transposed`` makes it so)."""
    if s.shape[0] == 1 or s.itemsize == 8 or not M_T.flags.c_contiguous:   # one row, float64
        np.dot(s, M, out)                      # (8 bytes a number), or no copy: the plain order
        return
    np.dot(M_T, s.T, out_T)                    # out.T = M.T @ s.T: the order OpenBLAS runs fastest
    B, C = out.shape                           # then out = out_T.T:
    k = 0
    while k + 4 <= B:                          # four rows at a time, so that each read of
        for j in range(C):                     # out_T[j, k:k+4] serves four rows of out
            for u in range(4):
                out[k + u, j] = out_T[j, k + u]
        k += 4
    for k in range(k, B):                      # the rows left over
        for j in range(C):
            out[k, j] = out_T[j, k]
