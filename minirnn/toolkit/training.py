"""The training loop every job shares: `minirnn train`, `minirnn classify train`, and any after them.

A job subclasses TrainingLoop and writes only what is its own (minirnn/lm/train.py and
minirnn/classify/train.py are the two there are):

    train_step()           one minibatch: forward, loss, backward, clip, optimizer step; adds 1
                           to self.step; returns (loss in nats, examples read)
    validate()             the model on held-out data: a dict of figures, "valid_loss" in nats
                           per prediction and whatever else the job records; or None (nothing
                           to judge or keep)
    score(figures)         higher is better; the checkpoint kept is the best-scoring validation
                           (by default the one with the lowest validation loss)
    save(out)              write the checkpoint (atomically)
    report(record, saved)  the log lines of a validation that passed: record is its history
                           entry ("step", "train_loss" and the figures), saved whether it was saved
    status(loss, rate)     the progress line: the smoothed loss, examples per second

``loop`` does the rest, the same way for every job:

    until the budget (steps in all, or minutes of this session) is spent:
        stop early if the closing validation would no longer fit in the minutes left
        loss, n = train_step()              the progress shows the loss, smoothed, and the speed
        every eval_every steps: validate, judge (below), save the checkpoint if it is the best
                            so far, and log the job's report
    the closing validation, unless the last step had one
    after each validation recorded: self.after_validation(self.history), if set (a notebook
                            redraws its loss plot there; None, the default, for the commands)
    Ctrl-C: stop there (the step may be half done), no closing validation, the best checkpoint
            kept as it is; self.interrupted tells the command to exit with 130 (128 + SIGINT,
            as a shell reports Ctrl-C)

Divergence: one rule for every job. Training has diverged when

  - a step or a validation computes a NaN or an inf: the models (minirnn.sequential.Sequential),
    clip_grad_norm and the optimizers raise FloatingPointError instead of going on with it;
  - or the validation loss exceeds ABSURD_LOSS x ln K nats per prediction, K the number of
    outcomes a prediction chooses among (V tokens, C classes): 20 times what a uniform guess
    scores (ln K, an untrained model's loss). A classifier grown sure of its mistakes can
    legitimately score a few times ln K on held-out data; 20 ln K means that the true outcomes
    got on average (geometric mean) K**-20 of the probability, which only a model whose weights
    have blown up reaches.

Which of the two a diverging run meets first, and at which step, depends on where a float
overflows, and so on the CPU's BLAS kernel (AVX2 and AVX-512 round differently). Either way
the run stops with one exception, Diverged (a ValueError: the commands print it as one line
and exit with status 2), that says where, why in the run's own terms, what was kept, and what
to try:

    training diverged at step 1: the validation loss is 1.543e+21 nats per char, above 68.7
    (20 times a uniform guess's); no checkpoint was written; try a smaller --lr or --clip

(`minirnn train --lr 1e20 --steps 1`, a vocabulary of 31, OpenBLAS's SkylakeX kernel; with
its Sandybridge kernel the same run finds "in validation, the model's forward pass produced
NaN or inf in the output of 'rnn' (GRU): ...").

A checkpoint is only written for a validation that passed the rule, so the one kept is
always the last good one.
"""
import math
import time
from collections import namedtuple
from pathlib import Path

import numpy as np

from minirnn.toolkit.optimizer import UpdateOverflow

ABSURD_LOSS = 20        # a validation loss above 20 ln K nats per prediction means divergence

Session = namedtuple("Session", "steps examples seconds validation_seconds")
Session.__doc__ = """What one call of TrainingLoop.loop did: steps and examples trained, seconds of
training (validation excluded), and the seconds the last validation took."""


class Diverged(ValueError):
    """Training diverged (see the module docstring). ``step`` is the step at which it was
    found, ``cause`` what was found there, in the run's terms."""

    def __init__(self, step, cause, kept):
        super().__init__(f"training diverged at step {step}: {cause}; {kept}; try a smaller --lr or --clip")
        self.step, self.cause = step, cause


