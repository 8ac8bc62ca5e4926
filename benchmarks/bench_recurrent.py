"""Time one training step of minirnn's RNN, LSTM and GRU against PyTorch's, in one run.

    python benchmarks/bench_recurrent.py            # every cell, configuration and dtype
    python benchmarks/bench_recurrent.py --quick    # two small configurations, a smoke test
    python benchmarks/bench_recurrent.py --cells lstm --dtypes float32 --threads 2

A training step is forward + backward through one layer, with every gradient a
training loop needs: the weights', the input's (dx) and the initial state's, and a
gradient arriving on the final state as well as on every output. Three contenders:

    numba   minirnn, backend="numba" (the kernels in minirnn/kernels)
    numpy   minirnn, backend="numpy" (the reference in minirnn/cells)
    torch   torch.nn.RNN / LSTM / GRU on the CPU, if torch is installed

Each time is the median of --repeats runs after one warm-up run, the contenders taking
turns run by run, with the same number of threads for everyone: BLAS through
threadpoolctl, torch through torch.set_num_threads. Ratios are of times measured in
this run, side by side, so they hold even when the machine is busy; absolute times do not.

GFLOP/s counts the matrix products only, 6 T B G N (I + N) for G gates (1 RNN,
3 GRU, 4 LSTM): 2 T B G N (I + N) forward and twice that backward. "% peak" compares
that with the best large matrix product BLAS reaches here (measured first).

The timed work runs on the OpenBLAS kernel the processor gets by default: if the
environment sets OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, the script re-runs itself
without them (benchmarks/native_blas.py; --blas-as-is keeps them), and its header says
which kernel ran.

It ends with startup times, each in a fresh process: import plus the first training
step of an LSTM, once with Numba's on-disk cache filled ("cached start") and once with
an empty cache, so that every kernel is compiled ("cold").
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))            # run from a fresh clone without installing

import minirnn  # noqa: E402

try:
    import torch
except ImportError:                      # torch is optional: then numba against numpy only
    torch = None

from minirnn.toolkit.threads import blas_threads  # noqa: E402

try:
    import threadpoolctl  # noqa: F401  blas_threads would silently do nothing without it
except ImportError:
    sys.exit("bench_recurrent.py needs threadpoolctl to pin BLAS threads: pip install threadpoolctl "
             "(or pip install -e '.[bench]')")

CONFIGS = [  # (B, T, I, N): batch, steps, input features, hidden units
    (1, 25, 65, 100),        # min-char-rnn
    (32, 50, 65, 128),
    (32, 100, 128, 256),
    (64, 50, 512, 512),
    (16, 50, 1024, 1024),
]
QUICK_CONFIGS = CONFIGS[:2]
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
LAYERS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def median_times(steps, repeats):
    """Median wall time in seconds of each function in steps, after one warm-up call each.

    The contenders take turns, run by run, so that a change in the machine's load
    (other processes on a shared machine) falls on all of them alike.
    """
    for step in steps:
        step()
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, kept in zip(steps, times):
            start = time.perf_counter()
            step()
            kept.append(time.perf_counter() - start)
    return [float(np.median(kept)) for kept in times]


def gemm_peak(dtype, repeats):
    """Best GFLOP/s of a square matrix product, the yardstick for '% peak'.

    The best of many runs, so that a moment when another process held the core
    does not lower the yardstick.
    """
    best = 0.0
    for n in (512, 1024, 1536):
        a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
        a @ a
        for _ in range(max(repeats, 10)):
            start = time.perf_counter()
            a @ a
            best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def number(value, digits):
    """value with the given digits, or "-" where it was not measured (NaN)."""
    return "-" if np.isnan(value) else f"{value:.{digits}f}"


def minirnn_step(cell, backend, dtype, B, T, I, N):
    """A training step of a minirnn layer, as a function of no arguments."""
    layer = getattr(minirnn, LAYERS[cell])(I, N, dtype=dtype, seed=0, backend=backend)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, B, I)).astype(dtype)             # (T, B, I)
    dy = rng.standard_normal((T, B, N)).astype(dtype)            # (T, B, N)
    dfinal = rng.standard_normal((1, B, N)).astype(dtype)        # (layers, B, N)
    dstate = (dfinal, dfinal) if cell == "lstm" else dfinal

    def step():
        y, state = layer.forward(x)
        layer.backward(dy, dstate)
    return step


def torch_step(cell, dtype, B, T, I, N):
    """The same training step with torch.nn.RNN / LSTM / GRU."""
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    torch.manual_seed(0)
    layer = getattr(torch.nn, LAYERS[cell])(I, N).to(tdtype)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, I, dtype=tdtype, generator=gen, requires_grad=True)
    h0 = torch.zeros(1, B, N, dtype=tdtype, requires_grad=True)
    c0 = torch.zeros(1, B, N, dtype=tdtype, requires_grad=True)
    dy = torch.randn(T, B, N, dtype=tdtype, generator=gen)
    dfinal = torch.randn(1, B, N, dtype=tdtype, generator=gen)
    leaves = [x, h0, c0, *layer.parameters()]

    def step():
        for leaf in leaves:
            leaf.grad = None
        if cell == "lstm":
            y, (hn, cn) = layer(x, (h0, c0))
            torch.autograd.backward([y, hn, cn], [dy, dfinal, dfinal])
        else:
            y, hn = layer(x, h0)
            torch.autograd.backward([y, hn], [dy, dfinal])
    return step


def startup_seconds(cache_dir=None):
    """Import plus the first LSTM training step (float32, min-char-rnn size) in a fresh process."""
    code = (
        "import time; start = time.perf_counter()\n"
        "import numpy as np, minirnn\n"
        "layer = minirnn.LSTM(65, 100, dtype=np.float32)\n"
        "y, state = layer.forward(np.zeros((25, 1, 65), np.float32))\n"
        "layer.backward(np.ones_like(y))\n"
        "print(time.perf_counter() - start)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small configurations, 3 repeats")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated: lstm,gru,rnn")
    parser.add_argument("--dtypes", default="float32,float64", help="comma-separated: float32,float64")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per entry (default 7, quick 3)")
    parser.add_argument("--no-numpy", action="store_true", help="skip the (slow) numpy backend")
    parser.add_argument("--no-startup", action="store_true", help="skip the startup and compile times")
    native_blas.add_argument(parser)
    args = parser.parse_args()
    cells = [c for c in args.cells.split(",") if c]
    dtypes = [np.dtype(d).type for d in args.dtypes.split(",") if d]
    for cell in cells:
        if cell not in GATES:
            parser.error(f"--cells: unknown cell {cell!r}, expected some of lstm,gru,rnn")
    for dtype in dtypes:
        if dtype not in (np.float32, np.float64):
            parser.error(f"--dtypes: {np.dtype(dtype).name} is not float32 or float64")
    configs = QUICK_CONFIGS if args.quick else CONFIGS
    repeats = args.repeats or (3 if args.quick else 7)

    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"minirnn training step (forward + backward), {args.threads} thread(s), "
          f"median of {repeats} runs; torch {torch.__version__ if torch else 'not installed'}"
          + (f" (kernels for {torch.backends.cpu.get_cpu_capability()})" if torch else ""))
    print(native_blas.describe() + "\n")

    with blas_threads(args.threads):
        peaks = {dtype: gemm_peak(dtype, repeats) for dtype in dtypes}
        for dtype in dtypes:
            print(f"GEMM peak {np.dtype(dtype).name}: {peaks[dtype]:.1f} GFLOP/s")
        for cell in cells:
            print(f"\n{LAYERS[cell]}\n")
            head = "| B, T, I, N | dtype | numba ms | numpy ms | torch ms | numba/torch | numpy/numba | GFLOP/s | % peak |"
            print(head)
            print("|" + "---|" * (head.count("|") - 1))
            for dtype in dtypes:
                for B, T, I, N in configs:
                    steps = [minirnn_step(cell, "numba", dtype, B, T, I, N)]
                    if not args.no_numpy:
                        steps.append(minirnn_step(cell, "numpy", dtype, B, T, I, N))
                    if torch is not None:
                        steps.append(torch_step(cell, dtype, B, T, I, N))
                    times = median_times(steps, repeats)
                    t_numba = times.pop(0)
                    t_numpy = float("nan") if args.no_numpy else times.pop(0)
                    t_torch = float("nan") if torch is None else times.pop(0)
                    gflops = 6 * T * B * GATES[cell] * N * (I + N) / t_numba / 1e9
                    print(f"| {B}, {T}, {I}, {N} | {np.dtype(dtype).name} | {t_numba * 1e3:.2f} | "
                          f"{number(t_numpy * 1e3, 2)} | {number(t_torch * 1e3, 2)} | "
                          f"{number(t_numba / t_torch, 2)} | {number(t_numpy / t_numba, 1)} | "
                          f"{gflops:.1f} | {100 * gflops / peaks[dtype]:.0f} |", flush=True)

    if not args.no_startup:
        startup_seconds()                    # make sure the on-disk cache is filled
        cached = min(startup_seconds() for _ in range(3))
        with tempfile.TemporaryDirectory() as empty:
            cold = startup_seconds(cache_dir=empty)
        print(f"\nLSTM float32, import + first training step in a fresh process: "
              f"cached start {cached:.2f} s, cold (empty Numba cache, everything compiled) {cold:.2f} s")


if __name__ == "__main__":
    main()
