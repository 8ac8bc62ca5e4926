"""minirnn's default language model against the same model in PyTorch, same wall time.

    python benchmarks/torch_lm_same_time.py                       # runs `minirnn train` first
    python benchmarks/torch_lm_same_time.py --checkpoint runs/char-lstm/checkpoint.npz

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

from minirnn.checkpoint import Checkpoint  # noqa: E402
from minirnn.lm.model import bits, load_data  # noqa: E402
from minirnn.lm.train import EVAL_LANES  # noqa: E402
from minirnn.lm.windows import random_windows, sequential_windows  # noqa: E402
from minirnn.threads import blas_threads  # noqa: E402


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


def train_torch(torch, settings, config, data, minutes):
    """Train the torch model for ``minutes`` as `minirnn train` does.

    Returns (best validation nats, its step, the steps taken, training tokens/s).
    """
    torch.manual_seed(settings["seed"])
    torch.set_default_dtype(getattr(torch, settings["dtype"]))
    model = torch_model(torch, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
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
        logits, _ = model(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings["clip"])
        optimizer.step()
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
            print(f"  torch step {step:>6}  valid {bits(valid_loss):.4f} bits/token", flush=True)
    if steps_since_eval:
        valid_loss = torch_evaluate(torch, model, valid, T)
        if valid_loss < best:
            best, best_step = valid_loss, step
        print(f"  torch step {step:>6}  valid {bits(valid_loss):.4f} bits/token", flush=True)
    return best, best_step, step, step * T * B / train_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="compare against this `minirnn train` checkpoint "
                                             "(default: run the default `minirnn train` first)")
    parser.add_argument("--minutes", type=float,
                        help="without --checkpoint: run `minirnn train --minutes M` (default: its default)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both: BLAS for minirnn, torch.set_num_threads (default 1)")
    native_blas.add_argument(parser)
    args = parser.parse_args()
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
    print(f"torch {torch.__version__}: the same model, {minutes:g} minutes, {args.threads} thread(s)",
          flush=True)
    with blas_threads(args.threads):
        torch_best, torch_best_step, torch_steps, torch_speed = train_torch(
            torch, settings, config["model"], data, minutes)

    print(f"\n{minutes:g} minutes each, {config['model']['cell'].upper()}({settings['hidden_size']}) "
          f"x {settings['layers']}, batches {B} x {T}, {args.threads} thread(s); "
          f"validation bits per {unit} at the best step:")
    print(f"  {'':<16}{'best step':>10}{'tokens/s':>12}{'bits/' + unit:>14}")
    print(f"  {'minirnn':<16}{config['step']:>10}{minirnn_speed:>12,.0f}{config['valid_bits']:>14.4f}")
    print(f"  {'torch ' + torch.__version__.split('+')[0]:<16}{torch_best_step:>10}{torch_speed:>12,.0f}"
          f"{bits(torch_best):>14.4f}   ({torch_steps} steps in all)")


if __name__ == "__main__":
    main()
