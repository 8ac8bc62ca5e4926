"""Lesson: write a cell of your own as one step forward and one step backward; minirnn
gives it the rest: the sequence loop, backpropagation through time, layers, directions,
sequence lengths, dropout, trace(), gradient checks and training.

The cell here is one minirnn does not have, the minimal gated unit (MGU; Zhou, Wu, Zhang
and Zhou 2016, "Minimal gated unit for recurrent neural networks", eqs. 4-6, written in
the lesson's row-vector notation). One gate, f, does the jobs of the GRU's two:

    f_t = sigmoid(X_t W_f + h_(t-1) H_f + b_f)             forget gate
    n_t =    tanh(X_t W_n + (f_t * h_(t-1)) H_n + b_n)     candidate: sees only what f lets through
    h_t = (1 - f_t) * h_(t-1) + f_t * n_t                  keep the old, or take the new

W (I, 2N) = [W_f | W_n], H (N, 2N) = [H_f | H_n], b (2N,): two N-wide blocks, so the
cell declares blocks = 2 and state_names = ("h",). The protocol, in full, is the
docstring of minirnn/cells/sequence.py.

This script
  1. proves the MGU's gradients with minirnn's checker, on a 2-layer bidirectional layer
     with sequences of different lengths: every array PASSes;
  2. checks a copy with a classic bug (the gate's path through the candidate is
     forgotten: f multiplies h_(t-1) inside n_t, and that product has a gradient too):
     arrays FAIL, with relative errors of 1e-2 to 1;
  3. trains the MGU on the adding problem of examples/07_long_lags.py next to the LSTM
     (forget-gate bias +1), with the same loop, budget and optimizer (T = 50, 1000 steps:
     both solve it, the MGU with half the LSTM's parameters; quick: T = 10, 200 steps).

The same check from the command line:
    minirnn gradcheck --cell examples/08_your_own_cell.py:MGU --layers 2 --bidirectional --packed

Run:  python examples/08_your_own_cell.py [--quick] [--seed 0]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse
import importlib
import time
from typing import NamedTuple

import numpy as np

from minirnn.cells.activations import sigmoid
from minirnn.gradcheck import check_layer
from minirnn.cells.sequence import CellLayer


class MGUStepCache(NamedTuple):
    """What the backward pass of one step needs from its forward pass."""
    x: np.ndarray        # (B, I)  input
    h_prev: np.ndarray   # (B, N)  previous state
    f: np.ndarray        # (B, N)  forget gate (trace() returns it: gate_names)
    n: np.ndarray        # (B, N)  candidate
    W: np.ndarray        # (I, 2N)
    H: np.ndarray        # (N, 2N)


class MGU:
    """The minimal gated unit, as one step forward and one step backward."""

    state_names = ("h",)       # one state, which is also the output
    blocks = 2                 # W, H and b stack two N-wide blocks: f, then n
    gate_names = ("f",)        # the cache field Recurrent.trace() returns

    def step_forward(self, x, states_prev, params):
        """x (B, I), states_prev (h_prev (B, N),)  ->  (h (B, N),), cache"""
        (h_prev,) = states_prev
        W, H, b = params["W"], params["H"], params["b"]
        N = h_prev.shape[1]
        f = sigmoid(x @ W[:, :N] + h_prev @ H[:, :N] + b[:N])             # (B, N) forget gate
        n = np.tanh(x @ W[:, N:] + (f * h_prev) @ H[:, N:] + b[N:])       # (B, N) candidate
        h = (1 - f) * h_prev + f * n                                      # (B, N)
        return (h,), MGUStepCache(x, h_prev, f, n, W, H)

    def step_backward(self, dstates, cache):
        """dstates (dh (B, N),): the whole gradient reaching h
        ->  dx (B, I), (dh_prev (B, N),), {"W", "H", "b"}"""
        (dh,) = dstates
        x, h_prev, f, n, W, H = cache
        N = h_prev.shape[1]
        dn = dh * f                                  # h = (1 - f) * h_prev + f * n
        df = dh * (n - h_prev)
        dh_prev = dh * (1 - f)
        da_n = dn * (1 - n * n)                      # n = tanh(a_n); tanh' = 1 - tanh^2
        dfh = da_n @ H[:, N:].T                      # a_n = ... + (f * h_prev) H_n + ...
        df = df + self.through_candidate(dfh, h_prev)
        dh_prev = dh_prev + dfh * f
        da_f = df * f * (1 - f)                      # f = sigmoid(a_f); sigmoid' = f (1 - f)
        dh_prev = dh_prev + da_f @ H[:, :N].T        # a_f = ... + h_prev H_f + ...
        da = np.concatenate([da_f, da_n], axis=1)    # (B, 2N), blocks f, n like W's
        dx = da @ W.T                                # (B, I) both blocks read x
        dW = x.T @ da                                # (I, 2N)
        dH = np.concatenate([h_prev.T @ da_f, (f * h_prev).T @ da_n], axis=1)   # (N, 2N)
        db = da.sum(axis=0)                          # (2N,)
        return dx, (dh_prev,), {"W": dW, "H": dH, "b": db}

    def through_candidate(self, dfh, h_prev):
        """The gradient reaching f through the candidate, where f multiplies h_prev."""
        return dfh * h_prev


class BrokenMGU(MGU):
    """The same cell with a classic bug: f's path through the candidate is forgotten."""

    def through_candidate(self, dfh, h_prev):
        return np.zeros_like(dfh)


