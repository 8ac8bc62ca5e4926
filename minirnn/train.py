"""`minirnn train` and `minirnn sample`: train a language model, then let it write.

One training step, the lesson's loop with nothing hidden:

    x, y = random_windows(train, T, B, rng)           (T, B) windows from anywhere; y is x one token later
    logits, _ = model.forward(x)                      (T, B, V), every window from a zero state
    loss, dlogits = softmax_cross_entropy(logits, y)  mean nats per token
    model.backward(dlogits)                           backpropagation through time
    clip_grad_norm(model.grads, clip)                 rescale an exploding gradient
    optimizer.step(model.grads)                       Adam, in place

Every ``--eval-every`` steps, and once at the end: the validation loss in nats and bits
per token on a fixed slice of the validation text, a short sample, and the checkpoint,
written only when that loss is the best so far. The checkpoint holds the parameters,
Adam's state, the vocabulary, the settings, the step and both random generators, so
``--resume`` continues a run exactly (bit for bit) as if it had never stopped.

With no arguments: a character-level LSTM on the built-in corpus, for 2.5 minutes.
"""
import contextlib
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .checkpoint import Checkpoint, save_checkpoint
from .clip import clip_grad_norm
from .generate import generate
from .lm import (CHECKPOINT_KIND, bits, build_model, dropout_rng, evaluate, load_data, load_model,
                 model_config)
from .losses import softmax_cross_entropy
from .optim import Adam
from .text import Vocabulary, random_windows, unigram_entropy

# What `minirnn train` does when an option is not given. The sizes and the learning rate were
# picked by measuring the best validation bits/char after 2.5 minutes (one BLAS thread, 2 cores
# shared with other jobs, so tokens/s varied by about 20% with their load), batches of 32:
#   LSTM N   T (nchars)   lr     bits/char   tokens/s
#   128      100          3e-3   2.118       73k
#   192      100          3e-3   2.070       44k
#   256      100          2e-3   2.249       19k
#   256      100          3e-3   2.065       28k
#   256       50          3e-3   2.039       25k
#   256       50          5e-3   2.025       26k     <- the default
#   256       50          8e-3   2.050       26k
#   256       32          5e-3   2.064       25k
#   320       50          3e-3   2.053       19k
#   512      100          2e-3   2.531        5k     (too slow to get far in 2.5 minutes)
DEFAULTS = {
    "text": None, "level": "char", "max_vocab": None,
    "input": "embedding", "embed_size": 64, "cell": "lstm", "hidden_size": 256, "layers": 1,
    "dropout": 0.0, "dtype": "float32",
    "nchars": 50, "batch_size": 32, "lr": 5e-3, "clip": 5.0, "seed": 0,
    "steps": None, "minutes": None, "eval_every": 200, "valid_tokens": 50_000,
    "prompt": None, "sample_length": None,
}
DEFAULT_MINUTES = 2.5          # the time budget when neither --steps nor --minutes is given
WORD_MAX_VOCAB = 5000          # word level: 5000 ids cover 94% of the built-in corpus's words
PROMPT = {"char": "The ", "word": "The"}
SAMPLE_LENGTH = {"char": 300, "word": 60}
UNIT = {"char": "char", "word": "word"}             # "bits per char", "bits per word"
TEMPERATURES = (0.3, 0.8, 1.2)                      # the closing samples, after greedy
EVAL_LANES = 64                                     # validation reads its slice in 64 lanes
# a resumed run keeps these as they were: changing one would make it another run
FIXED_ON_RESUME = ("text", "level", "max_vocab", "input", "embed_size", "cell", "hidden_size",
                   "layers", "dropout", "dtype", "nchars", "batch_size", "lr", "clip", "seed",
                   "valid_tokens")


# ---- the command line ------------------------------------------------------------------

