"""Training the classifier: its step, and the `minirnn classify train` run around it.

One step (``Trainer.train_step``):

    index = the next batch of the epoch (bucket_batches: documents of similar length)
    ids, lengths = pad_batch(...)                    ids (T, B), lengths (B,)
    logits = model.forward(ids, lengths)             (B, C)
    loss, dlogits = softmax_cross_entropy(logits, labels)     mean nats per document
    model.backward(dlogits)                          backpropagation through time
    clip_grad_norm(model.grads, clip)                rescale an exploding gradient
    optimizer.step(model.grads)                      Adam, in place

``Trainer.run`` repeats it until the budget (epochs, steps or minutes) is spent and
validates after every epoch (or every ``eval_every`` steps) and at the end: the loop, with
Ctrl-C and the one rule for a diverging run, is minirnn/toolkit/training.py, shared with
`minirnn train`. Every epoch visits every training document once, in an order drawn from
(seed, epoch), so a run stopped anywhere continues exactly: ``Trainer.state`` is the step,
Adam's state and the dropout generator.

``ClassifierRun`` is the command: a Trainer that reads the files (data.py), builds the
vocabulary from the training split and the model, logs every validation next to the
majority-class baseline, keeps the checkpoint with the best validation accuracy, and at
the end evaluates the best checkpoint on the test file (evaluate.py).
"""
import math
import os
import shlex
import zlib
from pathlib import Path

import numpy as np

from minirnn.toolkit.checkpoint import Checkpoint, describe_change, save_checkpoint
from minirnn.toolkit.memory import check_training_fits
from minirnn.classify.batches import bucket_batches, encode_texts, pad_batch, padding_share
from minirnn.classify.data import read_splits, saved_layout
from minirnn.classify.evaluate import classification_report, confusion_plot_path, plot_confusion
from minirnn.classify.model import CHECKPOINT_KIND, Classifier, model_config, predict_log_proba
from minirnn.classify.settings import LEVELS, checkpoint_path, resolve_settings
from minirnn.clip import clip_grad_norm
from minirnn.losses import softmax_cross_entropy
from minirnn.optim import Adam
from minirnn.toolkit.progress import Progress
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.training import TrainingLoop
from minirnn.vocab import RESERVED, Vocabulary
from minirnn.toolkit.validate import counted


