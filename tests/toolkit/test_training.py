"""Tests of minirnn/toolkit/training.py: the training loop every job shares.

A toy job (no model: its steps and validations return the losses a test scripts) shows
each behaviour on its own, in milliseconds:

- the budget: steps in all (a resumed run's included), minutes, nothing left to train;
- validation every eval_every steps and once at the end, never twice for the last step;
- the checkpoint kept is the best-scoring validation; the history holds every validation;
- Ctrl-C stops the run, skips the closing validation, says whether a checkpoint exists;
- divergence, one rule: a FloatingPointError in a step or a validation, or a validation
  loss above 20 ln K nats, stops the run with Diverged, which names the step, the cause,
  the checkpoint kept (never written from the bad validation) and what to try.

``diverged`` below checks a divergence message against that contract whichever path the
run took; the jobs' tests (tests/lm/test_train.py, tests/classify/test_train.py) use it
for runs whose path depends on the CPU's BLAS kernel.
"""
import math
import re

import pytest

from minirnn.toolkit.training import ABSURD_LOSS, Diverged, TrainingLoop

DIVERGED = re.compile(r"training diverged at step (?P<step>\d+): (?P<cause>.+); (?:no checkpoint was written|"
                      r"the checkpoint keeps step (?P<kept>\d+), the best validated); try a smaller --lr or --clip")


def diverged(message, unit):
    """Check a divergence message against the contract; return (step, cause, kept step or None).

    The cause is one the rule names, in the run's terms: an absurd validation loss, or a NaN
    or inf (or an overflow) that the model, the gradient clipping or the optimizer met. Which
    one a diverging run meets first, and at which step, depends on where a float overflows,
    and so on the CPU's BLAS kernel: a test may pin neither.
    """
    match = DIVERGED.search(message)
    assert match, message
    cause = match["cause"]
    absurd = rf"the validation loss is \S+ nats per {unit}, above \S+ \({ABSURD_LOSS} times a uniform guess's\)"
    assert re.fullmatch(absurd, cause) or "NaN or inf" in cause or "overflow" in cause, cause
    assert "holds a non-finite value" not in message            # never an internal array's name
    return int(match["step"]), cause, None if match["kept"] is None else int(match["kept"])


class Toy(TrainingLoop):
    """Step i returns losses[i] (or raises it, if it is an exception); validation at step s
    returns {"valid_loss": valid[s]} (or raises it)."""

    def __init__(self, losses=None, valid=None, outcomes=10):
        super().__init__(outcomes=outcomes, unit="toy")
        self.losses, self.valid, self.saved = losses or {}, valid or {}, []

    def train_step(self):
        loss = self.losses.get(self.step, 1.0)
        if isinstance(loss, BaseException):
            raise loss
        self.step += 1
        return loss, 4

    def validate(self):
        loss = self.valid.get(self.step, 1.0)
        if isinstance(loss, BaseException):
            raise loss
        return {"valid_loss": loss}

    def save(self, out):
        self.saved.append(self.step)


def test_steps_budget_validations_and_the_best_checkpoint(capsys):
    toy = Toy(valid={2: 3.0, 4: 2.0, 6: 2.5, 7: 1.0})
    session = toy.loop(steps=7, eval_every=2, out="ck")
    assert session.steps == 7 and session.examples == 28 and toy.step == 7
    assert toy.history["step"] == [2, 4, 6, 7]                  # every 2 steps, and the closing one
    assert toy.saved == [2, 4, 7]                               # only when the best so far
    assert toy.best == {"step": 7, "valid_loss": 1.0} and str(toy.saved_to) == "ck"
    out = capsys.readouterr().out
    assert out.count("best, saved") == 3 and "step 6  valid loss 2.5000 nats\n" in out


def test_the_last_step_is_validated_once_and_a_resumed_run_counts_its_steps(capsys):
    toy = Toy()
    toy.step = 4                                                # as if resumed at step 4
    assert toy.loop(steps=6, eval_every=2).steps == 2
    assert toy.history["step"] == [6]
    assert toy.loop(steps=6, eval_every=2) is None              # nothing left
    assert "the run is already at step 6 of 6: nothing to train" in capsys.readouterr().out


def test_after_validation_sees_the_history_of_every_validation_recorded():
    seen = []                                                   # what a notebook's loss plot would draw
    toy = Toy(valid={4: 1e9})                                   # step 4: absurd, divergence
    toy.after_validation = lambda history: seen.append(list(history["step"]))
    with pytest.raises(Diverged):
        toy.loop(steps=7, eval_every=2)
    assert seen == [[2]]                                        # never called for the diverged one
    toy = Toy()
    toy.after_validation = lambda history: seen.append((list(history["step"]), history is toy.history))
    toy.loop(steps=5, eval_every=2)
    assert seen[1:] == [([2], True), ([2, 4], True), ([2, 4, 5], True)]   # each one, and the closing one


