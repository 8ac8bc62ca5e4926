"""The Numba kernels: the same sequence functions as minirnn/cells, jitted for speed.

Each file mirrors its reference, with the same signatures, and is tested against it
(tests/test_kernels.py):

    rnn.py    rnn_forward  / rnn_backward     mirror  minirnn.cells.rnn
    lstm.py   lstm_forward / lstm_backward    mirror  minirnn.cells.lstm
    gru.py    gru_forward  / gru_backward     mirror  minirnn.cells.gru
    activations.py   sigmoid and tanh that LLVM can vectorise, and the compile options

A layer built with backend="numba" (the default) calls these; backend="numpy" calls
the reference. benchmarks/bench_recurrent.py measures the result against the
reference and PyTorch.

Where the work is done, each choice measured (float32, 1 thread, AMD EPYC with AVX-512):
- ``X W + b`` for all T steps is one matrix product before the loop, and dx and the
  weight gradients are matrix products over all steps after the backward loop.
  Products step by step cost more for the same arithmetic: 4x (x W) and 56x (dW)
  at B=1, 1.1-1.4x at B=32..64.
- Inside the loop, which must run step by step, there is only the recurrent product
  ``h_(t-1) H`` (a BLAS call from Numba: np.dot into a preallocated array) and a
  pass over the elements, where the reference makes a NumPy temporary per operation.
- The states are stored as (T+1, B, N) arrays whose row 0 is the initial state, so
  that ``h_(t-1)`` for every step is one contiguous block for the dH product.
- The backward loop multiplies by a C-ordered copy of H.T, made once: BLAS took it
  1.0-1.5x faster than the transposed view.
- The gate arithmetic uses activations.py's sigmoid and tanh, compiled with
  error_model="numpy" and fastmath={"contract"} (see activations.py for the figures).

The first call of each kernel compiles it (seconds), once per machine and dtype:
Numba keeps the machine code in __pycache__ (cache=True).
"""
