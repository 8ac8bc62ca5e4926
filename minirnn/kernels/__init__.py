"""The Numba kernels: the same sequence functions as minirnn/cells, jitted for speed.

Each file mirrors its reference, with the same signatures, and is tested against it
(tests/test_kernels.py):

    rnn.py    rnn_forward  / rnn_backward     mirror  minirnn.cells.rnn
    lstm.py   lstm_forward / lstm_backward    mirror  minirnn.cells.lstm
    gru.py    gru_forward  / gru_backward     mirror  minirnn.cells.gru
    activations.py   sigmoid and tanh that LLVM can vectorise, and the compile options

A layer built with backend="numba" (the default) calls these; backend="numpy" calls
the reference. The plan is the same in all three: the input's matrix product for all
steps before the loop, only the recurrent product and the element-wise gate math in
the jitted loop, and the weight gradients as matrix products over all steps after it.
benchmarks/bench_recurrent.py measures the result against the reference and PyTorch.

The first call of each kernel compiles it (seconds), once per machine and dtype:
Numba keeps the machine code in __pycache__ (cache=True).
"""
