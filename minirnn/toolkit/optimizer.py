"""The Optimizer base class: what the rules of minirnn/optim.py share, kept out of their way.

A rule subclasses Optimizer and declares three things:

    ranges              hyperparameter -> its range ("> 0", ">= 0", "in [0, 1)", "in [0, 1]")
                        or "flag" (True/False); the order is the order state_dict and repr use
    states              running array -> the hyperparameter that switches it on (None: always
                        kept), named as torch names them ("exp_avg", ...), in the order update
                        takes them
    update(p, g, *running)  the rule, element-wise: write p and the running arrays in place
                        (a running array switched off is passed as None)

Optimizer does the rest:

    __init__(params, **hyperparameters)   checks them (optim_checks); each hyperparameter
        becomes an attribute (opt.lr, opt.beta1, ...; set opt.lr freely during training),
        each running array a dict name -> zeros like the parameter (opt.exp_avg["rnn.W_l0"])
    step(grads)      checks the gradients, counts the step (step_count, the t of the rules:
        1 at the first step), runs update on every parameter, and undoes the step if it overflowed
    state_dict(), load_state_dict(d)      resuming, bit for bit (optim_state)

Speed: update is handed a large parameter in blocks of BLOCK entries (views; the rules are
element-wise, so the result is the same to the last bit). A rule's temporaries (m_hat,
v_hat, ...) are then small: they stay in cache and malloc hands the same memory back block
after block. Whole-array temporaries of a large weight are returned to the system between
steps and page-faulted in again: Adam took 1.7 to 2 times as long for a GRU(1024), up to 3.4
times for a GRU(384) (benchmarks/bench_optim.py).

The undo: a step that would write a NaN or an inf into a parameter or a running array (an
overflow in the parameters' dtype: Adagrad's sum of squares beyond float32's 3.4e38, say) is
undone and raises FloatingPointError naming the arrays, instead of leaving NaN behind as
torch does. Before each step every array the step writes is copied into buffers made once
and reused (copies made afresh each step would be page-faulted in too).
"""
import numpy as np

from . import optim_checks, optim_state
from .validate import counted

BLOCK = 65536                                  # entries per call of update (256 KiB of float32)


class Optimizer:
    ranges = {}                                # hyperparameter -> range, set by each rule
    states = {}                                # running array -> the hyperparameter switching it on

    def __init__(self, params, **hyperparameters):
        kind = type(self).__name__
        self.params = optim_checks.params(params, kind)
        self.step_count = 0                    # t: the steps taken so far
        h = optim_checks.hyperparameters(kind, self.ranges, hyperparameters)
        for key, value in h.items():
            setattr(self, key, value)
        for state in self.state_names(h):
            setattr(self, state, {name: np.zeros_like(p) for name, p in self.params.items()})

    def update(self, p, g, *running):
        """The rule, for one parameter or a block of it: write p and the running arrays in place."""
        raise NotImplementedError(f"{type(self).__name__} defines no update rule")

    def step(self, grads):
        """One optimisation step: update every parameter from its gradient, in place.

        grads must have exactly the parameters' names, shapes and dtypes, and hold only
        finite numbers; otherwise nothing is changed and the error says what is wrong.
        Raises FloatingPointError, changing nothing, if the update would write a NaN or
        an inf into a parameter or a running array (an overflow in the parameters' dtype).
        """
        optim_checks.grads(self, grads)
        written = self._written()              # "<state>/<name>" -> every array a step writes
        undo = self._copy_for_undo(written)
        self.step_count += 1                   # the rules read t = the step being taken
        kept = self.state_names(self.hyperparameters())
        with np.errstate(over="ignore", invalid="ignore"):   # an overflow is reported below, by name
            for name, p in self.params.items():
                running = [getattr(self, state)[name] if state in kept else None for state in self.states]
                self._update_in_blocks(p, grads[name], running)
        bad = [key for key, a in written.items() if not np.isfinite(a).all()]
        if bad:
            for key, a in written.items():
                a[...] = undo[key]
            self.step_count -= 1
            raise _overflow_error(self, bad, grads)

    def state_names(self, h):
        """The running arrays kept under the hyperparameters h."""
        return [state for state, switch in self.states.items() if switch is None or h[switch]]

    def hyperparameters(self):
        """The current hyperparameters, name -> Python float or bool."""
        return {key: getattr(self, key) for key in self.ranges}

    def state_dict(self):
        """Everything needed to resume, as a flat dict str -> np.ndarray (copies); see optim_state."""
        return optim_state.state_dict(self)

    def load_state_dict(self, d):
        """Restore a state_dict(): step count, hyperparameters and running arrays (copied).

        Every key, shape and dtype is checked first; on any difference a ValueError lists
        all of them and the optimizer is left unchanged.
        """
        optim_state.load_state_dict(self, d)

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.hyperparameters().items())
        return f"{type(self).__name__}({counted(len(self.params), 'array')}, {settings}, step {self.step_count})"

    def _written(self):
        """Every array a step writes, the parameters and the running arrays: key -> array."""
        written = {f"params/{name}": p for name, p in self.params.items()}
        for state in self.state_names(self.hyperparameters()):
            written.update({f"{state}/{name}": a for name, a in getattr(self, state).items()})
        return written

    def _update_in_blocks(self, p, g, running):
        """update(p, g, *running), on blocks of BLOCK entries when p is larger and every array is
        C-contiguous (then reshape(-1) is a view; otherwise the arrays are passed whole)."""
        arrays = [p, g, *running]
        if p.size <= BLOCK or not all(a is None or a.flags.c_contiguous for a in arrays):
            return self.update(*arrays)
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        for start in range(0, p.size, BLOCK):
            self.update(*[None if a is None else a[start:start + BLOCK] for a in flat])

    def _copy_for_undo(self, written):
        """Copies of the written arrays, in buffers kept from step to step."""
        buffers = getattr(self, "_undo", {})
        if buffers.keys() != written.keys():
            buffers = self._undo = {key: np.empty_like(a) for key, a in written.items()}
        for key, a in written.items():
            np.copyto(buffers[key], a)
        return buffers


def _overflow_error(optimizer, bad, grads):
    """The FloatingPointError for a step that made the arrays ``bad`` ("<state>/<name>") NaN or inf."""
    dtype = next(iter(optimizer.params.values())).dtype
    largest = max(float(np.max(np.abs(g), initial=0)) for g in grads.values())
    named = [f"the parameter {key[7:]!r}" if key.startswith("params/") else
             f"its state {key.split('/', 1)[0]!r} of {key.split('/', 1)[1]!r}" for key in bad]
    return FloatingPointError(
        f"{type(optimizer).__name__}.step: the update would overflow {dtype} (largest finite "
        f"{np.finfo(dtype).max:.3g}) in {', '.join(named)}, from finite gradients (largest |g| "
        f"{largest:.3g}); nothing was changed. Clip the gradients (clip_grad_norm), lower lr, "
        f"or use float64")
