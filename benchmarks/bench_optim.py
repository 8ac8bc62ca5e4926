"""One Adam step on a language model's parameters: minirnn's rule in chunks, the same rule on
whole arrays, and torch.optim.Adam, taking turns in one run.

    python benchmarks/bench_optim.py                      # GRU(384) and GRU(1024), float32
    python benchmarks/bench_optim.py --hidden-size 512 --dtype float64

minirnn's Optimizer (minirnn/toolkit/optimizer.py) hands a large parameter to the rule in
chunks of CHUNK entries, so that the rule's temporaries (m_hat, v_hat, ...) stay small.
Whole-array temporaries as large as the biggest weight are returned to the system by malloc
between steps and page-faulted in again at the next one, depending on what else the process
freed before: so each size is timed twice, each in a fresh process: as it starts, and after
freeing an array as large as a training step's gate activations (T, B, 3N), as a forward
pass does.

The parameters are those of `minirnn train`'s default model at the given hidden size:
embedding 100 x 64, one GRU layer, head N x 100. One thread; the median of --steps steps.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a fresh clone

from minirnn.optim import Adam  # noqa: E402
from minirnn.toolkit.threads import blas_threads  # noqa: E402

V, E, T, B = 100, 64, 50, 32             # vocabulary, embedding, window, batch of the default run


class WholeArrays(Adam):
    """minirnn's Adam rule, given every parameter whole."""

    def _update_in_chunks(self, p, g, running):
        self.update(p, g, **running)


def parameters(N, dtype, rng):
    shapes = {"embed.E": (V, E), "rnn.W_l0": (E, 3 * N), "rnn.H_l0": (N, 3 * N), "rnn.b_l0": (3 * N,),
              "rnn.b_hn_l0": (N,), "head.W": (N, V), "head.b": (V,)}
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}


def time_steps(N, dtype, steps, torch):
    """Median seconds of one step per contender, the contenders taking turns."""
    rng = np.random.default_rng(0)
    grads = {name: 0.01 * g for name, g in parameters(N, dtype, rng).items()}
    contenders = {"minirnn (chunks)": Adam(parameters(N, dtype, rng)).step,
                  "whole arrays": WholeArrays(parameters(N, dtype, rng)).step}
    if torch is not None:
        tensors = [torch.tensor(p, requires_grad=True) for p in parameters(N, dtype, rng).values()]
        for t, g in zip(tensors, grads.values()):
            t.grad = torch.from_numpy(g.copy())
        contenders["torch"] = lambda _, opt=torch.optim.Adam(tensors, foreach=False): opt.step()
    times = {name: [] for name in contenders}
    for step in contenders.values():      # warm up
        step(grads)
    for i in range(steps):
        order = list(contenders.items())
        for name, step in order if i % 2 else reversed(order):
            start = time.perf_counter()
            step(grads)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(ts)) for name, ts in times.items()}


def run_one(N, dtype, steps, freed):
    """One line: the contenders at hidden size N, in this fresh process, after freeing a
    (T, B, 3N) array first if freed."""
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    if freed:
        gates = np.ones((T, B, 3 * N), dtype)
        del gates
    with blas_threads(1):
        t = time_steps(N, dtype, steps, torch)
    count = V * E + 3 * N * (E + N + 1) + N + N * V + V
    chunks = t["minirnn (chunks)"]
    line = ", ".join(f"{name} {seconds * 1e3:.2f} ms ({seconds / chunks:.2f})" for name, seconds in t.items())
    when = "after freeing a (T, B, 3N) array" if freed else "in a fresh process"
    print(f"GRU({N}), {count:,} parameters, {when}: {line}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden-size", type=int, action="append", help="N (default: 384 and 1024)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per contender (default 40)")
    parser.add_argument("--one", help=argparse.SUPPRESS)     # N,freed: one line, in this process
    native_blas.add_argument(parser)
    args = parser.parse_args()
    if args.one:
        N, freed = args.one.split(",")
        return run_one(int(N), args.dtype, args.steps, freed == "1")
    print(native_blas.describe())
    print(f"Adam, {args.dtype}, 1 thread, median of {args.steps} steps; in brackets, the time "
          f"over minirnn's\n")
    for N in args.hidden_size or [384, 1024]:
        for freed in ("0", "1"):                # each in a fresh process: malloc's state is part of it
            subprocess.run([sys.executable, __file__, "--one", f"{N},{freed}", "--dtype", args.dtype,
                            "--steps", str(args.steps), "--blas-as-is"], check=True)


if __name__ == "__main__":
    main()