def positive_int(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def positive_float(text):
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(text)
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def non_negative_float(text):
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(text)
    return value


positive_int.__name__ = "positive integer"            # argparse names the type in its error
positive_float.__name__ = "positive number"
non_negative_int.__name__ = "integer >= 0"
non_negative_float.__name__ = "number >= 0"


def add_train_arguments(p):
    d = DEFAULTS
    data = p.add_argument_group("data")
    data.add_argument("--text", metavar="FILE",
                      help="train on this UTF-8 text file (at least 1000 characters; the last 5%% "
                           "is validation) instead of the built-in corpus, the docstrings of "
                           "Python's standard library")
    data.add_argument("--level", choices=["char", "word"],
                      help="a token is a character, or a word with its leading space "
                           f"(default {d['level']})")
    data.add_argument("--max-vocab", type=positive_int, metavar="V",
                      help="keep at most V token ids, the 3 reserved ones included; rarer tokens "
                           f"become <unk> (default: all for char, {WORD_MAX_VOCAB} for word)")
    data.add_argument("--nchars", type=positive_int, metavar="T",
                      help=f"tokens per training window, the steps backpropagated through "
                           f"(default {d['nchars']})")

    model = p.add_argument_group("model: input -> recurrent layers -> Linear -> softmax")
    model.add_argument("--cell", choices=["lstm", "gru", "rnn"],
                       help=f"the recurrent cell (default {d['cell']})")
    model.add_argument("--layers", type=positive_int,
                       help=f"stacked recurrent layers (default {d['layers']})")
    model.add_argument("--hidden-size", type=positive_int, metavar="N",
                       help=f"hidden units per layer (default {d['hidden_size']})")
    model.add_argument("--input", choices=["embedding", "onehot"],
                       help="learned embedding vectors, or one-hot vectors of size V as in "
                            f"min-char-rnn (default {d['input']})")
    model.add_argument("--embed-size", type=positive_int, metavar="D",
                       help=f"embedding size, with --input embedding (default {d['embed_size']})")
    model.add_argument("--dropout", type=non_negative_float, metavar="P",
                       help="dropout probability between stacked layers, needs --layers 2 or "
                            f"more (default {d['dropout']})")
    model.add_argument("--dtype", choices=["float32", "float64"],
                       help=f"floating-point type of the weights (default {d['dtype']})")

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--batch-size", type=positive_int, metavar="B",
                     help=f"windows per minibatch, drawn at random from the whole text "
                          f"(default {d['batch_size']})")
    opt.add_argument("--lr", type=positive_float, help=f"Adam's learning rate (default {d['lr']})")
    opt.add_argument("--clip", type=positive_float,
                     help=f"clip the gradients' global norm to this (default {d['clip']})")
    opt.add_argument("--steps", type=positive_int,
                     help="stop after this many steps in all (counting the steps of a resumed "
                          "run); with --minutes too, whichever comes first")
    opt.add_argument("--minutes", type=positive_float,
                     help="stop training after this many minutes, validation included "
                          f"(default {DEFAULT_MINUTES} when --steps is not given)")
    opt.add_argument("--seed", type=int,
                     help=f"seeds the weights, the batches, dropout and the samples (default {d['seed']})")

    report = p.add_argument_group("validation, samples, checkpoint")
    report.add_argument("--eval-every", type=positive_int, metavar="STEPS",
                        help="validate, print a sample and keep the checkpoint if best every this "
                             f"many steps (default {d['eval_every']}), and at the end")
    report.add_argument("--valid-tokens", type=positive_int, metavar="N",
                        help="validate on the first N tokens of the validation text, so that it "
                             f"takes seconds (default {d['valid_tokens']})")
    report.add_argument("--prompt",
                        help=f"the prompt of the samples (default {PROMPT['char']!r} for char, "
                             f"{PROMPT['word']!r} for word)")
    report.add_argument("--sample-length", type=positive_int, metavar="N",
                        help=f"tokens per closing sample (default {SAMPLE_LENGTH['char']} for char, "
                             f"{SAMPLE_LENGTH['word']} for word)")
    report.add_argument("--out", metavar="PATH",
                        help="the checkpoint file, kept at the best validation loss; the loss "
                             "curve goes beside it as <name>-loss.png (default "
                             "runs/<level>-<cell>/checkpoint.npz, or the --resume file)")
    report.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint with its model, data and "
                             "optimiser settings; only --steps, --minutes, --eval-every, the "
                             "sample options and the machine options may be given anew")

    machine = p.add_argument_group("machine")
    machine.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                         help="numba kernels, or the numpy reference cells (slower) (default numba)")
    machine.add_argument("--threads", type=positive_int, default=1,
                         help="BLAS threads (default 1: the recurrent products are small, and on a "
                              "busy machine more threads wait for each other)")
    machine.add_argument("--progress", choices=["auto", "bar", "lines"], default="auto",
                         help="a tqdm progress bar, or a plain line every 15 s; auto: the bar on "
                              "a terminal when tqdm is installed (default auto)")
    p.set_defaults(run=train_command)


