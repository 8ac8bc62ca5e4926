"""The Numba kernels: the same sequence functions as minirnn/cells, jitted for speed.

Each file mirrors its reference, with the same signatures, and is tested against it
(tests/test_kernels.py):

    rnn.py    rnn_forward  / rnn_backward     mirror  minirnn.cells.rnn
    lstm.py   lstm_forward / lstm_backward    mirror  minirnn.cells.lstm
    gru.py    gru_forward  / gru_backward     mirror  minirnn.cells.gru
    activations.py   sigmoid and tanh that LLVM can vectorise, float32 and float64,
                     and the compile options
    step_product.py  the matrix product inside the time loop, in OpenBLAS's fast order

A layer built with backend="numba" (the default) calls these; backend="numpy" calls
the reference. benchmarks/bench_recurrent.py measures the result against the
reference and PyTorch; benchmarks/profile_step.py splits a step into the pieces below.

Where the work is done, each choice measured (1 thread, AMD EPYC with AVX2, OpenBLAS's
Haswell kernels; ms are one training step, float32, unless said otherwise):
- ``X W`` for all T steps is one matrix product before the loop, and dx and the
  weight gradients are matrix products over all steps after the backward loop.
  Products step by step cost more for the same arithmetic (4x for x W and 56x for dW
  at B = 1, 1.1-1.4x at B = 32..64; measured on an AVX-512 machine).
  Tried and not kept: one product for dW and dH over a joint [x_t, h_(t-1)] buffer
  (4.05 against 4.01 ms at (B, T, I, N) = (32, 50, 65, 128), 32.1 / 34.1, 164 / 165,
  172 / 170 at the larger sizes): no gain worth a copy of x and a second store of h.
  Nor the transposed order for these large products (1.0-1.6x slower).
- Inside the loop, which must run step by step, there is only the recurrent product
  (step_product.rows_times: a BLAS call, transposed where that is 1.1-2.8x faster) and
  passes over the elements, where the reference makes a NumPy temporary per operation.
- The element passes are plain loops over one row's N entries from 0, one per gate in
  the forward pass: the loops LLVM turns into SIMD code. Per-gate views (``i = gates[t,
  k, :N]``) run as fast as offsets into one row (1.98 against 1.85 ns per activation at
  B = 32, N = 128; 1.40 / 1.41 at N = 512), so the kernels use the reference's names.
  The bias is added in the loop, not by a pass over the (T, B, G N) array before it.
- The backward pass is one loop per row, computing the reference's lines in order: ns
  per element (all gates) at B = 32, N = 128, one loop against two (the old LSTM kernel
  split after the output gate), float32: LSTM 3.4 / 5.2, GRU 4.3 / 6.0; the same at the
  other sizes within noise or better. Summing db inside that loop stops LLVM from
  vectorising it (7.9 against 3.4 ns): db is da.sum(axis=0) after the loop (0.15 ms).
- The states are stored as (T+1, B, N) arrays whose row 0 is the initial state, so
  that ``h_(t-1)`` for every step is one contiguous block for the dH product. In the
  kernels ``h[t]`` is therefore h_(t-1), where the reference's h[t] is h_t.
- float32 stays float32: the gate functions have a float32 version (activations.py:
  0.94 against 3.55 ns per sigmoid), and every constant in a loop has the arrays' type
  (``one = dh.dtype.type(1)``): Numba computes float32 - 1 in float64.
- The gate arithmetic uses activations.py's sigmoid and tanh, compiled with
  error_model="numpy" and fastmath={"contract"} (see activations.py for the figures).

What remains (benchmarks/README.md has the tables): the T recurrent products run at
60-80% of GEMM peak in float32 (OpenBLAS packs the weights again at every call), the
large products at 80-95%, and the element passes take 5-15% of a step.

The first call of each kernel compiles it (seconds), once per machine and dtype:
Numba keeps the machine code in __pycache__ (cache=True). That cache checks only the
kernel's own file: after editing activations.py or step_product.py, which the kernels
inline, delete minirnn/kernels/__pycache__/*.nbi and *.nbc.
"""