class TrainingLoop:
    """The loop's state and the loop itself; a job subclasses it (see the module docstring).

    outcomes   K, the outcomes one prediction chooses among: a uniform guess scores ln K nats
    unit       what one prediction is about, for messages ("char", "word", "document")

    A job that resumes a run restores step, seconds, history, best and saved_to from its
    checkpoint (and its own generators and optimizer state) before calling ``loop``.
    """

    def __init__(self, outcomes, unit):
        self.outcomes, self.unit = outcomes, unit
        self.step = 0                   # steps done, those of earlier sessions (--resume) included
        self.seconds = 0.0              # training time in seconds, summed over sessions
        self.history = {}               # one entry per validation: "step", "train_loss", the figures
        self.best = None                # {"step": ..., **figures} of the best validation so far
        self.saved_to = None            # the checkpoint's path, once one is written
        self.interrupted = False        # stopped by Ctrl-C
        self.recent_losses = []         # the training losses since the last validation
        self.after_validation = None    # optional: called with self.history after each validation recorded

    # ---- what a job writes ----

    def train_step(self):
        raise NotImplementedError

    def validate(self):
        return None

    def score(self, figures):
        return -figures["valid_loss"]

    def save(self, out):
        raise NotImplementedError

    def report(self, record, saved):
        line = f"step {record['step']}  valid loss {record['valid_loss']:.4f} nats"
        return [line + ("  best, saved" if saved else "")]

    def status(self, loss, rate):
        return f"step {self.step}, loss {loss:.3f} nats, {rate:,.0f} examples/s"

    # ---- the loop ----

    def loop(self, steps=None, minutes=None, eval_every=None, out=None, progress=None):
        """Train until ``steps`` in all (earlier sessions' included) or ``minutes`` of this
        session are spent, whichever comes first.

        eval_every   validate after every eval_every-th step, and once at the end (None: only
                     at the end); the time budget keeps room for the closing validation
        out          where the checkpoint goes whenever a validation is the best so far (None:
                     nowhere)
        progress     a minirnn.toolkit.progress.Progress, or None (no progress, log lines printed)

        Returns a Session, or None when the run is already at ``steps``.
        Raises Diverged; sets self.interrupted on Ctrl-C.
        """
        if steps is None and minutes is None:
            raise ValueError("training needs a budget: steps or minutes")
        if steps is not None and self.step >= steps:
            print(f"the run is already at step {self.step} of {steps}: nothing to train")
            return None
        write = print if progress is None else progress.write
        deadline = None if minutes is None else time.perf_counter() + 60 * minutes
        done, examples, seconds, eval_seconds, smooth = 0, 0, 0.0, 0.0, None
        self.recent_losses = []
        try:
            while steps is None or self.step < steps:
                # stop early enough for the closing validation to fit in the budget
                step_seconds = seconds / done if done else 0.0
                if deadline is not None and time.perf_counter() + eval_seconds + step_seconds >= deadline:
                    break
                began = time.perf_counter()
                loss, n = self._train_step()
                took = time.perf_counter() - began
                seconds, self.seconds = seconds + took, self.seconds + took
                done, examples = done + 1, examples + n
                self.recent_losses.append(loss)
                smooth = loss if smooth is None else 0.95 * smooth + 0.05 * loss
                if progress is not None:
                    progress.update(self.step, self.status(smooth, examples / max(seconds, 1e-9)))
                if eval_every is not None and self.step % eval_every == 0:
                    eval_seconds = self._validate(out, write)
            if self.recent_losses:            # the closing validation, unless the last step had one
                eval_seconds = self._validate(out, write)
        except KeyboardInterrupt:             # the step may be half done: keep the checkpoint as it is
            self.interrupted = True
            write(self._interrupted(out, eval_every))
        finally:
            if progress is not None:
                progress.close()
        return Session(done, examples, seconds, eval_seconds)

    def _train_step(self):
        """The job's step, judged by the rule."""
        try:
            loss, n = self.train_step()
        except UpdateOverflow as error:       # the optimizer's message names its API: say it in the run's terms
            raise self._diverged(self.step + 1, f"the update overflowed {error.dtype}") from None
        except FloatingPointError as error:   # the model or clip_grad_norm found NaN or inf
            raise self._diverged(self.step + 1, str(error)) from None
        if not math.isfinite(loss):
            raise self._diverged(self.step, f"the training loss is {loss}")
        return loss, n

    def _validate(self, out, write):
        """The job's validation, judged by the rule; recorded, logged, and saved if the best
        so far. Returns the seconds it took."""
        began = time.perf_counter()
        try:
            figures = self.validate()
        except FloatingPointError as error:
            raise self._diverged(self.step, f"in validation, {error}") from None
        train_loss = float(np.mean(self.recent_losses)) if self.recent_losses else math.nan
        self.recent_losses = []
        if figures is None:
            return time.perf_counter() - began
        loss, bound = figures["valid_loss"], ABSURD_LOSS * math.log(self.outcomes)
        if not loss <= bound:                 # NaN fails this too
            raise self._diverged(self.step, f"the validation loss is {loss:.4g} nats per {self.unit}, "
                                            f"above {bound:.3g} ({ABSURD_LOSS} times a uniform guess's)")
        record = {"step": self.step, "train_loss": train_loss, **figures}
        for key, value in record.items():
            self.history.setdefault(key, []).append(value)
        best = self.best is None or self.score(figures) > self.score(self.best)
        if best:
            self.best = {"step": self.step, **figures}
            if out is not None:
                self.save(out)
                self.saved_to = Path(out)
        for line in self.report(record, saved=best and out is not None):
            write(line)
        if self.after_validation is not None:
            self.after_validation(self.history)
        return time.perf_counter() - began

    def _kept(self):
        if self.saved_to is None:
            return "no checkpoint was written"
        return f"the checkpoint keeps step {self.best['step']}, the best validated"

    def _diverged(self, step, cause):
        return Diverged(step, cause, self._kept())

    def _interrupted(self, out, eval_every):
        if out is None:                       # a run that saves nothing
            return f"interrupted at step {self.step}"
        if self.saved_to is not None:
            return f"interrupted at step {self.step}; {self._kept()}"
        first = f" (at step {eval_every * (self.step // eval_every + 1)})" if eval_every else ""
        return f"interrupted at step {self.step}, before the first validation{first}: no checkpoint was written"
