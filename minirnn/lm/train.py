"""`minirnn train`: the training loop of a language model.

One training step, the lesson's loop with nothing hidden:

    x, y = random_windows(train, T, B, rng)           (T, B) windows from anywhere; y is x one token later
    logits, _ = model.forward(x)                      (T, B, V), every window from a zero state
    loss, dlogits = softmax_cross_entropy(logits, y)  mean nats per token
    model.backward(dlogits)                           backpropagation through time
    clip_grad_norm(model.grads, clip)                 rescale an exploding gradient
    optimizer.step(model.grads)                       Adam, in place

With --carry-state, truncated backpropagation through time as min-char-rnn and char-rnn
train: the text is read in B contiguous lanes, and each window starts from the state the
previous window of its lane ended in (min-char-rnn's ``hprev``), so the model sees
context beyond T tokens. The gradient still stops at the window's first step: the
carried state enters forward as a plain array, and the gradient on it, dstate0, which
backward returns, is thrown away, so nothing flows into the previous window:

    x, y, first = lane_windows(train, T, B, step)     the step-th window of every lane
    logits, state = model.forward(x, None if first else state)

The loop around the step (the budget, the progress, Ctrl-C, when to validate, keeping the
best checkpoint, and the one rule for a diverging run) is minirnn/toolkit/training.py,
shared with `minirnn classify train`; this file holds what is the language model's own.

Every ``--eval-every`` steps, and once at the end: the validation loss in nats and bits
per token on a fixed slice of the validation text, a short sample, and the checkpoint,
written only when that loss is the best so far. The checkpoint holds the parameters, Adam's
state, the vocabulary, the settings, the step and both random generators, so ``--resume``
continues a run exactly (bit for bit) as if it had never stopped.

With no arguments: a character-level GRU on the built-in corpus, for 2.5 minutes.
Around the loop: the options are read in cli.py, the settings resolved in settings.py,
the progress shown by minirnn/toolkit/progress.py and the loss curve drawn by report.py.
"""
import math
import shlex
from pathlib import Path

import numpy as np

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.clip import clip_grad_norm
from minirnn.lm.decoding import generate
from minirnn.lm.model import (CHECKPOINT_KIND, bits, build_model, dropout_rng, evaluate, load_data,
                              model_config)
from minirnn.lm.report import plot_losses
from minirnn.lm.settings import SAMPLE_LENGTH, checkpoint_path, resolve_settings, sample_prompt
from minirnn.lm.windows import lane_windows, random_windows, unigram_entropy
from minirnn.losses import softmax_cross_entropy
from minirnn.optim import Adam
from minirnn.toolkit.progress import Progress
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.training import TrainingLoop
from minirnn.toolkit.validate import counted
from minirnn.vocab import Vocabulary

TEMPERATURES = (0.3, 0.8, 1.2)                      # the closing samples, after greedy
EVAL_LANES = 64                                     # validation reads its slice in 64 lanes


def train_command(args):
    """Resolve the settings, check where the checkpoint goes, train, print the samples."""
    with blas_threads(args.threads):
        settings, checkpoint = resolve_settings(args)
        out = checkpoint_path(args, settings)
        run = TrainingRun.start(settings, checkpoint, backend=args.backend)
        run.train(out, progress=Progress(args.progress, run.settings["steps"], run.settings["minutes"]))
        run.closing_samples()
    return 130 if run.interrupted else 0          # 128 + SIGINT, as a shell reports Ctrl-C