def check(cell, seed):
    """Gradient-check a 2-layer bidirectional float64 layer of the cell, with lengths."""
    layer = CellLayer(cell, 3, 4, num_layers=2, bidirectional=True, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 3, 3))                       # (T, B, I)
    h0 = rng.standard_normal((4, 3, 4))                      # (layers * directions, B, N)
    report = check_layer(layer, x, h0, lengths=np.array([6, 2, 4]), seed=seed)
    print(f"--- {type(cell).__name__}: {layer!r}, T=6, B=3, lengths [6, 2, 4]")
    print(report, end="\n\n")
    return report


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short sequences and few steps, for the tests")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--length", type=types.positive_int, default=None, help="T for the adding problem (default 50; quick 10)")
    parser.add_argument("--steps", type=types.positive_int, default=None, help="training steps (default 1000; quick 200)")
    args = parser.parse_args()
    T = args.length or (10 if args.quick else 50)
    steps = args.steps or (200 if args.quick else 1000)

    correct, broken = check(MGU(), args.seed), check(BrokenMGU(), args.seed)

    # The adding problem, its model and its training loop come from examples/07.
    long_lags = importlib.import_module("07_long_lags")
    settings = argparse.Namespace(steps=steps, points=5, batch=32, lr=1e-2)
    held_out = long_lags.adding_problem(T, 512, np.random.default_rng(10_000 + args.seed))
    layers = {"MGU": CellLayer(MGU(), 2, 16, dtype=long_lags.DTYPE, seed=args.seed),
              "LSTM b_f=+1": long_lags.make_cell("LSTM b_f=+1", 16, args.seed)}
    print(f"the adding problem, T={T}, {steps} steps each (always answering 1.0: {long_lags.BASELINE:.3f})")
    mse = {}
    for name, layer in layers.items():
        start = time.time()
        model = long_lags.Regressor(layer, args.seed)
        curve = long_lags.train(model, T, settings, np.random.default_rng(args.seed), held_out)
        mse[name] = curve[-1][1]
        count = sum(p.size for p in model.params.values())
        print(f"{name:<12} {count:>4} parameters  held-out MSE " + "  ".join(f"{m:.4f}" for _, m, _ in curve)
              + f"  ({time.time() - start:.0f} s)")
    gate = layers["MGU"].trace()[0]["f"]                     # (T, B, N): the forget gate at work
    print(f"the MGU's forget gate on held-out sequences: mean {gate.mean():.2f}, "
          f"{np.mean(gate < 0.1):.0%} of its values below 0.1 (the state kept)")

    verdict = lambda report: "PASS" if report.passed() else "FAIL"
    print(f"RESULT correct={verdict(correct)} broken={verdict(broken)} "
          f"correct_max_rel_err={correct.max_rel_error:.1e} broken_max_rel_err={broken.max_rel_error:.1e} "
          f"T={T} steps={steps} baseline={long_lags.BASELINE:.4f} mgu={mse['MGU']:.4f} "
          f"lstm={mse['LSTM b_f=+1']:.4f}")


if __name__ == "__main__":
    main()
