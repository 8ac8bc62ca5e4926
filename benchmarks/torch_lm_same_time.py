"""minirnn's default language model against PyTorch's best cell, same wall time.

    python benchmarks/torch_lm_same_time.py                       # runs `minirnn train` first
    python benchmarks/torch_lm_same_time.py --checkpoint runs/char-gru/checkpoint.npz
    python benchmarks/torch_lm_same_time.py --torch-models gru:384,lstm:256:0.005,gru:256

PyTorch trains each model of --torch-models for the same time, and the table ranks them:
the comparison is against whichever PyTorch model does best in that time, not only
against the cell minirnn used. By default they are minirnn's own cell, size and rate, and
the best two of the sweep in minirnn/lm/settings.py, GRU 384 at Adam's rate 0.002 and
LSTM 256 at 0.005 (each cell has its own best rate).

Both sides get the same everything but the library: the same text, vocabulary and
windows (minirnn.lm.load_data and minirnn.lm.windows.random_windows with the same seed), the
same network sizes, Adam with the same learning rate, clipping to the same global
norm, the same time budget (``--minutes`` of the minirnn run, validation included),
validation on the same slice every as many steps, in the same lanes with the state
carried (minirnn.lm.windows.sequential_windows), and the same number of threads. Each keeps
its best validation loss. The figure compared is bits per token at the best step.

Both run on the OpenBLAS kernel the processor gets by default (benchmarks/native_blas.py:
the script re-runs itself without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unless
--blas-as-is), and the header says which kernel ran.

Not a test: the two runs are one after the other on a machine others may be using,
so the load can differ between them; the script prints what it measured.
"""
import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

from minirnn.toolkit.checkpoint import Checkpoint  # noqa: E402
from minirnn.lm.model import bits, load_data  # noqa: E402
from minirnn.lm.train import EVAL_LANES  # noqa: E402
from minirnn.lm.windows import random_windows, sequential_windows  # noqa: E402
from minirnn.toolkit.threads import blas_threads  # noqa: E402


def minirnn_run(checkpoint, threads, minutes):
    """The minirnn run's checkpoint: the one given, or a fresh default `minirnn train`."""
    if checkpoint is not None:
        return Checkpoint(checkpoint)
    out = Path(tempfile.mkdtemp(prefix="minirnn-bench-")) / "checkpoint.npz"
    command = [sys.executable, "-m", "minirnn", "train", "--out", str(out), "--progress", "lines",
               "--threads", str(threads)] + (["--minutes", str(minutes)] if minutes else [])
    print("$", " ".join(command[1:]), flush=True)
    began = time.perf_counter()
    subprocess.run(command, check=True)
    print(f"(minirnn train took {time.perf_counter() - began:.0f} s of wall time)\n", flush=True)
    return Checkpoint(out)


def torch_model(torch, config):
    """Embedding (or one-hot) -> LSTM/GRU/RNN -> Linear, as minirnn.lm.build_model."""
    nn = torch.nn
    V, N = config["vocab_size"], config["hidden_size"]
    cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config["cell"]]

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            if config["input"] == "embedding":
                self.embed = nn.Embedding(V, config["embed_size"], padding_idx=0)
                features = config["embed_size"]
            else:
                self.embed = lambda ids: nn.functional.one_hot(ids, V).to(torch.get_default_dtype())
                features = V
            self.rnn = cell(features, N, num_layers=config["layers"], dropout=config["dropout"])
            self.head = nn.Linear(N, V)

        def forward(self, ids, state=None):
            y, state = self.rnn(self.embed(ids), state)         # (T, B, N), time-major
            return self.head(y), state                          # (T, B, V)

    return LanguageModel()


def torch_evaluate(torch, model, ids, nchars):
    """Mean nats per token over ids, in EVAL_LANES lanes with the state carried (as minirnn.lm.evaluate)."""
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in sequential_windows(ids, nchars, EVAL_LANES):
            logits, state = model(torch.from_numpy(x), state)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).double(), torch.from_numpy(y).reshape(-1),
                reduction="sum").item()
            count += y.size
    model.train()
    return total / count


def torch_step(torch, model, optimizer, x, y, clip):
    """One training step of the torch model on windows x, y (T, B): the loss, backward,
    clipping at norm ``clip`` and the optimizer's step, as `minirnn train` takes it."""
    logits, _ = model(torch.from_numpy(x))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             torch.from_numpy(y).reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()


