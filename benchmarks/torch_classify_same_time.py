"""minirnn's text classifier against the same model in PyTorch: same data, same wall time;
and the training step's speed, bidirectional LSTM and GRU with packed sequences.

    python benchmarks/torch_classify_same_time.py                  # the built-in data set (docs/classify.md)
    python benchmarks/torch_classify_same_time.py --train train.csv --test test.csv -- --no-header
    python benchmarks/torch_classify_same_time.py --speed-only     # only the examples/s table

Three measurements, in one run:

1. **Same wall time.** `minirnn classify train` (its defaults, or the options after
   ``--``) is run in this process through the library (minirnn.classify.train.ClassifierRun),
   and its training loop's wall time is measured, validation included. The same model
   in PyTorch (Embedding -> nn.GRU/LSTM/RNN over packed sequences -> h_n of the last
   layer, both directions, or the mean over real steps -> Dropout -> Linear) then trains
   for exactly that wall time on the same documents, ids, batches (the same bucketed
   epochs) with Adam at the same learning rate, the same clipping, and validation after
   every epoch on the same validation split. Each side keeps its best validation
   accuracy; the figure compared is the test accuracy of that best model.
2. **Examples/s of one training step** (forward, loss, backward, clip, Adam), for a
   bidirectional LSTM and a bidirectional GRU of the run's sizes, 1 thread each, on the
   same batches, minirnn and PyTorch taking turns batch block by batch block; the median
   of the rounds' ratios is printed.
3. **How hard the data is**: a bag-of-bigrams logistic regression (scikit-learn's
   CountVectorizer with minirnn's basic_english tokens, words and word pairs;
   LogisticRegression with C chosen on the validation split) on the same training split.
   Needs `pip install scikit-learn`; skipped without it.

Not a test: the contenders run on a machine others may be using; the script prints what
it measured. Timed work runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in this
process's environment (they pin an older OpenBLAS kernel), and prints the kernel that
ran; ``--blas-as-is`` keeps the environment as it is.
"""
import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import argparse          # noqa: E402  (after the environment is settled)
import sys               # noqa: E402
import time              # noqa: E402

import numpy as np       # noqa: E402

from minirnn.classify.batches import pad_batch                     # noqa: E402
from minirnn.classify.cli import add_train_arguments               # noqa: E402
from minirnn.classify.dataset import write_dataset                 # noqa: E402
from minirnn.classify.model import Classifier, predict_proba       # noqa: E402
from minirnn.classify.settings import resolve_settings             # noqa: E402
from minirnn.classify.train import ClassifierRun, Trainer           # noqa: E402
from minirnn.toolkit.progress import Progress                              # noqa: E402
from minirnn.toolkit.threads import blas_threads                           # noqa: E402
from minirnn.vocab import tokenize                                 # noqa: E402


def torch_classifier(torch, config):
    """The model of minirnn.classify.model.Classifier, built from the same config dict."""
    nn = torch.nn
    cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config["cell"]]
    K = 2 if config["bidirectional"] else 1

    class TorchClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(config["vocab_size"], config["embed_size"], padding_idx=0)
            self.rnn = cell(config["embed_size"], config["hidden_size"], num_layers=config["layers"],
                            bidirectional=config["bidirectional"],
                            dropout=config["dropout"] if config["layers"] > 1 else 0.0)
            self.dropout = nn.Dropout(config["dropout"])
            self.head = nn.Linear(K * config["hidden_size"], config["num_classes"])

        def forward(self, ids, lengths):
            x = self.embed(ids)                                              # (T, B, D)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
            out, state = self.rnn(packed)
            if config["pool"] == "last":
                h = state[0] if config["cell"] == "lstm" else state          # (L*K, B, N)
                features = torch.cat(list(h[-K:]), dim=1)                    # (B, K*N)
            else:
                y, _ = nn.utils.rnn.pad_packed_sequence(out)                 # (T, B, K*N), zero padded
                features = y.sum(0) / lengths[:, None].to(y.dtype)
            return self.head(self.dropout(features))                         # (B, C)

    return TorchClassifier()


def torch_batches(trainer, batches, torch):
    """Batches (index arrays) of the minirnn trainer's documents, as tensors: (ids, lengths, labels)."""
    for index in batches:
        ids, lengths = pad_batch([trainer.sequences[i] for i in index])
        yield torch.from_numpy(ids), torch.from_numpy(lengths), torch.from_numpy(trainer.labels[index])