def add_sample_arguments(p):
    p.add_argument("--checkpoint", metavar="PATH", default="runs/char-lstm/checkpoint.npz",
                   help="a checkpoint written by `minirnn train` (default runs/char-lstm/checkpoint.npz)")
    p.add_argument("--prompt", default="",
                   help="the text to start from; the network reads it first (default: none, "
                        "start a new document)")
    p.add_argument("--temperature", type=non_negative_float, default=0.8, metavar="T",
                   help="0 for greedy (always the likeliest token); below 1 safer, above 1 "
                        "bolder (default 0.8)")
    p.add_argument("--top-k", type=positive_int, metavar="K",
                   help="sample only among the K likeliest tokens (default: all)")
    p.add_argument("--length", type=non_negative_int, default=500, metavar="N",
                   help="write at most N tokens (default 500)")
    p.add_argument("--seed", type=int, help="seed the sampling, to reproduce a text (default: random)")
    p.add_argument("--no-stop", action="store_true",
                   help="keep writing past the end of a document (<eos>, written as a line break) "
                        "instead of stopping there")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels, or the numpy reference cells (default numba)")
    p.set_defaults(run=sample_command)


# ---- `minirnn sample` --------------------------------------------------------------------

def sample_command(args):
    """Load a checkpoint, write from the prompt, print prompt and text."""
    with blas_threads(1):
        model, vocab, _ = load_model(args.checkpoint, backend=args.backend)
        text = generate(model, vocab, args.prompt, args.length, temperature=args.temperature,
                        top_k=args.top_k, seed=args.seed, stop_at_eos=not args.no_stop)
    print(args.prompt + text)
    return 0


# ---- `minirnn train` ---------------------------------------------------------------------

def train_command(args):
    with blas_threads(args.threads):
        settings, checkpoint = resolve_settings(args)
        run = TrainingRun.start(settings, checkpoint, backend=args.backend)
        out = Path(args.out or args.resume or
                   f"runs/{settings['level']}-{settings['cell']}/checkpoint.npz")
        run.train(out, progress=Progress(args.progress, settings))
        run.closing_samples()
    return 0


def resolve_settings(args):
    """The run's settings: the options given, the defaults for the rest; on --resume the
    checkpoint's, with only what may change taken from the command line.

    Returns (settings dict, the Checkpoint to resume from or None).
    """
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    if given.get("text") is not None:
        given["text"] = os.path.abspath(given["text"])
    if args.resume is None:
        settings = {**DEFAULTS, **given}
        if settings["max_vocab"] is None and settings["level"] == "word":
            settings["max_vocab"] = WORD_MAX_VOCAB
        checkpoint = None
    else:
        checkpoint = Checkpoint(args.resume)
        if checkpoint.config.get("kind") != CHECKPOINT_KIND:
            raise ValueError(f"--resume {args.resume!r}: not a checkpoint written by `minirnn train`")
        saved = checkpoint.config["settings"]
        changed = [f"--{key.replace('_', '-')} {given[key]!r} (saved: {saved[key]!r})"
                   for key in FIXED_ON_RESUME if key in given and given[key] != saved[key]]
        if changed:
            raise ValueError("a resumed run keeps its model, data and optimiser settings; "
                             "these differ from the checkpoint's: " + ", ".join(changed))
        settings = {**saved, **given}
        if "steps" in given or "minutes" in given:   # a new budget replaces the saved one
            settings["steps"], settings["minutes"] = given.get("steps"), given.get("minutes")
    if settings["steps"] is None and settings["minutes"] is None:
        settings["minutes"] = DEFAULT_MINUTES
    level = settings["level"]
    settings["prompt"] = PROMPT[level] if settings["prompt"] is None else settings["prompt"]
    if settings["sample_length"] is None:
        settings["sample_length"] = SAMPLE_LENGTH[level]
    return settings, checkpoint