def train_torch(torch, settings, config, lr, data, minutes):
    """Train the torch model ``config`` describes for ``minutes`` at Adam's rate ``lr``,
    as `minirnn train` does.

    Returns (best validation nats, its step, the steps taken, training tokens/s).
    """
    torch.manual_seed(settings["seed"])
    torch.set_default_dtype(getattr(torch, settings["dtype"]))
    model = torch_model(torch, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(settings["seed"])
    valid = data.valid[:settings["valid_tokens"]]
    T, B = settings["nchars"], settings["batch_size"]
    deadline = time.perf_counter() + 60 * minutes
    best, best_step, step, train_seconds, eval_seconds, steps_since_eval = math.inf, 0, 0, 0.0, 0.0, 0
    while True:
        step_seconds = train_seconds / step if step else 0.0
        if time.perf_counter() + eval_seconds + step_seconds >= deadline:
            break
        began = time.perf_counter()
        x, y = random_windows(data.train, T, B, rng)                  # (T, B)
        torch_step(torch, model, optimizer, x, y, settings["clip"])
        train_seconds += time.perf_counter() - began
        step += 1
        steps_since_eval += 1
        if step % settings["eval_every"] == 0:
            began = time.perf_counter()
            valid_loss = torch_evaluate(torch, model, valid, T)
            eval_seconds = time.perf_counter() - began
            if valid_loss < best:
                best, best_step = valid_loss, step
            steps_since_eval = 0
            print(f"  torch {config['cell']}:{config['hidden_size']} step {step:>6}  "
                  f"valid {bits(valid_loss):.4f} bits/token", flush=True)
    if steps_since_eval:
        valid_loss = torch_evaluate(torch, model, valid, T)
        if valid_loss < best:
            best, best_step = valid_loss, step
        print(f"  torch {config['cell']}:{config['hidden_size']} step {step:>6}  "
              f"valid {bits(valid_loss):.4f} bits/token", flush=True)
    return best, best_step, step, step * T * B / train_seconds


# The best two of the sweep in minirnn/lm/settings.py: (cell, hidden size, Adam's rate).
SWEEP_BEST = [("gru", 384, 2e-3), ("lstm", 256, 5e-3)]


def torch_models(text):
    """--torch-models "lstm:256:0.005,gru:384" -> [(cell, hidden size, lr or None)]."""
    models = []
    for item in text.split(","):
        cell, size, rate = (item.split(":") + [""])[:3]
        try:
            rate = float(rate) if rate else None
        except ValueError:
            rate = -1.0
        bad_rate = rate is not None and not rate > 0
        if cell not in ("lstm", "gru", "rnn") or not size.isdigit() or int(size) < 1 or bad_rate:
            sys.exit(f"--torch-models: expected CELL:SIZE or CELL:SIZE:LR items such as lstm:256 "
                     f"or lstm:256:0.005, got {item!r}")
        models.append((cell, int(size), rate))
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="compare against this `minirnn train` checkpoint "
                                             "(default: run the default `minirnn train` first)")
    parser.add_argument("--minutes", type=float,
                        help="without --checkpoint: run `minirnn train --minutes M` (default: its default)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both: BLAS for minirnn, torch.set_num_threads (default 1)")
    parser.add_argument("--torch-models", metavar="CELL:N[:LR],...",
                        help="the PyTorch models to train, e.g. gru:384,lstm:256:0.005, LR defaulting to "
                             "minirnn's (default: minirnn's own model, gru:384:0.002 and lstm:256:0.005)")
    native_blas.add_argument(parser)
    args = parser.parse_args()
    models = None if args.torch_models is None else torch_models(args.torch_models)
    import torch
    print(native_blas.describe())
    print(f"torch's kernels: {torch.backends.cpu.get_cpu_capability()}\n", flush=True)

    checkpoint = minirnn_run(args.checkpoint, args.threads, args.minutes)
    config, settings = checkpoint.config, checkpoint.config["settings"]
    minutes = settings["minutes"]
    if minutes is None:
        sys.exit("the minirnn run was limited by --steps, not by time: give a run made with --minutes")
    unit = settings["level"]
    T, B = settings["nchars"], settings["batch_size"]
    minirnn_speed = config["step"] * T * B / config["seconds"]     # training time only, to the best step

    data = load_data(settings["text"], settings["level"], settings["max_vocab"])
    torch.set_num_threads(args.threads)
    name = f"minirnn {config['model']['cell']}:{settings['hidden_size']} lr {settings['lr']:g}"
    results = [(name, config["step"], minirnn_speed, config["valid_bits"], "")]
    own = (config["model"]["cell"], settings["hidden_size"], settings["lr"])
    if models is None:
        models = [own] + [best for best in SWEEP_BEST if best != own]
    for cell, size, lr in models:
        lr = settings["lr"] if lr is None else lr
        print(f"torch {torch.__version__}: {cell.upper()}({size}), Adam lr {lr:g}, {minutes:g} minutes, "
              f"{args.threads} thread(s)", flush=True)
        with blas_threads(args.threads):
            best, best_step, steps, speed = train_torch(
                torch, settings, {**config["model"], "cell": cell, "hidden_size": size}, lr, data, minutes)
        results.append((f"torch {cell}:{size} lr {lr:g}", best_step, speed, bits(best),
                        f"({steps} steps in all)"))

    print(f"\n{minutes:g} minutes each, {settings['layers']} layer(s), batches {B} x {T}, "
          f"{args.threads} thread(s); validation bits per {unit} at the best step, best first:")
    print(f"  {'':<26}{'best step':>10}{'tokens/s':>12}{'bits/' + unit:>14}")
    for name, step, speed, valid_bits, note in sorted(results, key=lambda r: r[3]):
        print(f"  {name:<26}{step:>10}{speed:>12,.0f}{valid_bits:>14.4f}   {note}")


if __name__ == "__main__":
    main()
