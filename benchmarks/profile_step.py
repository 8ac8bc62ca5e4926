"""Where the time of one training step goes: a Numba kernel's step, piece by piece.

    python benchmarks/profile_step.py                          # LSTM, float32, every size
    python benchmarks/profile_step.py --cell gru --dtype float64 --sizes 32,50,65,128

For each size (B, T, I, N) it times, the pieces taking turns run by run (median of
--repeats), with BLAS and torch on one thread, in CPU time of this thread
(time.thread_time: on a busy machine, the time spent waiting for a core is left out):

    layer        minirnn's layer: forward + backward, what bench_recurrent.py times
    kernel       the kernel's forward + backward alone (minirnn/kernels/<cell>.py)
    x W          the input product for all steps, before the time loop
    steps fwd    the T recurrent products of the forward loop alone (step_product.rows_times)
    elem fwd     the forward loop minus its products: the gate arithmetic
    steps bwd    the T recurrent products of the backward loop alone
    elem bwd     the backward loop minus its products
    dx, dW, dH   the products after the backward loop, over all steps
    other        kernel minus the pieces above: allocations, copies, db, Numba's dispatch
    python       layer minus kernel: the layer's checks and bookkeeping
    torch        torch.nn.<cell>'s same step, for scale

and the element work in ns per gate element (T B G N elements, G gates). Pieces are
timed separately, so they add up only roughly to the whole.
"""
import argparse
import sys
import time
from pathlib import Path

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))            # run from a fresh clone without installing

import minirnn  # noqa: E402
from minirnn.kernels import gru, lstm, rnn  # noqa: E402
from minirnn.kernels.step_product import rows_times, transposed  # noqa: E402
from minirnn.toolkit.threads import blas_threads  # noqa: E402

SIZES = [(1, 25, 65, 100), (32, 50, 65, 128), (32, 100, 128, 256), (64, 50, 512, 512), (16, 50, 1024, 1024)]
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
LAYERS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


@njit(cache=True)
def step_products(s, M, M_T, out, out_T):
    """The T products of a time loop, s (T, B, K) row by row, as the kernels make them."""
    for t in range(s.shape[0]):
        rows_times(s[t], M, M_T, out, out_T)


def median_times(pieces, repeats):
    """Median seconds of each function, after a warm-up call, taking turns run by run."""
    for piece in pieces.values():
        piece()
    times = {name: [] for name in pieces}
    for _ in range(repeats):
        for name, piece in pieces.items():
            start = time.thread_time()
            piece()
            times[name].append(time.thread_time() - start)
    return {name: float(np.median(kept)) for name, kept in times.items()}


