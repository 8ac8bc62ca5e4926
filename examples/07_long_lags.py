"""Lesson: a vanilla RNN cannot learn a dependency 100 steps long; an LSTM or a GRU can.

The adding problem (Hochreiter and Schmidhuber 1997; Le, Jaitly and Hinton 2015). Each
sequence has T steps of two numbers: a value drawn uniformly from [0, 1], and a marker
that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The
target is the sum of the two marked values. The network reads the whole sequence, and
its final state goes through a Linear layer to one number, scored by the mean squared
error. Always answering 1.0, the mean, scores 2/12 = 0.167 (the variance of a sum of
two uniform numbers); a network that does that has learned nothing. "Solved" is a
held-out MSE below 0.01. To solve it, the network must notice a marked value up to T
steps before the end and carry it, untouched by everything that follows, to the end:
the gradient that teaches it has to travel back the same distance.

Five cells, the same budget of training steps (Adam, lr 1e-2, gradient clipping at
norm 1, batches of 32, 16 hidden units), for each T:
    tanh RNN      S_t = tanh(X_t W + S_(t-1) H + b), PyTorch's init
    LSTM b_f=0    forget-gate bias 0: f ~ 0.5 at the start
    LSTM b_f=+1   forget-gate bias +1: f ~ 0.73 (Jozefowicz et al. 2015's head start)
    GRU
    IRNN          a relu RNN with H = identity and b = 0 at the start (Le et al. 2015)

Alongside, how much gradient reaches the first step, ||dL/dx_0|| / ||dL/dx_(T-1)|| on
held-out sequences, as training goes on: the lesson says it vanishes in a vanilla RNN.

What you should see (the default run: T = 10, 50, 100, 200, 1500 steps; 2.5 minutes on
2 busy cores, 80 s of CPU; seed 0):
  - T = 10: every cell solves it;
  - T = 50: the LSTMs and the GRU solve it; the tanh RNN and the IRNN stay near 0.135;
  - T = 100: the GRU (MSE 2e-4) and the LSTM with b_f = +1 (3e-3, after a plateau
    at 0.167 until step ~1200) solve it; the LSTM with b_f = 0 is only leaving the
    plateau when the budget ends (0.08); the tanh RNN and the IRNN answer the mean;
  - T = 200: only the GRU solves it;
  - the gradient at T = 100: the tanh RNN's first step gets 1e-20 of what its last step
    gets at the start, and at most 1e-12 all through training (0 where it falls below
    float32's smallest number): nothing reaches the marked values to learn from. The
    LSTM's starts small too (2e-19 with b_f = 0, 3e-6 with b_f = +1) and jumps to ~1 as
    it leaves the plateau, its forget gates opened; the GRU's reaches 1 by step 600.
    The IRNN starts at 0.8 (the identity H passes the gradient on intact) and loses it
    as training moves H away from the identity: a gradient that survives at the
    start is not enough (Le et al. trained it for far longer, with smaller steps).

Run:  python examples/07_long_lags.py [--quick] [--seed 0] [--plot [FILE.png]]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse
import time

import numpy as np

import minirnn
from minirnn.toolkit.atomic import atomic_write
from minirnn.clip import clip_grad_norm
from minirnn.losses import mean_squared_error
from minirnn.optim import Adam

DTYPE = np.float32          # float32: the Numba kernels run it fastest; enough for an MSE of 1e-4
FORGET = 1                  # LSTM gates are stacked i, f, g, o: the forget gate is block 1
BASELINE = 2 / 12           # the MSE of always answering 1.0: the variance of U(0,1) + U(0,1)
SOLVED = 0.01


def adding_problem(T, B, rng):
    """B sequences of the adding problem: x (T, B, 2) values and markers, target (B, 1)."""
    x = np.zeros((T, B, 2), DTYPE)
    x[:, :, 0] = rng.random((T, B))                          # the values, uniform in [0, 1)
    first = rng.integers(0, T // 2, B)                       # one marker in each half
    second = rng.integers(T // 2, T, B)
    batch = np.arange(B)
    x[first, batch, 1] = 1
    x[second, batch, 1] = 1
    target = x[first, batch, 0] + x[second, batch, 0]        # (B,)
    return x, target[:, None]


def make_cell(name, hidden_size, seed):
    """One of the five recurrent layers, initialised as the lesson describes."""
    N = hidden_size
    if name == "tanh RNN":
        return minirnn.RNN(2, N, dtype=DTYPE, seed=seed)
    if name.startswith("LSTM"):
        layer = minirnn.LSTM(2, N, dtype=DTYPE, seed=seed)
        layer.params["b_l0"][FORGET * N:(FORGET + 1) * N] = 0.0 if name == "LSTM b_f=0" else 1.0
        return layer
    if name == "GRU":
        return minirnn.GRU(2, N, dtype=DTYPE, seed=seed)
    layer = minirnn.RNN(2, N, nonlinearity="relu", dtype=DTYPE, seed=seed)   # the IRNN
    layer.params["H_l0"][...] = np.eye(N)                    # the state is copied, step to step
    layer.params["b_l0"][...] = 0
    layer.params["W_l0"][...] = np.random.default_rng(seed).normal(0, 1e-3, (2, N))   # Le et al.'s N(0, 0.001^2)
    return layer


CELLS = ("tanh RNN", "LSTM b_f=0", "LSTM b_f=+1", "GRU", "IRNN")


class Regressor:
    """A recurrent layer -> its final h -> Linear: one number per sequence (many-to-one)."""

    def __init__(self, layer, seed):
        self.layer = layer
        self.head = minirnn.Linear(layer.hidden_size, 1, dtype=DTYPE, seed=seed)

    @property
    def params(self):
        return {**{f"rnn.{k}": v for k, v in self.layer.params.items()},
                **{f"head.{k}": v for k, v in self.head.params.items()}}

    @property
    def grads(self):
        return {**{f"rnn.{k}": v for k, v in self.layer.grads.items()},
                **{f"head.{k}": v for k, v in self.head.grads.items()}}

    def forward(self, x):
        """x (T, B, 2) -> prediction (B, 1)"""
        y, final = self.layer.forward(x)
        self._y_shape, self._finals = y.shape, self.layer.state_parts(final)   # (h,) or (h, c)
        return self.head.forward(self._finals[0][-1])        # h after the last step, (B, N)

    def backward(self, dprediction):
        """dprediction (B, 1) -> dx (T, B, 2); fills the grads."""
        dfinals = [np.zeros_like(f) for f in self._finals]
        dfinals[0][-1] = self.head.backward(dprediction)     # only the final h is read
        dstate = tuple(dfinals) if len(dfinals) > 1 else dfinals[0]
        dx, _ = self.layer.backward(np.zeros(self._y_shape, DTYPE), dstate)   # no loss on the outputs
        return dx

    def loss(self, x, target):
        """(held-out MSE, dL/dx (T, B, 2)) on one batch, without changing the parameters."""
        mse, dprediction = mean_squared_error(self.forward(x), target)
        return mse, self.backward(dprediction)


def first_step_share(dx):
    """||dL/dx_0|| / ||dL/dx_(T-1)||: how much gradient reaches the first step."""
    norms = np.linalg.norm(dx.reshape(len(dx), -1), axis=1)  # (T,)
    return norms[0] / norms[-1]


def train(model, T, args, rng, held_out):
    """Train for args.steps; return the held-out MSE and first-step share at each checkpoint."""
    optimizer = Adam(model.params, lr=args.lr)
    checkpoints = np.linspace(0, args.steps, args.points + 1).astype(int)
    curve = []
    for step in range(args.steps + 1):
        if step in checkpoints:
            mse, dx = model.loss(*held_out)
            curve.append((step, mse, first_step_share(dx)))
        if step == args.steps:
            break
        x, target = adding_problem(T, args.batch, rng)
        _, dprediction = mean_squared_error(model.forward(x), target)
        model.backward(dprediction)
        grads = model.grads
        clip_grad_norm(grads, max_norm=1.0)                  # a relu RNN's gradient can explode
        optimizer.step(grads)
    return curve


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short sequences and few steps, for the tests")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--lengths", type=types.positive_int, nargs="+", default=None, metavar="T",
                        help="sequence lengths (default 10 50 100 200; quick 10 30)")
    parser.add_argument("--steps", type=types.positive_int, default=None, help="training steps per cell and T (default 1500; quick 300)")
    parser.add_argument("--batch", type=types.positive_int, default=32)
    parser.add_argument("--hidden-size", type=types.positive_int, default=16)
    parser.add_argument("--lr", type=types.positive_float, default=1e-2)
    parser.add_argument("--points", type=types.positive_int, default=15, help="held-out checkpoints per run (default 15)")
    parser.add_argument("--plot", nargs="?", const="long_lags.png", default=None, metavar="FILE",
                        help="save the learning curves to a PNG (needs matplotlib)")
    args = parser.parse_args()
    lengths = args.lengths or ([10, 30] if args.quick else [10, 50, 100, 200])
    args.steps = args.steps or (300 if args.quick else 1500)

    start = time.time()
    curves = {}                                              # (cell, T) -> [(step, mse, share)]
    for T in lengths:
        held_out = adding_problem(T, 512, np.random.default_rng(10_000 + args.seed))
        for name in CELLS:
            model = Regressor(make_cell(name, args.hidden_size, args.seed), args.seed)
            curves[name, T] = train(model, T, args, np.random.default_rng(args.seed), held_out)
        print(f"T={T}: trained {len(CELLS)} cells for {args.steps} steps each "
              f"({time.time() - start:.0f} s so far)", flush=True)

    print(f"\nheld-out MSE after {args.steps} steps (always answering 1.0: {BASELINE:.3f}; "
          f"solved: < {SOLVED})")
    print(f"{'':<13}" + "".join(f"{f'T={T}':>10}" for T in lengths))
    for name in CELLS:
        print(f"{name:<13}" + "".join(f"{curves[name, T][-1][1]:>10.4f}" for T in lengths))

    T = lengths[-1] if 100 not in lengths else 100
    steps = [step for step, _, _ in curves[CELLS[0], T]][::max(1, args.points // 5)]
    print(f"\n||dL/dx_0|| / ||dL/dx_(T-1)|| at T={T}, on held-out sequences, as training goes on")
    print(f"{'step':<13}" + "".join(f"{s:>9}" for s in steps))
    for name in CELLS:
        shares = {step: share for step, _, share in curves[name, T]}
        print(f"{name:<13}" + "".join(f"{shares[s]:>9.0e}" if shares[s] else f"{0:>9}" for s in steps))
    if any(share == 0 for name in CELLS for _, _, share in curves[name, T]):
        print("(0: smaller than float32's smallest number; the gradient vanished altogether)")

    if args.plot:
        save_plot(args.plot, curves, lengths, args.steps)
    short = {"tanh RNN": "rnn", "LSTM b_f=0": "lstm", "LSTM b_f=+1": "lstm_bf1", "GRU": "gru", "IRNN": "irnn"}
    for T in lengths:
        mse = " ".join(f"{short[n]}={curves[n, T][-1][1]:.4f}" for n in CELLS)
        share = " ".join(f"{short[n]}_first_step={curves[n, T][-1][2]:.1e}" for n in CELLS)
        print(f"RESULT T={T} steps={args.steps} baseline={BASELINE:.4f} {mse} {share}")


def save_plot(path, curves, lengths, steps):
    """Held-out MSE against training step, one panel per T; written to a temp file, then renamed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed, no plot written")
        return
    fig, axes = plt.subplots(1, len(lengths), figsize=(3.2 * len(lengths) + 1, 3.6), sharey=True)
    for ax, T in zip(np.atleast_1d(axes), lengths):
        for name in CELLS:
            step, mse, _ = zip(*curves[name, T])
            ax.semilogy(step, mse, label=name)
        ax.axhline(BASELINE, color="gray", linestyle="--", linewidth=1, label="always 1.0")
        ax.axhline(SOLVED, color="gray", linestyle=":", linewidth=1, label="solved")
        ax.set_title(f"T = {T}")
        ax.set_xlabel("training step")
    np.atleast_1d(axes)[0].set_ylabel("held-out MSE")
    np.atleast_1d(axes)[-1].legend(fontsize=8)
    fig.suptitle(f"The adding problem: the same {steps} steps for every cell")
    fig.tight_layout()
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))   # never a half-written PNG
    finally:
        plt.close(fig)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
