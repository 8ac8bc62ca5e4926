"""One step of the default `minirnn train` against the same step in PyTorch, in one run.

    python benchmarks/bench_train_step.py                 # the default run's step
    python benchmarks/bench_train_step.py --cell gru --hidden-size 512

The step is TrainingRun.train_step itself (minirnn/lm/train.py): random windows, the
forward pass of embedding -> LSTM -> Linear, softmax cross-entropy, backpropagation,
clipping to the global norm, Adam. The torch step is the same model
(torch_lm_same_time.torch_model), the same windows, loss, clipping and Adam. The two
take turns step by step, each on one thread, and the time is the median. Each step is
also split into its recurrent layer (forward + backward of the layer alone, timed in
the same turns) and the rest.

Runs on the OpenBLAS kernel the processor gets by default (benchmarks/native_blas.py;
--blas-as-is keeps the environment), and the header says which kernel ran.
"""
import argparse
import sys
import time
from pathlib import Path

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))            # run from a fresh clone without installing

from minirnn.cli import build_parser  # noqa: E402
from minirnn.lm.settings import resolve_settings  # noqa: E402
from minirnn.lm.train import TrainingRun  # noqa: E402
from minirnn.lm.windows import random_windows  # noqa: E402
from minirnn.toolkit.threads import blas_threads  # noqa: E402
from torch_lm_same_time import torch_model, torch_step  # noqa: E402


def torch_train_step(torch, settings, config):
    """The same step in PyTorch, and its recurrent layer's forward + backward alone."""
    torch.manual_seed(settings["seed"])
    torch.set_default_dtype(getattr(torch, settings["dtype"]))
    model = torch_model(torch, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    rng = np.random.default_rng(settings["seed"])
    T, B = settings["nchars"], settings["batch_size"]

    def step(train):
        x, y = random_windows(train, T, B, rng)                       # (T, B)
        torch_step(torch, model, optimizer, x, y, settings["clip"])

    T, N = settings["nchars"], config["hidden_size"]
    x = torch.randn(T, B, model.rnn.input_size)
    dy = torch.ones(T, B, N)

    def layer_step():
        y, _ = model.rnn(x)
        y.backward(dy)
    return step, layer_step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per contender (default 60)")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], help="instead of the default cell")
    parser.add_argument("--hidden-size", type=int, help="instead of the default size")
    native_blas.add_argument(parser)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)

    train_args = ["train"] + (["--cell", args.cell] if args.cell else []) + (
        ["--hidden-size", str(args.hidden_size)] if args.hidden_size else [])
    settings, _ = resolve_settings(build_parser().parse_args(train_args))
    run = TrainingRun.start(settings)
    torch_step, torch_layer_step = torch_train_step(torch, run.settings, run.model_config)
    rnn = run.model.modules["rnn"]
    print(f"`minirnn {' '.join(train_args)}`: {run.model_config['cell'].upper()}({run.settings['hidden_size']}), "
          f"embedding {run.settings['embed_size']}, vocabulary {run.model_config['vocab_size']}, "
          f"batches {run.settings['batch_size']} x {run.settings['nchars']}, {run.settings['dtype']}, "
          f"Adam, clip {run.settings['clip']}; 1 thread, median of {args.steps} steps")
    print(native_blas.describe())
    print(f"torch {torch.__version__} (kernels for {torch.backends.cpu.get_cpu_capability()})\n")

    # the recurrent layer alone (forward + backward), its share of minirnn's step
    T, B = run.settings["nchars"], run.settings["batch_size"]
    x = np.random.default_rng(1).standard_normal((T, B, rnn.input_size)).astype(rnn.dtype)
    dy = np.ones((T, B, rnn.hidden_size), rnn.dtype)

    def layer_step():
        rnn.forward(x)
        rnn.backward(dy)

    contenders = {"minirnn": run.train_step, "torch": lambda: torch_step(run.data.train),
                  "minirnn layer": layer_step, "torch layer": torch_layer_step}
    times = {name: [] for name in contenders}
    with blas_threads(1):
        for step in contenders.values():        # warm up: compile, allocate
            step()
        for _ in range(args.steps):             # taking turns, step by step
            for name, step in contenders.items():
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    minirnn_s, torch_s, layer_s, torch_layer_s = (float(np.median(times[name])) for name in contenders)

    print(f"minirnn step  {minirnn_s * 1e3:7.2f} ms   (recurrent layer {layer_s * 1e3:.2f} ms, "
          f"{100 * layer_s / minirnn_s:.0f}%; the rest {max(minirnn_s - layer_s, 0) * 1e3:.2f} ms)")
    print(f"torch step    {torch_s * 1e3:7.2f} ms   (recurrent layer {torch_layer_s * 1e3:.2f} ms, "
          f"{100 * torch_layer_s / torch_s:.0f}%; the rest {max(torch_s - torch_layer_s, 0) * 1e3:.2f} ms)")
    print(f"minirnn / torch: {minirnn_s / torch_s:.2f} (step), {layer_s / torch_layer_s:.2f} (recurrent layer)")


if __name__ == "__main__":
    main()