class TrainingRun(TrainingLoop):
    """Everything a run holds: data, model, optimiser, random generators; from TrainingLoop
    the step, the training time, the history and the best validation.

    What a checkpoint saves, and ``start`` restores from one for --resume.
    """

    def __init__(self, settings, data, model_config, model, optimizer, batch_rng):
        super().__init__(outcomes=len(data.vocab), unit=settings["level"])   # bits per char, or word
        self.settings, self.data, self.model, self.optimizer = settings, data, model, optimizer
        self.model_config = model_config            # the dict build_model made the model from
        self.batch_rng = batch_rng                  # draws the windows
        self.valid_ids = data.valid[:settings["valid_tokens"]]
        self.carried = None                         # --carry-state: the state the last window ended in

    @classmethod
    def start(cls, settings, checkpoint=None, backend="numba"):
        """A new run from ``settings``, or the run saved in ``checkpoint``, continued."""
        vocab = None if checkpoint is None else Vocabulary.from_arrays(checkpoint.vocab_arrays)
        data = load_data(settings["text"], settings["level"], settings["max_vocab"], vocab=vocab)
        s = {**settings, "prompt": sample_prompt(settings["prompt"], settings["level"], data.vocab)}
        config = model_config(len(data.vocab), s["input"], s["embed_size"], s["cell"],
                              s["hidden_size"], s["layers"], s["dropout"], s["dtype"])
        if len(data.train) <= s["nchars"]:
            raise ValueError(f"the training text has {counted(len(data.train), 'token')}, too few for "
                             f"windows of --nchars {s['nchars']}")
        if s["carry_state"] and (len(data.train) - 1) // s["batch_size"] < s["nchars"]:
            raise ValueError(f"--carry-state reads the training text in --batch-size {s['batch_size']} lanes "
                             f"of at least --nchars {s['nchars']} tokens each, but it has only "
                             f"{counted(len(data.train), 'token')}")
        if min(s["valid_tokens"], len(data.valid)) < 2:     # an input and its target, at least
            raise ValueError(f"validation needs at least 2 tokens: got --valid-tokens {s['valid_tokens']} "
                             f"of a validation text of {len(data.valid)}")
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
        self.best = {"step": saved["step"], "valid_loss": saved["valid_loss"]}    # saved only when best
        self.saved_to = Path(checkpoint.path)
        if self.settings["carry_state"] and checkpoint.carried:
            names = self.model.modules["rnn"].state_names
            parts = tuple(checkpoint.carried[name] for name in names)
            self.carried = parts if len(parts) > 1 else parts[0]

    # ---- the step and the validation; the loop is minirnn/toolkit/training.py ----

    def train_step(self):
        """One minibatch: forward, loss, backward, clip, Adam. Returns (loss in nats, tokens)."""
        s = self.settings
        if s["carry_state"]:                                      # truncated BPTT, state carried
            x, y, first = lane_windows(self.data.train, s["nchars"], s["batch_size"], self.step)
            logits, state = self.model.forward(x, None if first else self.carried)   # (T, B, V)
        else:                                                     # every window from zeros
            x, y = random_windows(self.data.train, s["nchars"], s["batch_size"], self.batch_rng)
            logits, state = self.model.forward(x)                 # (T, B, V)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.model.backward(dlogits)                              # stops at the window's first step
        clip_grad_norm(self.model.grads, s["clip"])               # refuses a NaN or inf gradient
        self.optimizer.step(self.model.grads)                     # refuses to write NaN or inf
        self.carried = state
        self.step += 1
        return loss, x.size

    def train(self, out, progress):
        """Train until the step or time budget is spent, validating on the way."""
        s = self.settings
        self._print_start(out)
        session = self.loop(s["steps"], s["minutes"], s["eval_every"], out, progress)
        if session is not None:
            print(f"trained {counted(session.steps, 'step')} in {session.seconds:.1f} s "
                  f"({session.examples / max(session.seconds, 1e-9):,.0f} tokens/s); "
                  f"validation took {session.validation_seconds:.1f} s each")

    def validate(self):
        """The validation loss in nats per token, on the fixed slice of the validation text."""
        return {"valid_loss": evaluate(self.model, self.valid_ids, self.settings["nchars"], EVAL_LANES),
                "seconds": round(self.seconds, 3)}

    def report(self, record, saved):
        """The log of a validation: the losses in bits per token, and a short sample."""
        s, train, valid = self.settings, record["train_loss"], record["valid_loss"]
        sample = self.sample(s["prompt"], length=SAMPLE_LENGTH[s["level"]] // 3, temperature=0.8,
                             seed=s["seed"] + self.step, stop_at_eos=True)
        line = (f"step {self.step:>6}  train {bits(train):.3f}  valid {bits(valid):.4f} bits/{self.unit} "
                f"({self._nats_and_perplexity(valid)})" + ("  best, saved" if saved else ""))
        return [line, "    " + (s["prompt"] + sample).replace("\n", "\n    ")]

    def status(self, loss, rate):
        return f"step {self.step}, loss {bits(loss):.3f} bits, {rate:,.0f} tokens/s"

    def _nats_and_perplexity(self, nats):
        """'1.4134 nats', and at word level the perplexity, exp(nats): word-level language models
        are usually compared by it (a perplexity of 120 is as unsure as a fair 120-sided die)."""
        return f"{nats:.4f} nats" + (f", perplexity {math.exp(nats):.1f}" if self.unit == "word" else "")

    def sample(self, prompt, length, temperature, seed, stop_at_eos):
        """Text from the model as it is now, dropout off; touches no training generator."""
        was_training = self.model.training
        self.model.training = False
        try:
            return generate(self.model, self.data.vocab, prompt, length, temperature=temperature,
                            seed=seed, stop_at_eos=stop_at_eos, strict=False)   # sample_prompt checked it
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
            "valid_loss": self.best["valid_loss"],
            "valid_bits": bits(self.best["valid_loss"]),
            "history": self.history,
            "rng": {"batches": self.batch_rng.bit_generator.state,
                    "dropout": dropout_rng(self.model).bit_generator.state},
        }
        carried = None
        if self.settings["carry_state"] and self.carried is not None:
            rnn = self.model.modules["rnn"]
            carried = dict(zip(rnn.state_names, rnn.state_parts(self.carried)))
        save_checkpoint(out, self.model.params, self.optimizer.state_dict(),
                        self.data.vocab.to_arrays(), config, carried=carried)

    def _print_start(self, out):
        s, data = self.settings, self.data
        params = sum(p.size for p in self.model.params.values())
        budget = " and ".join(([f"to step {s['steps']}"] if s["steps"] else [])
                              + ([f"for {s['minutes']:g} minute" + ("" if s["minutes"] == 1 else "s")] if s["minutes"] else []))
        print(f"text: {data.source}\n"
              f"      {len(data.train):,} training and {len(data.valid):,} validation {self.unit}s, "
              f"vocabulary of {len(data.vocab)} ({data.vocab.level} level, 3 reserved ids)")
        print(f"      unigram entropy {bits(unigram_entropy(data.train)):.3f} bits/{self.unit}: "
              "the loss of a model that ignores context")
        print(f"model: {s['input']} -> {s['layers']} x {s['cell'].upper()}({s['hidden_size']}) -> "
              f"Linear -> softmax, {params:,} parameters, {s['dtype']}")
        print(f"training {budget}"
              + (f", resumed at step {self.step}" if self.step else "")
              + f": {counted(s['batch_size'], 'window')} of {counted(s['nchars'], self.unit)} per step"
              + (" (state carried along each lane)" if s["carry_state"] else "")
              + f", Adam lr {s['lr']:g}, clip {s['clip']:g}; validation on "
              f"{counted(len(self.valid_ids), self.unit)} every {counted(s['eval_every'], 'step')}")
        print(f"checkpoint: {out}", flush=True)

    def closing_samples(self):
        """Plot the losses, then print greedy and sampled text from the best checkpoint."""
        s, out = self.settings, self.saved_to
        if out is None:                       # only a run stopped before its first validation
            print("no checkpoint was written")
            return
        Checkpoint(out).load_params_into(self.model.params)
        best = self.best["valid_loss"]
        print(f"best validation loss {bits(best):.4f} bits/{self.unit} "
              f"({self._nats_and_perplexity(best)}) at step {self.best['step']}, saved in {out}")
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
        print(f"\nmore: minirnn sample --checkpoint {shlex.quote(str(out))} --prompt {shlex.quote(s['prompt'])} "
              "--temperature 0.8")
