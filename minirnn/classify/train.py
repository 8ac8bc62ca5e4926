"""Training the classifier: the loop, and the `minirnn classify train` run around it.

One step (``Trainer.train_step``):

    index = the next batch of the epoch (bucket_batches: documents of similar length)
    ids, lengths = pad_batch(...)                    ids (T, B), lengths (B,)
    logits = model.forward(ids, lengths)             (B, C)
    loss, dlogits = softmax_cross_entropy(logits, labels)     mean nats per document
    model.backward(dlogits)                          backpropagation through time
    clip_grad_norm(model.grads, clip)                rescale an exploding gradient
    optimizer.step(model.grads)                      Adam, in place

``Trainer.run`` repeats it until the budget (epochs, steps or minutes) is spent and
validates after every epoch (or every ``eval_every`` steps) and at the end. Every epoch
visits every training document once, in an order drawn from (seed, epoch), so a run
stopped anywhere continues exactly: ``Trainer.state`` is the epoch, the batch within
it, the step, Adam's state and the dropout generator.

``ClassifierRun`` is the command: it reads the files (data.py), builds the vocabulary
from the training split, the model and the trainer, logs every validation next to the
majority-class baseline, keeps the checkpoint with the best validation accuracy, and at
the end evaluates the best checkpoint on the test file (evaluate.py).
"""
import math
import os
import shlex
import time
import zlib
from pathlib import Path

import numpy as np

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.classify.batches import bucket_batches, encode_texts, pad_batch, padding_share
from minirnn.classify.data import read_splits, saved_layout
from minirnn.classify.evaluate import classification_report, confusion_plot_path, plot_confusion
from minirnn.classify.model import CHECKPOINT_KIND, Classifier, NotFinite, model_config, predict_log_proba
from minirnn.classify.settings import LEVELS, checkpoint_path, resolve_settings
from minirnn.clip import clip_grad_norm
from minirnn.losses import softmax_cross_entropy
from minirnn.optim import Adam
from minirnn.toolkit.progress import Progress
from minirnn.toolkit.threads import blas_threads
from minirnn.vocab import Vocabulary
from minirnn.toolkit.validate import counted

ABSURD_LOSS = 20        # a validation loss above 20 x log(C) nats (20 x a uniform guess's) means
                        # saturated, diverging outputs: never kept as the best


class Diverged(ValueError):
    """Training produced NaN or inf; the message says at which step and what to try."""