class Trainer(TrainingLoop):
    """The classifier's training step, in the loop every job shares (TrainingLoop).

    model       a Classifier (or anything with forward(ids, lengths), backward, params, grads)
    sequences   the training documents, a list of id arrays
    labels      (n,) int64 class ids
    """

    def __init__(self, model, sequences, labels, batch_size=32, lr=3e-3, clip=5.0, seed=0):
        super().__init__(outcomes=model.config["num_classes"], unit="document")
        self.model, self.sequences, self.labels = model, sequences, np.asarray(labels)
        self.lengths = np.array([len(s) for s in sequences])       # (n,)
        self.batch_size, self.clip, self.seed = batch_size, clip, seed
        self.optimizer = Adam(model.params, lr=lr)
        self.on_validation = None                     # run()'s validate: called with no argument
        self._batches = (None, None)                  # (epoch, its batches), drawn once per epoch
        # the same for every epoch: bucket_batches cuts pools whose sizes depend only on n
        self.steps_per_epoch = len(self.epoch_batches(0))

    def epoch_batches(self, epoch):
        """Epoch ``epoch``'s batches (index arrays), the same whenever they are drawn."""
        if self._batches[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._batches = (epoch, bucket_batches(self.lengths, self.batch_size, rng))
        return self._batches[1]

    @property
    def epoch(self):
        """The epoch the next step is in."""
        return self.step // self.steps_per_epoch

    @property
    def batch(self):
        """The next step's batch, within its epoch."""
        return self.step % self.steps_per_epoch

    def train_step(self):
        """One batch: forward, loss, backward, clip, Adam. Returns (loss in nats, documents)."""
        index = self.epoch_batches(self.epoch)[self.batch]
        ids, lengths = pad_batch([self.sequences[i] for i in index])       # (T, B), (B,)
        logits = self.model.forward(ids, lengths)                           # (B, C)
        loss, dlogits = softmax_cross_entropy(logits, self.labels[index])
        self.model.backward(dlogits)
        clip_grad_norm(self.model.grads, self.clip)                         # refuses a NaN or inf gradient
        self.optimizer.step(self.model.grads)                               # refuses to write NaN or inf
        self.step += 1
        return loss, len(index)

    def status(self, loss, rate):
        return f"epoch {self.step / self.steps_per_epoch:.2f}, loss {loss:.3f}, {rate:,.0f} examples/s"

    def run(self, epochs=None, steps=None, minutes=None, eval_every=None, validate=None, progress=None):
        """Train until a budget is spent: ``epochs`` or ``steps`` in all (counting the steps
        before a resume), or ``minutes`` of this session, whichever comes first.

        validate   None, or a function called with no argument after every epoch (or
                   every ``eval_every`` steps) and once at the end; it may take time: the
                   time budget keeps room for it
        progress   None, or a minirnn.toolkit.progress.Progress to show the loss and examples/s
        Returns a minirnn.toolkit.training.Session (steps, documents, seconds of training in
        this session, validation excluded), or None if the budget was already spent.
        Ctrl-C stops the run after the step it is in; a NaN or inf raises Diverged.
        """
        if epochs is None and steps is None and minutes is None:
            raise ValueError("Trainer.run needs a budget: epochs, steps or minutes")
        budgets = [b for b in (steps, None if epochs is None else epochs * self.steps_per_epoch) if b is not None]
        self.on_validation = validate
        return self.loop(min(budgets) if budgets else None, minutes, eval_every or self.steps_per_epoch,
                         progress=progress)

    def validate(self):
        """run()'s validate, if any: it scores nothing the loop judges or keeps."""
        if self.on_validation is not None:
            self.on_validation()

    def state(self):
        """Where the loop is, as JSON-able values (Adam's arrays: optimizer.state_dict())."""
        return {"epoch": self.epoch, "batch": self.batch, "step": self.step, "seconds": self.seconds,
                "dropout_rng": self.model.dropout_rng.bit_generator.state}

    def load_state(self, state, optim_state):
        """Continue from ``state()`` and an optimizer state_dict, as if never stopped."""
        self.step, self.seconds = state["step"], state["seconds"]
        self.model.dropout_rng.bit_generator.state = state["dropout_rng"]
        self.optimizer.load_state_dict(optim_state)


def validation_scores(model, sequences, labels):
    """(mean loss in nats over the rows with a known label, accuracy over all rows)."""
    logp = predict_log_proba(model, sequences)                      # (n, C)
    known = labels >= 0
    loss = float(-logp[known, labels[known]].mean()) if known.any() else math.nan
    accuracy = float((logp.argmax(axis=1) == labels).mean())
    return loss, accuracy


def majority_baseline(train_labels, labels):
    """The accuracy of always answering the training split's most frequent class."""
    majority = np.bincount(train_labels).argmax()
    return float((np.asarray(labels) == majority).mean())


# ---- the command ----

def train_command(args):
    """`minirnn classify train`: check the options, read the data, train, evaluate."""
    with blas_threads(args.threads):
        settings, checkpoint = resolve_settings(args)
        out = checkpoint_path(args, settings)
        run = ClassifierRun.start(settings, checkpoint, backend=args.backend)
        total = None
        if settings["epochs"] is not None:
            total = settings["epochs"] * run.steps_per_epoch
        run.train(out, Progress(args.progress, total, settings["minutes"]))
        run.finish()
    return 130 if run.interrupted else 0              # 128 + SIGINT, as a shell reports Ctrl-C


class ClassifierRun(Trainer):
    """A `minirnn classify train` run: a Trainer with the data, the vocabulary, its validation,
    its log and its checkpoint."""

    def __init__(self, settings, classes, splits, vocab, encoded, cut, model):
        s = settings
        super().__init__(model, encoded["train"], splits["train"].labels, s["batch_size"], s["lr"], s["clip"],
                         s["seed"])
        self.settings, self.classes, self.splits, self.vocab = settings, classes, splits, vocab
        self.encoded, self.cut = encoded, cut     # per split: the id arrays, how many were cut at max_length
        self.baseline = majority_baseline(splits["train"].labels, splits["valid"].labels)   # validation's

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
            if len(vocab) == len(RESERVED):           # every token would read as <unk>: nothing to learn
                raise ValueError(f"--min-count {s['min_count']} keeps no token of {splits['train'].source}: "
                                 f"none occurs {s['min_count']} times; every document would read as <unk>")
        else:
            vocab = Vocabulary.from_arrays(checkpoint.vocab_arrays)
        encoded, cut = {}, {}
        for name, split in splits.items():
            if split is not None:
                encoded[name], cut[name] = encode_texts(vocab, split.data.texts, s["max_length"])
        config = model_config(len(vocab), len(classes), s["embed_size"], s["cell"], s["hidden_size"],
                              s["layers"], s["bidirectional"], s["dropout"], s["pool"], s["dtype"])
        check_training_fits(config, outputs=len(classes), directions=2 if config["bidirectional"] else 1)
        model = Classifier(config, seed=s["seed"], backend=backend)
        run = cls(s, classes, splits, vocab, encoded, cut, model)
        if checkpoint is not None:
            run._restore(checkpoint)
        return run

    def _restore(self, checkpoint):
        saved = checkpoint.config
        if saved["data"] != self.checksum():
            raise ValueError(f"--resume {checkpoint.path!r}: the data is not what this run was trained "
                             f"on ({describe_change(saved['data'], self.checksum())})")
        checkpoint.load_params_into(self.model.params)
        self.load_state(saved["trainer"], checkpoint.optim_state)
        self.history, self.best = saved["history"], saved["best"]
        if self.best is not None and "accuracy" in self.best:     # written before the shared loop named them
            self.best = {"step": self.best["step"], "epoch": self.best["epoch"],
                         "valid_loss": self.best["loss"], "valid_accuracy": self.best["accuracy"]}
        self.saved_to = Path(checkpoint.path)

    def checksum(self):
        """A fingerprint of the training and validation data as ids: a resumed run must read the same."""
        crc = 0
        for name in ("train", "valid"):
            for ids in self.encoded[name]:
                crc = zlib.crc32(ids.tobytes(), crc)
            crc = zlib.crc32(self.splits[name].labels.tobytes(), crc)
        return {"train_rows": len(self.encoded["train"]), "valid_rows": len(self.encoded["valid"]), "crc32": crc}

    # ---- the validation; the loop is minirnn/toolkit/training.py ----

    def train(self, out, progress):
        """Train until the epochs or minutes are spent, validating after every epoch (or
        every --eval-every steps); the checkpoint keeps the best validation accuracy."""
        s = self.settings
        self._print_start(out)
        steps = None if s["epochs"] is None else s["epochs"] * self.steps_per_epoch
        session = self.loop(steps, s["minutes"], s["eval_every"] or self.steps_per_epoch, out, progress)
        if session is not None:
            print(f"trained {counted(session.steps, 'step')} ({counted(session.examples, 'document')}) in "
                  f"{session.seconds:.1f} s: {session.examples / max(session.seconds, 1e-9):,.0f} examples/s")

    def validate(self):
        """Validation loss (nats per document) and accuracy, at the epoch this step ends."""
        loss, accuracy = validation_scores(self.model, self.encoded["valid"], self.splits["valid"].labels)
        return {"epoch": round(self.step / self.steps_per_epoch, 3), "valid_loss": loss, "valid_accuracy": accuracy}

    def score(self, figures):
        """The best accuracy; of equal accuracies, the lower loss."""
        return figures["valid_accuracy"], -figures["valid_loss"]

    def report(self, record, saved):
        return [f"epoch {self.step / self.steps_per_epoch:5.2f}  step {self.step:>6}  train loss "
                f"{record['train_loss']:.4f}  valid loss {record['valid_loss']:.4f}  accuracy "
                f"{record['valid_accuracy']:.3f} (majority baseline {self.baseline:.3f})"
                + ("  best, saved" if saved else "")]

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
            "trainer": self.state(),
            "best": self.best,                # {"step", "epoch", "valid_loss", "valid_accuracy"}
            "history": self.history,
        }
        save_checkpoint(out, self.model.params, self.optimizer.state_dict(), self.vocab.to_arrays(), config)

    # ---- the log ----

    def _print_start(self, out):
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
        lengths = self.lengths
        unit = "word and punctuation" if s["level"] == "word" else "character"
        print(f"tokens: {s['level']} level ({self.vocab.level}), vocabulary of {len(self.vocab):,} from the "
              f"training documents (min count {s['min_count']}, at most {s['max_vocab']:,}); "
              f"{counted(int(np.median(lengths)), unit + ' token')} per document (median), "
              f"{self.cut['train']:,} of {lengths.size:,} cut at --max-length {s['max_length']}")
        params = sum(p.size for p in self.model.params.values())
        print(f"model: {self.model!r}, {params:,} parameters")
        budget = " and ".join(([counted(s["epochs"], "epoch")] if s["epochs"] else [])
                              + ([counted(s["minutes"], "minute")] if s["minutes"] else []))
        share = padding_share(lengths, self.epoch_batches(0))
        print(f"training for {budget}" + (f", resumed at step {self.step}" if self.step else "")
              + f": batches of {counted(s['batch_size'], 'document')} bucketed by length ({share:.1%} padding), "
              f"{counted(self.steps_per_epoch, 'step')} per epoch, Adam lr {s['lr']:g}, clip {s['clip']:g}; "
              f"validation every " + (counted(s["eval_every"], "step") if s["eval_every"] else "epoch"))
        print(f"checkpoint: {out}", flush=True)

    def finish(self):
        """Load the best checkpoint and evaluate it on the test file (or the validation split)."""
        if self.saved_to is None:                     # only a run stopped before its first validation
            print("no checkpoint was written: the run stopped before its first validation")
            return
        Checkpoint(self.saved_to, kind=CHECKPOINT_KIND).load_params_into(self.model.params)
        b = self.best
        print(f"best validation accuracy {b['valid_accuracy']:.3f} (majority baseline {self.baseline:.3f}; loss "
              f"{b['valid_loss']:.4f}) at step {b['step']} (epoch {b['epoch']:g}), saved in {self.saved_to}")
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