class TrainingRun:
    """Everything a run holds: data, model, optimiser, random generators, step, history.

    What a checkpoint saves, and ``start`` restores from one for --resume.
    """

    def __init__(self, settings, data, model_config, model, optimizer, batch_rng):
        self.settings, self.data, self.model, self.optimizer = settings, data, model, optimizer
        self.model_config = model_config            # the dict build_model made the model from
        self.batch_rng = batch_rng                  # draws the windows
        self.unit = UNIT[settings["level"]]
        self.valid_ids = data.valid[:settings["valid_tokens"]]
        self.step = 0
        self.seconds = 0.0                          # training time, summed over sessions
        self.best_valid_loss, self.best_step = math.inf, None
        self.saved_to = None                        # the checkpoint of the best step so far
        self.history = {"step": [], "train_loss": [], "valid_loss": [], "seconds": []}

    @classmethod
    def start(cls, settings, checkpoint=None, backend="numba"):
        """A new run from ``settings``, or the run saved in ``checkpoint``, continued."""
        s = settings
        vocab = None if checkpoint is None else Vocabulary.from_arrays(checkpoint.vocab_arrays)
        data = load_data(s["text"], s["level"], s["max_vocab"], vocab=vocab)
        config = model_config(len(data.vocab), s["input"], s["embed_size"], s["cell"],
                              s["hidden_size"], s["layers"], s["dropout"], s["dtype"])
        try:
            data.vocab.encode(s["prompt"], strict=True)
        except ValueError as error:
            raise ValueError(f"--prompt {s['prompt']!r} has {error}") from None
        if len(data.train) <= s["nchars"]:
            raise ValueError(f"the training text has {len(data.train)} tokens, too few for windows "
                             f"of --nchars {s['nchars']}")
        model = build_model(config, seed=s["seed"], backend=backend)
        optimizer = Adam(model.params, lr=s["lr"])
        run = cls(s, data, config, model, optimizer, np.random.default_rng(s["seed"]))
        if checkpoint is not None:
            run._restore(checkpoint)
        return run

    def _restore(self, checkpoint):
        """Take up where the checkpoint left off."""
        saved = checkpoint.config
        if saved["data"] != self.data.checksum():
            raise ValueError(f"--resume {checkpoint.path!r}: the text is not the one this run was "
                             f"trained on ({saved['data']} then, {self.data.checksum()} now)")
        checkpoint.load_params_into(self.model.params)
        self.optimizer.load_state_dict(checkpoint.optim_state)
        self.batch_rng.bit_generator.state = saved["rng"]["batches"]
        dropout_rng(self.model).bit_generator.state = saved["rng"]["dropout"]
        self.step, self.seconds, self.history = saved["step"], saved["seconds"], saved["history"]
        self.best_valid_loss, self.best_step = saved["valid_loss"], saved["step"]
        self.saved_to = Path(checkpoint.path)

    # ---- the loop ----

    def train_step(self):
        """One minibatch: forward, loss, backward, clip, Adam. Returns the loss in nats."""
        s = self.settings
        x, y = random_windows(self.data.train, s["nchars"], s["batch_size"], self.batch_rng)  # (T, B)
        logits, _ = self.model.forward(x)                             # (T, B, V)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.model.backward(dlogits)
        grads = self.model.grads
        try:
            clip_grad_norm(grads, s["clip"])
        except FloatingPointError:
            raise ValueError(f"training diverged at step {self.step + 1}: the gradients hold NaN or "
                             f"inf (loss {loss:.3g}); try a smaller --lr or --clip") from None
        self.optimizer.step(grads)
        self.step += 1
        return loss

    def train(self, out, progress):
        """Train until the step or time budget is spent, validating on the way."""
        s = self.settings
        self._print_start(out)
        if s["steps"] is not None and self.step >= s["steps"]:
            print(f"the run is already at step {self.step} of --steps {s['steps']}: nothing to train")
            return
        deadline = None if s["minutes"] is None else time.perf_counter() + 60 * s["minutes"]
        tokens_per_step = s["nchars"] * s["batch_size"]
        session_steps, train_seconds, eval_seconds = 0, 0.0, 0.0
        interval_losses = []                  # training losses since the last validation
        smooth = None
        try:
            while s["steps"] is None or self.step < s["steps"]:
                # stop early enough for the closing validation to fit in the budget
                step_seconds = train_seconds / session_steps if session_steps else 0.0
                if deadline is not None and time.perf_counter() + eval_seconds + step_seconds >= deadline:
                    break
                began = time.perf_counter()
                loss = self.train_step()
                took = time.perf_counter() - began
                train_seconds += took
                self.seconds += took
                session_steps += 1
                interval_losses.append(loss)
                smooth = loss if smooth is None else 0.95 * smooth + 0.05 * loss
                progress.update(self.step, smooth, session_steps * tokens_per_step / train_seconds)
                if self.step % s["eval_every"] == 0:
                    eval_seconds = self._validate(out, interval_losses, progress)
                    interval_losses = []
        except KeyboardInterrupt:             # the step may be half done: keep the checkpoint as it is
            progress.write(f"interrupted at step {self.step}; the checkpoint keeps the best validated step")
            interval_losses = []
        if interval_losses:                   # the closing validation, unless the last step had one
            eval_seconds = self._validate(out, interval_losses, progress)
        progress.close()
        print(f"trained {session_steps} steps in {train_seconds:.1f} s "
              f"({session_steps * tokens_per_step / max(train_seconds, 1e-9):,.0f} tokens/s); "
              f"validation took {eval_seconds:.1f} s each")

    def _validate(self, out, interval_losses, progress):
        """Validation loss, a short sample, the checkpoint if best; returns the seconds it took."""
        began = time.perf_counter()
        s = self.settings
        valid_loss = evaluate(self.model, self.valid_ids, s["nchars"], EVAL_LANES)
        train_loss = float(np.mean(interval_losses))
        for key, value in (("step", self.step), ("train_loss", train_loss),
                           ("valid_loss", valid_loss), ("seconds", round(self.seconds, 3))):
            self.history[key].append(value)
        best = valid_loss < self.best_valid_loss
        if best:
            self.best_valid_loss, self.best_step = valid_loss, self.step
            self.save(out)
        sample = self.sample(s["prompt"], length=SAMPLE_LENGTH[s["level"]] // 3, temperature=0.8,
                             seed=s["seed"] + self.step, stop_at_eos=True)
        progress.write(f"step {self.step:>6}  train {bits(train_loss):.3f}  valid {bits(valid_loss):.4f} "
                       f"bits/{self.unit} ({valid_loss:.4f} nats)" + ("  best, saved" if best else ""))
        progress.write("    " + (s["prompt"] + sample).replace("\n", "\n    "))
        return time.perf_counter() - began

    def sample(self, prompt, length, temperature, seed, stop_at_eos):
        """Text from the model as it is now, dropout off; touches no training generator."""
        was_training = self.model.training
        self.model.training = False
        try:
            return generate(self.model, self.data.vocab, prompt, length, temperature=temperature,
                            seed=seed, stop_at_eos=stop_at_eos)
        finally:
            self.model.training = was_training

    # ---- checkpoint, report ----

    def save(self, out):
        """Write the checkpoint (atomically): what sampling and --resume need."""
        config = {
            "kind": CHECKPOINT_KIND,
            "model": self.model_config,
            "settings": self.settings,
            "data": self.data.checksum(),
            "step": self.step,
            "seconds": self.seconds,
            "valid_loss": self.best_valid_loss,
            "valid_bits": bits(self.best_valid_loss),
            "history": self.history,
            "rng": {"batches": self.batch_rng.bit_generator.state,
                    "dropout": dropout_rng(self.model).bit_generator.state},
        }
        save_checkpoint(out, self.model.params, self.optimizer.state_dict(),
                        self.data.vocab.to_arrays(), config)
        self.saved_to = Path(out)

    def _print_start(self, out):
        s, data = self.settings, self.data
        params = sum(p.size for p in self.model.params.values())
        budget = " and ".join(([f"to step {s['steps']}"] if s["steps"] else [])
                              + ([f"for {s['minutes']:g} minutes"] if s["minutes"] else []))
        print(f"text: {data.source}\n"
              f"      {len(data.train):,} training and {len(data.valid):,} validation {self.unit}s, "
              f"vocabulary of {len(data.vocab)} ({data.vocab.level} level, 3 reserved ids)")
        print(f"      unigram entropy {bits(unigram_entropy(data.train)):.3f} bits/{self.unit}: "
              "the loss of a model that ignores context")
        print(f"model: {s['input']} -> {s['layers']} x {s['cell'].upper()}({s['hidden_size']}) -> "
              f"Linear -> softmax, {params:,} parameters, {s['dtype']}")
        print(f"training {budget}"
              + (f", resumed at step {self.step}" if self.step else "")
              + f": {s['batch_size']} windows of {s['nchars']} {self.unit}s per step, Adam lr {s['lr']:g}, "
              f"clip {s['clip']:g}; validation on {len(self.valid_ids):,} {self.unit}s every "
              f"{s['eval_every']} steps")
        print(f"checkpoint: {out}", flush=True)

    def closing_samples(self):
        """Plot the losses, then print greedy and sampled text from the best checkpoint."""
        s, out = self.settings, self.saved_to
        if out is None:
            print("no checkpoint was written: the validation loss never improved")
            return
        Checkpoint(out).load_params_into(self.model.params)
        print(f"best validation loss {self.best_valid_loss:.4f} nats = {bits(self.best_valid_loss):.4f} "
              f"bits/{self.unit} at step {self.best_step}, saved in {out}")
        source = self.data.source if s["text"] is None else Path(s["text"]).name
        title = f"{s['layers']} x {s['cell'].upper()}({s['hidden_size']}), {s['level']} level, {source}"
        plot = plot_losses(self.history, bits(unigram_entropy(self.data.train)), self.unit, title, out)
        if plot is not None:
            print(f"loss curve: {plot}")
        print(f"\nsamples from the best checkpoint, prompt {s['prompt']!r}, "
              f"{s['sample_length']} {self.unit}s (<eos> written as a line break):")
        for temperature in (0,) + TEMPERATURES:
            heading = "greedy" if temperature == 0 else f"temperature {temperature}"
            text = self.sample(s["prompt"], s["sample_length"], temperature, seed=s["seed"],
                               stop_at_eos=False)
            print(f"\n--- {heading} ---\n{s['prompt']}{text}")
        print(f"\nmore: minirnn sample --checkpoint {out} --prompt {s['prompt']!r} --temperature 0.8")