def upcoming_batches(trainer, n):
    """The index arrays of the trainer's next ``n`` steps, across epoch boundaries."""
    epoch, batch, batches = trainer.epoch, trainer.batch, []
    for _ in range(n):
        of_epoch = trainer.epoch_batches(epoch)
        batches.append(of_epoch[batch])
        epoch, batch = (epoch + 1, 0) if batch + 1 == len(of_epoch) else (epoch, batch + 1)
    return batches


def torch_step(torch, model, optimizer, clip, ids, lengths, labels):
    logits = model(ids, lengths)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return labels.numel()


def torch_accuracy(torch, model, sequences, labels):
    model.eval()
    right = 0
    with torch.no_grad():
        order = np.argsort([len(s) for s in sequences], kind="stable")
        for start in range(0, len(order), 256):
            index = order[start:start + 256]
            ids, lengths = pad_batch([sequences[i] for i in index])
            predicted = model(torch.from_numpy(ids), torch.from_numpy(lengths)).argmax(1).numpy()
            right += int((predicted == labels[index]).sum())
    model.train()
    return right / len(sequences)


def train_torch_same_time(torch, run, seconds):
    """Train the PyTorch twin of ``run``'s model for ``seconds`` of wall time, validating after
    every epoch as minirnn did; returns (test accuracy of the best, best valid accuracy, epochs, steps)."""
    s = run.settings
    torch.manual_seed(s["seed"])
    torch.set_default_dtype(getattr(torch, s["dtype"]))
    model = torch_classifier(torch, run.model.config)
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    valid_labels = run.splits["valid"].labels
    deadline = time.perf_counter() + seconds
    best, best_state, steps, epoch, step_seconds, eval_seconds = -1.0, None, 0, 0, 0.0, 0.0
    while time.perf_counter() + step_seconds + eval_seconds < deadline:
        for ids, lengths, labels in torch_batches(run, run.epoch_batches(epoch), torch):
            if time.perf_counter() + step_seconds + eval_seconds >= deadline:
                break
            began = time.perf_counter()
            torch_step(torch, model, optimizer, s["clip"], ids, lengths, labels)
            step_seconds = 0.9 * step_seconds + 0.1 * (time.perf_counter() - began) if steps else \
                time.perf_counter() - began
            steps += 1
        epoch += 1
        began = time.perf_counter()
        accuracy = torch_accuracy(torch, model, run.encoded["valid"], valid_labels)
        eval_seconds = time.perf_counter() - began
        print(f"  torch epoch {epoch:3d}  step {steps:6d}  valid accuracy {accuracy:.3f}", flush=True)
        if accuracy > best:
            best, best_state = accuracy, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    test = "test" if run.splits["test"] is not None else "valid"
    torch.set_default_dtype(torch.float32)
    return torch_accuracy(torch, model, run.encoded[test], run.splits[test].labels), best, epoch, steps


def step_speed(torch, run, cell, rounds, block):
    """examples/s of minirnn's and PyTorch's training step, bidirectional ``cell``, the run's
    sizes, taking turns on the same blocks of batches. Returns a list of (minirnn, torch) per round."""
    config = {**run.model.config, "cell": cell, "bidirectional": True}
    s = run.settings
    model = Classifier(config, seed=s["seed"])
    trainer = Trainer(model, run.sequences, run.labels, s["batch_size"], s["lr"], s["clip"],
                      s["seed"])
    torch.manual_seed(s["seed"])
    torch.set_default_dtype(getattr(torch, s["dtype"]))
    tmodel = torch_classifier(torch, config)
    optimizer = torch.optim.Adam(tmodel.parameters(), lr=s["lr"])
    results = []
    for r in range(rounds + 1):                             # round 0 warms up: compiles, allocates
        batches = list(torch_batches(trainer, upcoming_batches(trainer, block), torch))
        began, documents = time.perf_counter(), 0
        for _ in range(block):
            documents += trainer.train_step()[1]
        ours = documents / (time.perf_counter() - began)
        began, documents = time.perf_counter(), 0
        for batch in batches:                               # the same batches, in the same order
            documents += torch_step(torch, tmodel, optimizer, s["clip"], *batch)
        theirs = documents / (time.perf_counter() - began)
        if r > 0:
            results.append((ours, theirs))
    torch.set_default_dtype(torch.float32)
    return results