def test_after_validation_is_not_called_when_nothing_is_validated():
    class Unjudged(Toy):
        def validate(self):
            return None
    toy, calls = Unjudged(), []
    toy.after_validation = calls.append
    toy.loop(steps=4, eval_every=2)
    assert calls == [] and toy.history == {}


def test_a_time_budget_stops_the_run_and_still_validates():
    toy = Toy()
    session = toy.loop(minutes=0.001, eval_every=10 ** 9)       # 60 ms
    assert session.steps >= 1 and toy.history["step"] == [toy.step]
    assert 0.0 <= session.seconds <= toy.seconds


def test_a_loop_needs_a_budget():
    with pytest.raises(ValueError, match="a budget"):
        Toy().loop()


@pytest.mark.parametrize("at, kept, message", [
    (3, None, "interrupted at step 2, before the first validation (at step 4): no checkpoint was written"),
    (6, 4, "interrupted at step 5; the checkpoint keeps step 4, the best validated")])
def test_ctrl_c_stops_without_a_closing_validation(capsys, at, kept, message):
    toy = Toy(losses={at - 1: KeyboardInterrupt()})
    toy.loop(steps=10, eval_every=4, out="ck")
    assert toy.interrupted and toy.step == at - 1
    assert toy.saved == ([] if kept is None else [kept])
    assert message in capsys.readouterr().out


def test_a_floating_point_error_in_a_step_names_that_step():
    toy = Toy(losses={4: FloatingPointError("clip_grad_norm: the gradient norm is nan")}, valid={4: 0.5})
    with pytest.raises(Diverged) as error:
        toy.loop(steps=10, eval_every=2, out="ck")
    assert str(error.value) == ("training diverged at step 5: clip_grad_norm: the gradient norm is nan; "
                                "the checkpoint keeps step 4, the best validated; try a smaller --lr or --clip")
    assert error.value.step == 5 and toy.saved == [2, 4]


def test_an_optimizer_overflow_is_told_in_the_commands_terms():
    import numpy as np
    from minirnn.optim import Adam
    params = {"embed.E": np.ones(3, dtype=np.float32)}
    adam = Adam(params, lr=1e308)                               # `minirnn train --lr 1e308`
    toy = Toy()
    toy.train_step = lambda: adam.step({"embed.E": np.ones(3, dtype=np.float32)})
    with pytest.raises(Diverged) as error:
        toy.loop(steps=3, out="ck")
    assert str(error.value) == ("training diverged at step 1: the update overflowed float32; no checkpoint "
                                "was written; try a smaller --lr or --clip")
    assert (params["embed.E"] == 1).all()                       # the step was undone


def test_a_non_finite_training_loss_is_divergence():
    with pytest.raises(Diverged, match="training diverged at step 1: the training loss is nan; no checkpoint"):
        Toy(losses={0: math.nan}).loop(steps=3, out="ck")


def test_a_floating_point_error_in_validation_is_divergence():
    toy = Toy(valid={4: FloatingPointError("the model's forward pass produced NaN or inf")})
    with pytest.raises(Diverged, match=r"at step 4: in validation, the model's forward pass produced NaN or inf; "
                                       r"the checkpoint keeps step 2"):
        toy.loop(steps=10, eval_every=2, out="ck")


@pytest.mark.parametrize("loss", [math.nan, math.inf, 20 * math.log(10) * 1.0001, 1e21])
def test_a_non_finite_or_absurd_validation_loss_is_never_saved(loss):
    toy = Toy(valid={4: loss})
    with pytest.raises(Diverged) as error:
        toy.loop(steps=10, eval_every=2, out="ck")
    step, cause, kept = diverged(str(error.value), "toy")
    assert (step, kept) == (4, 2) and toy.saved == [2] and toy.history["step"] == [2]
    assert cause.endswith("above 46.1 (20 times a uniform guess's)")     # 20 ln 10


def test_a_loss_at_the_bound_is_not_divergence():
    toy = Toy(valid={2: 20 * math.log(10)})
    toy.loop(steps=2, eval_every=2, out="ck")
    assert toy.saved == [2]


def test_the_best_is_the_job_s_score():
    class ByAccuracy(Toy):
        def validate(self):
            return {"valid_loss": 1.0 + self.step, "accuracy": {2: 0.5, 4: 0.7, 6: 0.6}[self.step]}

        def score(self, figures):
            return figures["accuracy"]

    toy = ByAccuracy()
    toy.loop(steps=6, eval_every=2, out="ck")
    assert toy.saved == [2, 4] and toy.best["accuracy"] == 0.7