class Trainer:
    """The training loop's state: the model, Adam, clipping, and where it is in its epochs.

    model       a Classifier (or anything with forward(ids, lengths), backward, params, grads)
    sequences   the training documents, a list of id arrays
    labels      (n,) int64 class ids
    """

    def __init__(self, model, sequences, labels, batch_size=32, lr=3e-3, clip=5.0, seed=0):
        self.model, self.sequences, self.labels = model, sequences, np.asarray(labels)
        self.lengths = np.array([len(s) for s in sequences])       # (n,)
        self.batch_size, self.clip, self.seed = batch_size, clip, seed
        self.optimizer = Adam(model.params, lr=lr)
        self.epoch, self.batch, self.step = 0, 0, 0   # the next batch is `batch` of epoch `epoch`
        self.seconds = 0.0                            # training time, summed over sessions
        self.recent_losses = []                       # since the last validation (for the log)
        self.interrupted = False                      # stopped by Ctrl-C
        self._batches = (None, None)                  # (epoch, its batches), drawn once per epoch

    def epoch_batches(self, epoch):
        """Epoch ``epoch``'s batches (index arrays), the same whenever they are drawn."""
        if self._batches[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._batches = (epoch, bucket_batches(self.lengths, self.batch_size, rng))
        return self._batches[1]

    @property
    def steps_per_epoch(self):
        return len(self.epoch_batches(self.epoch))

    def train_step(self):
        """One batch: forward, loss, backward, clip, Adam. Returns (loss in nats, documents)."""
        index = self.epoch_batches(self.epoch)[self.batch]
        ids, lengths = pad_batch([self.sequences[i] for i in index])       # (T, B), (B,)
        try:
            logits = self.model.forward(ids, lengths)                       # (B, C)
        except NotFinite as error:
            raise self._diverged(str(error)) from None
        loss, dlogits = softmax_cross_entropy(logits, self.labels[index])
        self.model.backward(dlogits)
        grads = self.model.grads
        try:
            clip_grad_norm(grads, self.clip)
        except FloatingPointError:
            raise self._diverged(f"the gradients hold NaN or inf (loss {loss:.3g})") from None
        try:
            self.optimizer.step(grads)                         # refuses to write NaN or inf
        except FloatingPointError as error:
            raise self._diverged(str(error)) from None
        self.step += 1
        self.batch += 1
        if self.batch == len(self.epoch_batches(self.epoch)):
            self.epoch, self.batch = self.epoch + 1, 0
        return loss, len(index)

    def _diverged(self, what):
        return Diverged(f"training diverged at step {self.step + 1}: {what}; "
                        "try a smaller --lr or --clip")

    def run(self, epochs=None, steps=None, minutes=None, eval_every=None, validate=None, progress=None):
        """Train until a budget is spent: ``epochs`` or ``steps`` in all (counting the steps
        before a resume), or ``minutes`` of this session, whichever comes first.

        validate   None, or a function called with no argument after every epoch (or
                   every ``eval_every`` steps) and once at the end; it may take time: the
                   time budget keeps room for it
        progress   None, or a minirnn.toolkit.progress.Progress to show the loss and examples/s
        Returns (steps, documents, seconds) of training in this session, validation excluded.
        Ctrl-C stops the run after the step it is in, keeping what was validated.
        """
        if epochs is None and steps is None and minutes is None:
            raise ValueError("Trainer.run needs a budget: epochs, steps or minutes")
        deadline = None if minutes is None else time.perf_counter() + 60 * minutes
        done, documents, seconds, eval_seconds, smooth = 0, 0, 0.0, 0.0, None
        since_validation = 0
        try:
            while (epochs is None or self.epoch < epochs) and (steps is None or self.step < steps):
                step_seconds = seconds / done if done else 0.0
                if deadline is not None and time.perf_counter() + eval_seconds + step_seconds >= deadline:
                    break
                began = time.perf_counter()
                loss, n = self.train_step()
                took = time.perf_counter() - began
                seconds, self.seconds = seconds + took, self.seconds + took
                self.recent_losses.append(loss)
                done, documents, since_validation = done + 1, documents + n, since_validation + 1
                smooth = loss if smooth is None else 0.95 * smooth + 0.05 * loss
                if progress is not None:
                    progress.update(self.step, f"epoch {self.epoch + self.batch / self.steps_per_epoch:.2f}, "
                                               f"loss {smooth:.3f}, {documents / seconds:,.0f} examples/s")
                due = self.batch == 0 if eval_every is None else self.step % eval_every == 0
                if due and validate is not None:
                    began = time.perf_counter()
                    validate()
                    eval_seconds, since_validation = time.perf_counter() - began, 0
        except KeyboardInterrupt:                     # the step may be half done: no closing validation
            self.interrupted = True
            if progress is not None:
                progress.write(f"interrupted at step {self.step}")
            since_validation = 0
        if since_validation and validate is not None:    # the closing validation
            validate()
        return done, documents, seconds

    def state(self):
        """Where the loop is, as JSON-able values (Adam's arrays: optimizer.state_dict())."""
        return {"epoch": self.epoch, "batch": self.batch, "step": self.step, "seconds": self.seconds,
                "dropout_rng": self.model.dropout_rng.bit_generator.state}

    def load_state(self, state, optim_state):
        """Continue from ``state()`` and an optimizer state_dict, as if never stopped."""
        self.epoch, self.batch, self.step = state["epoch"], state["batch"], state["step"]
        self.seconds = state["seconds"]
        self.model.dropout_rng.bit_generator.state = state["dropout_rng"]
        self.optimizer.load_state_dict(optim_state)


def validation_scores(model, sequences, labels):
    """(mean loss in nats over the rows with a known label, accuracy over all rows, p (n, C))."""
    log_p = predict_log_proba(model, sequences)                     # (n, C) from the logits
    known = labels >= 0
    loss = float(-log_p[known, labels[known]].mean()) if known.any() else math.nan
    accuracy = float((log_p.argmax(axis=1) == labels).mean())
    return loss, accuracy, np.exp(log_p)


def majority_baseline(train_labels, labels):
    """The accuracy of always answering the training split's most frequent class."""
    majority = np.bincount(train_labels).argmax()
    return float((np.asarray(labels) == majority).mean())


# ---- the command ----

def train_command(args):
    """`minirnn classify train`: check the options, read the data, train, evaluate."""
    with blas_threads(args.threads):
        settings, checkpoint = resolve_settings(args)
        out = checkpoint_path(args)
        run = ClassifierRun.start(settings, checkpoint, backend=args.backend)
        total = None
        if settings["epochs"] is not None:
            total = settings["epochs"] * run.trainer.steps_per_epoch
        run.train(out, Progress(args.progress, total, settings["minutes"]))
        run.finish()
    return 130 if run.trainer.interrupted else 0      # 128 + SIGINT, as a shell reports Ctrl-C


class ClassifierRun:
    """A `minirnn classify train` run: data, vocabulary, model, trainer, log, checkpoint."""

    def __init__(self, settings, classes, splits, vocab, encoded, cut, model, trainer):
        self.settings, self.classes, self.splits, self.vocab = settings, classes, splits, vocab
        self.encoded, self.cut = encoded, cut     # per split: the id arrays, how many were cut at max_length
        self.model, self.trainer = model, trainer
        self.best = None                     # {"step", "accuracy", "loss"} of the saved checkpoint
        self.history = {"step": [], "epoch": [], "train_loss": [], "valid_loss": [], "valid_accuracy": []}
        self.saved_to, self.out = None, None

    @classmethod
    def start(cls, settings, checkpoint=None, backend="numba"):
        """A new run from ``settings``, or the run saved in ``checkpoint``, continued."""
        s = settings
        layout = saved_layout(s)                      # the layout options, as evaluate and predict read them
        classes, splits = read_splits(*(_shown(s[key]) for key in ("train", "valid", "test")), layout,
                                      _shown(s["class_names"]), s["ignore_unknown_labels"], s["seed"])
        if checkpoint is None:
            vocab = Vocabulary.build(splits["train"].data.texts, LEVELS[s["level"]],
                                     max_size=s["max_vocab"], min_count=s["min_count"])
        else:
            vocab = Vocabulary.from_arrays(checkpoint.vocab_arrays)
        encoded, cut = {}, {}
        for name, split in splits.items():
            if split is not None:
                encoded[name], cut[name] = encode_texts(vocab, split.data.texts, s["max_length"])
        config = model_config(len(vocab), len(classes), s["embed_size"], s["cell"], s["hidden_size"],
                              s["layers"], s["bidirectional"], s["dropout"], s["pool"], s["dtype"])
        model = Classifier(config, seed=s["seed"], backend=backend)
        trainer = Trainer(model, encoded["train"], splits["train"].labels, s["batch_size"], s["lr"],
                          s["clip"], s["seed"])
        run = cls(s, classes, splits, vocab, encoded, cut, model, trainer)
        if checkpoint is not None:
            run._restore(checkpoint)
        return run

    def _restore(self, checkpoint):
        saved = checkpoint.config
        if saved["data"] != self.checksum():
            raise ValueError(f"--resume {checkpoint.path!r}: the data is not what this run was trained "
                             f"on ({saved['data']} then, {self.checksum()} now)")
        checkpoint.load_params_into(self.model.params)
        self.trainer.load_state(saved["trainer"], checkpoint.optim_state)
        self.history, self.best = saved["history"], saved["best"]
        self.saved_to = Path(checkpoint.path)

    def checksum(self):
        """A fingerprint of the training and validation data as ids: a resumed run must read the same."""
        crc = 0
        for name in ("train", "valid"):
            for ids in self.encoded[name]:
                crc = zlib.crc32(ids.tobytes(), crc)
            crc = zlib.crc32(self.splits[name].labels.tobytes(), crc)
        return {"train_rows": len(self.encoded["train"]), "valid_rows": len(self.encoded["valid"]), "crc32": crc}

    # ---- the loop ----

    def train(self, out, progress):
        s = self.settings
        self.out, self.progress = Path(out), progress
        self._print_start()
        epochs_done = s["epochs"] is not None and self.trainer.epoch >= s["epochs"]
        if epochs_done:
            print(f"the run is already at epoch {self.trainer.epoch} of --epochs {s['epochs']}: nothing to train")
            return
        try:
            steps, documents, seconds = self.trainer.run(epochs=s["epochs"], minutes=s["minutes"],
                                                         eval_every=s["eval_every"], validate=self._validate,
                                                         progress=progress)
        except Diverged as error:
            progress.close()
            message = str(error)
            raise Diverged(message if "checkpoint" in message else message + self._kept()) from None
        progress.close()
        print(f"trained {counted(steps, 'step')} ({counted(documents, 'document')}) in {seconds:.1f} s: "
              f"{documents / max(seconds, 1e-9):,.0f} examples/s")

    def _validate(self):
        """Validation loss and accuracy, logged next to the majority baseline; the
        checkpoint if this is the best accuracy so far (ties: the lower loss)."""
        t = self.trainer
        valid = self.splits["valid"]
        try:
            loss, accuracy, _ = validation_scores(self.model, self.encoded["valid"], valid.labels)
        except NotFinite as error:
            raise Diverged(f"training diverged by step {t.step}: on the validation set {error}; "
                           f"try a smaller --lr or --clip" + self._kept()) from None
        if not math.isfinite(loss) or loss > ABSURD_LOSS * math.log(len(self.classes)):
            raise Diverged(f"training diverged by step {t.step}: the validation loss is {loss:.3g} nats "
                           f"(guessing uniformly scores {math.log(len(self.classes)):.3f}); try a smaller "
                           f"--lr or --clip" + self._kept())
        epoch = t.epoch + t.batch / t.steps_per_epoch
        train_loss = float(np.mean(t.recent_losses)) if t.recent_losses else math.nan
        t.recent_losses = []
        self.history["step"].append(t.step)
        self.history["epoch"].append(round(epoch, 3))
        self.history["train_loss"].append(train_loss)
        self.history["valid_loss"].append(loss)
        self.history["valid_accuracy"].append(accuracy)
        best = self.best is None or (accuracy, -loss) > (self.best["accuracy"], -self.best["loss"])
        if best:
            self.best = {"step": t.step, "epoch": round(epoch, 3), "accuracy": accuracy, "loss": loss}
            self.save(self.out)
        baseline = majority_baseline(self.splits["train"].labels, valid.labels)
        self.progress.write(f"epoch {epoch:5.2f}  step {t.step:>6}  train loss {train_loss:.4f}  "
                            f"valid loss {loss:.4f}  accuracy {accuracy:.3f} (majority baseline {baseline:.3f})"
                            + ("  best, saved" if best else ""))

    def _kept(self):
        if self.best is None:
            return "; no checkpoint was written"
        return f"; the checkpoint {str(self.saved_to)!r} keeps step {self.best['step']}, the best before"

    # ---- checkpoint ----

    def save(self, out):
        """Write the checkpoint (atomically): what evaluate, predict and --resume need."""
        config = {
            "kind": CHECKPOINT_KIND,
            "model": self.model.config,
            "classes": self.classes,
            "class_counts": np.bincount(self.splits["train"].labels, minlength=len(self.classes)).tolist(),
            "settings": self.settings,
            "data": self.checksum(),
            "trainer": self.trainer.state(),
            "best": self.best,
            "history": self.history,
        }
        save_checkpoint(out, self.model.params, self.trainer.optimizer.state_dict(),
                        self.vocab.to_arrays(), config)
        self.saved_to = Path(out)

    # ---- the log ----

    def _print_start(self):
        s, sp = self.settings, self.splits
        train, valid = sp["train"], sp["valid"]
        counts = np.bincount(train.labels, minlength=len(self.classes))
        print(f"data: {train.source}: {counted(len(train.labels), 'training document')} in "
              f"{counted(len(self.classes), 'class', 'classes')} "
              f"({', '.join(f'{c} {n}' for c, n in zip(self.classes, counts))})")
        print(f"      validation: {valid.source}, {counted(len(valid.labels), 'document')}"
              + (f"; test: {sp['test'].source}, {counted(len(sp['test'].labels), 'document')}" if sp["test"] else ""))
        for name in ("valid", "test"):
            if sp[name] is not None and sp[name].unknown:
                print(f"      {sp[name].source}: {counted(sp[name].unknown, 'document')} with a label the "
                      f"training file never had: counted as wrong (--ignore-unknown-labels)")
        lengths = self.trainer.lengths
        unit = "word and punctuation" if s["level"] == "word" else "character"
        print(f"tokens: {s['level']} level ({self.vocab.level}), vocabulary of {len(self.vocab):,} from the "
              f"training documents (min count {s['min_count']}, at most {s['max_vocab']:,}); "
              f"{counted(int(np.median(lengths)), unit + ' token')} per document (median), "
              f"{self.cut['train']:,} of {lengths.size:,} cut at --max-length {s['max_length']}")
        params = sum(p.size for p in self.model.params.values())
        print(f"model: {self.model!r}, {params:,} parameters")
        budget = " and ".join(([counted(s["epochs"], "epoch")] if s["epochs"] else [])
                              + ([counted(s["minutes"], "minute")] if s["minutes"] else []))
        share = padding_share(lengths, self.trainer.epoch_batches(0))
        print(f"training for {budget}" + (f", resumed at step {self.trainer.step}" if self.trainer.step else "")
              + f": batches of {counted(s['batch_size'], 'document')} bucketed by length ({share:.1%} padding), "
              f"{counted(self.trainer.steps_per_epoch, 'step')} per epoch, Adam lr {s['lr']:g}, clip {s['clip']:g}; "
              f"validation every " + (counted(s["eval_every"], "step") if s["eval_every"] else "epoch"))
        print(f"checkpoint: {self.out}", flush=True)

    def finish(self):
        """Load the best checkpoint and evaluate it on the test file (or the validation split)."""
        if self.saved_to is None:                     # only a run stopped before its first validation
            print("no checkpoint was written: the run stopped before its first validation")
            return
        Checkpoint(self.saved_to, kind=CHECKPOINT_KIND).load_params_into(self.model.params)
        b = self.best
        baseline = majority_baseline(self.splits["train"].labels, self.splits["valid"].labels)
        print(f"best validation accuracy {b['accuracy']:.3f} (majority baseline {baseline:.3f}; loss "
              f"{b['loss']:.4f}) at step {b['step']} (epoch {b['epoch']:g}), saved in {self.saved_to}")
        name = "test" if self.splits["test"] is not None else "valid"
        split = self.splits[name]
        log_p = predict_log_proba(self.model, self.encoded[name])
        report = classification_report(split.labels, log_p, self.classes,
                                       majority_baseline(self.splits["train"].labels, split.labels))
        print(f"\n{'test' if name == 'test' else 'validation'} set: {split.source}")
        print(report.table())
        plot = plot_confusion(report, confusion_plot_path(self.saved_to),
                              title=f"{Path(split.source).name if name == 'test' else 'validation'}: "
                                    f"{_describe(self.model.config)}")
        if plot is not None:
            print(f"confusion matrix: {plot}")
        # without --test the figures above are on the held-out slice, which is no file of its own
        data = shlex.quote(split.source) if name == "test" else "FILE   (a labelled file kept out of training)"
        checkpoint = shlex.quote(str(self.saved_to))
        print(f"\nmore: minirnn classify evaluate --checkpoint {checkpoint} --data {data}\n"
              f"      minirnn classify predict --checkpoint {checkpoint} --text \"...\"")


def _shown(path):
    """A path as the log shows it: relative to the working directory when inside it.
    (The settings keep absolute paths, so that --resume works from anywhere.)"""
    if path is None:
        return None
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _describe(config):
    """'bidirectional GRU(64), mean pooling' for titles."""
    return (("bidirectional " if config["bidirectional"] else "") + f"{config['cell'].upper()}"
            f"({config['hidden_size']})" + (f" x {config['layers']}" if config["layers"] > 1 else "")
            + f", {config['pool']} pooling")