def bag_of_bigrams(run):
    """Test accuracy of a logistic regression on word and word-pair counts, C chosen on the
    validation split; None without scikit-learn."""
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    sp = run.splits
    vectorizer = CountVectorizer(tokenizer=lambda text: tokenize(text, "basic_english"), lowercase=False,
                                 token_pattern=None, ngram_range=(1, 2))
    x_train = vectorizer.fit_transform(sp["train"].data.texts)
    x_valid = vectorizer.transform(sp["valid"].data.texts)
    fits = []
    for C in (0.1, 1.0, 10.0, 100.0):
        fit = LogisticRegression(C=C, max_iter=3000).fit(x_train, sp["train"].labels)
        fits.append(((fit.predict(x_valid) == sp["valid"].labels).mean(), C, fit))
    _, C, fit = max(fits, key=lambda f: f[0])              # the best on the validation split
    test = sp["test"] if sp["test"] is not None else sp["valid"]
    return float((fit.predict(vectorizer.transform(test.data.texts)) == test.labels).mean()), C


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     usage="%(prog)s [options] [-- classify train options]")
    parser.add_argument("--train", help="a labelled CSV/TSV file (default: the built-in data set, written "
                                        "to data/stdlib-topics)")
    parser.add_argument("--test", help="its test file (default: the built-in data set's)")
    parser.add_argument("--speed-only", action="store_true", help="only the examples/s comparison")
    parser.add_argument("--rounds", type=int, default=7, help="speed: rounds of turns (default 7)")
    parser.add_argument("--block", type=int, default=10, help="speed: batches per turn (default 10)")
    native_blas.add_argument(parser)
    argv = sys.argv[1:]
    own, rest = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    args = parser.parse_args(own)
    import torch
    torch.set_num_threads(1)

    if args.train is None:
        write_dataset("data/stdlib-topics")
        args.train, args.test = "data/stdlib-topics/train.csv", "data/stdlib-topics/test.csv"
    train_parser = argparse.ArgumentParser()
    add_train_arguments(train_parser)
    options = ["--train", args.train] + (["--test", args.test] if args.test else []) + rest
    train_args = train_parser.parse_args(options)
    settings, _ = resolve_settings(train_args)

    print(native_blas.describe())
    print(f"torch {torch.__version__}, 1 thread each", flush=True)
    with blas_threads(1):
        run = ClassifierRun.start(settings)
        c = run.model.config
        print(f"data: {args.train}, {len(run.labels):,} training documents; model: {run.model!r}")
        if not args.speed_only:
            print("\n$ minirnn classify train " + " ".join(options), flush=True)
            began = time.perf_counter()
            run.train("runs/benchmark-classifier/checkpoint.npz", Progress("lines", None, 100))
            seconds = time.perf_counter() - began
            run.finish()
            ours = predict_proba(run.model, run.encoded["test" if run.splits["test"] else "valid"])
            split = run.splits["test"] or run.splits["valid"]
            our_test = float((ours.argmax(1) == split.labels).mean())
            print(f"\nPyTorch, the same model, for the same {seconds:.1f} s:", flush=True)
            torch_test, torch_valid, epochs, steps = train_torch_same_time(torch, run, seconds)
            lr = bag_of_bigrams(run)

        print(f"\ntraining step, bidirectional LSTM and GRU (embedding {c['embed_size']}, hidden "
              f"{c['hidden_size']}, batches of {settings['batch_size']}), 1 thread, {args.rounds} rounds "
              f"of {args.block} batches, taking turns:", flush=True)
        speeds = {cell: step_speed(torch, run, cell, args.rounds, args.block) for cell in ("lstm", "gru")}

    if not args.speed_only:
        print(f"\nsame wall time, {seconds:.1f} s each ({'test' if run.splits['test'] else 'validation'} "
              f"accuracy of the best validated model):")
        print(f"  minirnn   {our_test:.3f}   ({run.step} steps, best validation "
              f"{run.best['valid_accuracy']:.3f})")
        print(f"  torch     {torch_test:.3f}   ({steps} steps in {epochs} epochs, best validation {torch_valid:.3f})")
        if lr is not None:
            print(f"  bag-of-bigrams logistic regression   {lr[0]:.3f}   (C = {lr[1]:g}, chosen on validation)")
        else:
            print("  (bag-of-bigrams logistic regression: pip install scikit-learn)")
    print(f"\nexamples/s of a training step, median of {args.rounds} rounds:")
    for cell, results in speeds.items():
        ours, theirs = np.median([r[0] for r in results]), np.median([r[1] for r in results])
        ratio = np.median([r[0] / r[1] for r in results])
        print(f"  bidirectional {cell.upper():4s}  minirnn {ours:7,.0f}  torch {theirs:7,.0f}  "
              f"minirnn / torch {ratio:.2f}")


if __name__ == "__main__":
    main()