# ---- around the loop ----------------------------------------------------------------------

class Progress:
    """Shows the step, the smoothed training loss and the speed while training.

    "bar": a tqdm bar (over steps with --steps, else over the time budget);
    "lines": a plain line every 15 seconds; "auto": the bar on a terminal when tqdm is
    installed, otherwise lines. Messages go through ``write`` so they do not break the bar.
    """
    LINE_SECONDS = 15

    def __init__(self, mode, settings):
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if mode == "auto":
            mode = "bar" if tqdm is not None and sys.stderr.isatty() else "lines"
        if mode == "bar" and tqdm is None:
            raise ValueError("--progress bar needs tqdm: pip install tqdm (or use --progress lines)")
        self.mode, self.bar, self.last_line = mode, None, time.perf_counter()
        self.by_time = settings["steps"] is None
        self.began = time.perf_counter()
        if mode == "bar":
            if self.by_time:
                self.bar = tqdm(total=round(60 * settings["minutes"]), unit="s", dynamic_ncols=True,
                                bar_format="{percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}")
            else:
                self.bar = tqdm(total=settings["steps"], unit="step", dynamic_ncols=True)
            self.first_update = True

    def update(self, step, loss, tokens_per_second):
        status = f"step {step}, loss {bits(loss):.3f} bits, {tokens_per_second:,.0f} tokens/s"
        if self.mode == "lines":
            if time.perf_counter() - self.last_line >= self.LINE_SECONDS:
                self.last_line = time.perf_counter()
                print(f"  {status}, {self.last_line - self.began:.0f} s", flush=True)
            return
        if self.by_time:
            self.bar.n = min(time.perf_counter() - self.began, self.bar.total)
        elif self.first_update:
            self.bar.n = step                 # a resumed run starts part of the way
        else:
            self.bar.n += 1
        self.first_update = False
        self.bar.set_postfix_str(status, refresh=False)
        self.bar.update(0)

    def write(self, text):
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def blas_threads(n):
    """Limit BLAS (NumPy's, and SciPy's that Numba's np.dot calls) to n threads inside.

    Needs threadpoolctl; without it the BLAS keeps its own default.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    import scipy.linalg.cython_blas  # noqa: F401  load Numba's BLAS now, so that it is limited too
    with threadpool_limits(n, user_api="blas"):
        yield


def plot_losses(history, unigram_bits, unit, title, out):
    """Training and validation loss per step as <out name>-loss.png; None without matplotlib."""
    try:
        from matplotlib.figure import Figure      # no pyplot: no window, no global state
    except ImportError:
        return None
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    steps = history["step"]
    ax.plot(steps, [bits(x) for x in history["train_loss"]], label="training (mean since the last validation)")
    ax.plot(steps, [bits(x) for x in history["valid_loss"]], "o-", label="validation")
    ax.axhline(unigram_bits, color="gray", linestyle="--", label="unigram entropy (no context)")
    ax.set_xlabel("step")
    ax.set_ylabel(f"bits per {unit}")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    out = Path(out)
    path = out.with_name(out.stem + "-loss.png")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".loss-", suffix=".png.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    return path