def pieces_of(cell, dtype, B, T, I, N):
    """{name: function of no arguments} for one size: the layer, the kernel and its pieces."""
    G = GATES[cell]
    layer = getattr(minirnn, LAYERS[cell])(I, N, dtype=dtype, seed=0)
    p = layer._params_of(0, 0)
    W, H, b = p["W"], p["H"], p["b"]
    H_T = transposed(H, B)                                     # as the kernels make it
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, B, I)).astype(dtype)           # (T, B, I)
    dy = rng.standard_normal((T, B, N)).astype(dtype)          # (T, B, N)
    h0 = np.zeros((B, N), dtype)
    states = rng.standard_normal((T, B, N)).astype(dtype)      # stand-ins for h_prev, da
    das = rng.standard_normal((T, B, G * N)).astype(dtype)
    fwd_out, fwd_out_T = np.empty((B, G * N), dtype), np.empty((G * N, B), dtype)
    bwd_out, bwd_out_T = np.empty((B, N), dtype), np.empty((N, B), dtype)
    x2, da2, h2 = x.reshape(T * B, I), das.reshape(T * B, G * N), states.reshape(T * B, N)

    # the loops alone run on copies of a forward's arrays: other values than x W, the same work
    if cell == "lstm":
        forward = lambda: lstm.lstm_forward(x, h0, h0, W, H, b)
        backward = lambda cache: lstm.lstm_backward(dy, None, cache)
        cache = forward()[2]
        loop_fwd = lambda: lstm._forward_loop(cache.gates.copy(), cache.h.copy(), cache.c.copy(),
                                              cache.tanh_c.copy(), H, H_T, b)
        loop_bwd = lambda: lstm._backward_loop(dy, dy, False, cache.c, cache.gates, cache.tanh_c, H, H_T,
                                               np.empty_like(cache.gates))
    elif cell == "gru":
        b_hn = p["b_hn"]
        forward = lambda: gru.gru_forward(x, h0, W, H, b, b_hn)
        backward = lambda cache: gru.gru_backward(dy, cache)
        cache = forward()[1]
        loop_fwd = lambda: gru._forward_loop(cache.gates.copy(), cache.h.copy(), cache.n.copy(),
                                             cache.hn.copy(), H, H_T, b, b_hn)
        loop_bwd = lambda: gru._backward_loop(dy, cache.h, cache.gates, cache.n, cache.hn, H, H_T,
                                              np.empty_like(cache.gates), np.empty_like(cache.gates))
    else:
        forward = lambda: rnn.rnn_forward(x, h0, W, H, b)
        backward = lambda cache: rnn.rnn_backward(dy, cache)
        cache = forward()[1]
        a = (x2 @ W).reshape(T, B, N)          # x W, what the loop starts from
        loop_fwd = lambda: rnn._forward_loop(a.copy(), cache.states.copy(), H, H_T, b, False)
        loop_bwd = lambda: rnn._backward_loop(dy, cache.states, H, H_T, False, np.empty_like(dy))
    copies = {"lstm": lambda: (cache.gates.copy(), cache.h.copy(), cache.c.copy(), cache.tanh_c.copy()),
              "gru": lambda: (cache.gates.copy(), cache.h.copy(), cache.n.copy(), cache.hn.copy()),
              "rnn": lambda: (a.copy(), cache.states.copy())}[cell]

    def layer_step():
        layer.forward(x)
        layer.backward(dy)
    return {
        "layer": layer_step,
        "kernel": lambda: backward(forward()[-1]),
        "x W": lambda: x2 @ W,
        "loop fwd": loop_fwd,
        "copies": copies,                  # subtracted from loop fwd
        "steps fwd": lambda: step_products(states, H, H_T, fwd_out, fwd_out_T),
        "loop bwd": loop_bwd,
        "steps bwd": lambda: step_products(das, H_T, H, bwd_out, bwd_out_T),
        "dx": lambda: da2 @ W.T,
        "dW": lambda: x2.T @ da2,
        "dH": lambda: h2.T @ da2,
    }


def torch_step(torch, cell, dtype, B, T, I, N):
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    layer = getattr(torch.nn, LAYERS[cell])(I, N).to(tdtype)
    x = torch.randn(T, B, I, dtype=tdtype, requires_grad=True)
    dy = torch.randn(T, B, N, dtype=tdtype)
    leaves = [x, *layer.parameters()]

    def step():
        for leaf in leaves:
            leaf.grad = None
        y, _ = layer(x)
        y.backward(dy)
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", default="lstm", choices=sorted(GATES))
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--sizes", nargs="*", help="B,T,I,N each (default: the five of bench_recurrent.py)")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--no-torch", action="store_true")
    native_blas.add_argument(parser)
    args = parser.parse_args()
    dtype = np.dtype(args.dtype).type
    sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes] if args.sizes else SIZES
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(1)
        except ImportError:
            pass
    print(f"{LAYERS[args.cell]} {args.dtype}, 1 thread, median of {args.repeats}, ms of CPU time")
    print(native_blas.describe() + "\n")
    cols = ["layer", "kernel", "x W", "steps fwd", "elem fwd", "steps bwd", "elem bwd", "dx", "dW", "dH",
            "other", "python"] + (["torch"] if torch else []) + ["ns/elem fwd", "ns/elem bwd"]
    print("| B, T, I, N | " + " | ".join(cols) + " |")
    print("|" + "---|" * (len(cols) + 1))
    with blas_threads(1):
        for B, T, I, N in sizes:
            pieces = pieces_of(args.cell, dtype, B, T, I, N)
            if torch:
                pieces["torch"] = torch_step(torch, args.cell, dtype, B, T, I, N)
            t = median_times(pieces, args.repeats)
            t["elem fwd"] = t["loop fwd"] - t["copies"] - t["steps fwd"]
            t["elem bwd"] = t["loop bwd"] - t["steps bwd"]
            t["other"] = t["kernel"] - sum(t[k] for k in ("x W", "loop fwd", "loop bwd", "dx", "dW", "dH")) + t["copies"]
            t["python"] = t["layer"] - t["kernel"]
            elements = T * B * GATES[args.cell] * N
            t["ns/elem fwd"] = t["elem fwd"] / elements * 1e6      # shown x 1000 below: ns
            t["ns/elem bwd"] = t["elem bwd"] / elements * 1e6
            print(f"| {B}, {T}, {I}, {N} | " + " | ".join(f"{t[c] * 1e3:.2f}" for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
