"""Lesson: prove a hand-written backward pass right (or wrong) with finite differences.

Every gradient in minirnn is written by hand, so every one could be wrong. The cure is
to nudge each number the loss depends on and watch what the loss does:

    dL/dx_k  ~  (L(x_k + eps) - L(x_k - eps)) / (2 eps)

minirnn.gradcheck.check_layer (its code: minirnn/toolkit/gradcheck/layer.py) builds a
random scalar loss from everything an RNN, LSTM or GRU layer returns, runs the layer's
backward once, then compares each gradient entry (input x, initial states h0 and c0,
every weight) with its finite-difference estimate.

This script checks an LSTM twice:
  1. as written: every row of the table should say PASS (relative errors of a few 1e-9,
     far inside the tolerance 1e-7, also a relative error);
  2. with a classic bug slipped into the backward pass: the gradient forgets to pass
     through the forget gate on its way from C_t back to C_(t-1), as if the cell were
     C_t = C_(t-1) + i*g. Rows should now say FAIL, with relative errors around 1 (the
     analytic and numerical columns often disagree even in sign), and the table shows which
     arrays are wrong.

Run:  python examples/01_gradient_check.py [--quick] [--seed 0]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse

import numpy as np

import minirnn
import minirnn.cells.lstm as lstm_cell
from minirnn.gradcheck import check_layer


CORRECT_STEP_BACKWARD = lstm_cell.lstm_step_backward


def broken_lstm_step_backward(dh, dc, cache):
    """The correct one-step backward, then the bug: dC_(t-1) = dC_t instead of dC_t * f."""
    dx, dh_prev, dc_prev, dW, dH, db = CORRECT_STEP_BACKWARD(dh, dc, cache)
    dc_without_forget_gate = dc_prev / cache.f     # undo the "* f" on the way back
    return dx, dh_prev, dc_without_forget_gate, dW, dH, db


def check(args, title):
    """Gradient-check a small float64 LSTM on random data and print the table."""
    rng = np.random.default_rng(args.seed)
    T, B, I, N = args.steps, 3, 4, 3
    # backend="numpy": the reference cells of minirnn/cells/lstm.py, where the bug is slipped in
    layer = minirnn.LSTM(I, N, dtype=np.float64, seed=args.seed, backend="numpy")
    x = rng.standard_normal((T, B, I))                 # (T, B, I)
    h0 = rng.standard_normal((1, B, N))                # (layers * directions, B, N)
    c0 = rng.standard_normal((1, B, N))
    report = check_layer(layer, x, (h0, c0), seed=args.seed)
    print(f"--- {title}: LSTM(I={I}, N={N}), T={T}, B={B}, random non-zero initial state")
    print(report, end="\n\n")
    return report


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (the check is fast anyway)")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--steps", type=types.positive_int, default=None, help="sequence length T (default 6, quick 3)")
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 3 if args.quick else 6

    correct = check(args, "the LSTM as written")

    # Monkeypatch: lstm_backward looks lstm_step_backward up in its module at every step,
    # so replacing the module attribute swaps in the broken step; restore it afterwards.
    lstm_cell.lstm_step_backward = broken_lstm_step_backward
    try:
        broken = check(args, "the same LSTM, backward without the forget gate (a bug)")
    finally:
        lstm_cell.lstm_step_backward = CORRECT_STEP_BACKWARD

    # What to notice: every array fails, because each reaches the loss through some
    # C_(t-1). Only gradients that never cross a step back in time stay right: x at the
    # last step (its error is ~1e-11) - the worst entries sit at early steps instead.
    # The bug raises no error and its gradients have sensible sizes: only a check like this catches it.
    verdict = lambda report: "PASS" if report.passed() else "FAIL"
    print(f"RESULT correct={verdict(correct)} broken={verdict(broken)} "
          f"correct_max_rel_err={correct.max_rel_error:.1e} broken_max_rel_err={broken.max_rel_error:.1e}")


if __name__ == "__main__":
    main()
