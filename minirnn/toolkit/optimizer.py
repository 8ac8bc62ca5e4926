"""The Optimizer base class: what the rules of minirnn/optim.py share, kept out of their way.

A rule subclasses Optimizer and writes three things (minirnn/optim.py's SGD is the shortest):

    __init__(params, ...)   hands its hyperparameters to Optimizer.__init__ by keyword, in the
                            order state_dict and repr list them (a pair betas stands for beta1,
                            beta2); optim_checks.RANGES holds the range each name must lie in
    running()               its running arrays: letter -> name in state_dict (torch's), e.g.
                            {"m": "exp_avg", "v": "exp_avg_sq"}; it may depend on the options
                            (Adam's v_max only with amsgrad)
    update(p, g, **running) the rule, element-wise, on a parameter p, its gradient g and its
                            running arrays passed by letter (update(p, g, m=..., v=...)):
                            write p and the running arrays in place

Optimizer does the rest:

    __init__(params, **hyperparameters)   checks them (optim_checks); keeps each hyperparameter
        as an attribute (opt.lr, opt.beta1, ...; set opt.lr freely during training), and
        each running array as a dict name -> zeros like the parameter (opt.m["rnn.W_l0"])
    step(grads)      checks the gradients, counts the step (opt.t, the t of the rules: 1 at
        the first step), runs update on every parameter, and undoes the step if it overflowed
    state_dict(), load_state_dict(d)      resuming, bit for bit (optim_state)

Speed: update is handed a large parameter in chunks of CHUNK entries (views; the rules are
element-wise, so the result is the same to the last bit). A rule's temporaries (m_hat,
v_hat, ...) are then small: they stay in cache and malloc hands the same memory back chunk
after chunk. Whole-array temporaries of a large weight are returned to the system between
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

CHUNK = 65536                                  # entries per call of update (256 KiB of float32)


class Optimizer:
    def __init__(self, params, **hyperparameters):
        kind = type(self).__name__
        self.params = optim_checks.params(params, kind)
        self.t = 0                             # the steps taken so far
        h = optim_checks.hyperparameters(kind, hyperparameters)
        self._hyperparameter_names = tuple(h)
        for key, value in h.items():
            setattr(self, key, value)
        for letter in self.running():
            setattr(self, letter, {name: np.zeros_like(p) for name, p in self.params.items()})

    def running(self):
        """The rule's running arrays: letter -> name in state_dict (none here)."""
        return {}

    def update(self, p, g, **running):
        """The rule, for one parameter or a chunk of it: write p and the running arrays in place."""
        raise NotImplementedError(f"{type(self).__name__} defines no update rule")

    def step(self, grads):
        """One optimisation step: update every parameter from its gradient, in place.

        grads must have exactly the parameters' names, shapes and dtypes, and hold only
        finite numbers; otherwise nothing is changed and the error says what is wrong.
        Raises FloatingPointError, changing nothing, if the update would write a NaN or
        an inf into a parameter or a running array (an overflow in the parameters' dtype).
        """
        optim_checks.grads(self, grads)
        written = self._written()              # "<saved name>/<parameter>" -> every array a step writes
        undo = self._copy_for_undo(written)
        self.t += 1                            # the rules read t = the step being taken
        letters = list(self.running())
        with np.errstate(over="ignore", invalid="ignore"):   # an overflow is reported below, by name
            for name, p in self.params.items():
                running = {letter: getattr(self, letter)[name] for letter in letters}
                self._update_in_chunks(p, grads[name], running)
        bad = [key for key, a in written.items() if not np.isfinite(a).all()]
        if bad:
            for key, a in written.items():
                a[...] = undo[key]
            self.t -= 1
            raise _overflow_error(self, bad, grads)

    def hyperparameters(self):
        """The current hyperparameters, name -> Python float or bool, in the constructor's order."""
        return {key: getattr(self, key) for key in self._hyperparameter_names}

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
        return f"{type(self).__name__}({counted(len(self.params), 'array')}, {settings}, step {self.t})"

    def _written(self):
        """Every array a step writes, the parameters and the running arrays: key -> array."""
        written = {f"params/{name}": p for name, p in self.params.items()}
        for letter, saved in self.running().items():
            written.update({f"{saved}/{name}": a for name, a in getattr(self, letter).items()})
        return written

    def _update_in_chunks(self, p, g, running):
        """update(p, g, **running), on chunks of CHUNK entries when p is larger and every array is
        C-contiguous (then reshape(-1) is a view; otherwise the arrays are passed whole)."""
        arrays = [p, g, *running.values()]
        if p.size <= CHUNK or not all(a.flags.c_contiguous for a in arrays):
            return self.update(p, g, **running)
        p, g = p.reshape(-1), g.reshape(-1)
        running = {letter: a.reshape(-1) for letter, a in running.items()}
        for start in range(0, p.size, CHUNK):
            chunk = slice(start, start + CHUNK)
            self.update(p[chunk], g[chunk], **{letter: a[chunk] for letter, a in running.items()})

    def _copy_for_undo(self, written):
        """Copies of the written arrays, in buffers kept from step to step."""
        buffers = getattr(self, "_undo", {})
        if buffers.keys() != written.keys():
            buffers = self._undo = {key: np.empty_like(a) for key, a in written.items()}
        for key, a in written.items():
            np.copyto(buffers[key], a)
        return buffers


class UpdateOverflow(FloatingPointError):
    """A step that would have overflowed the parameters' ``dtype``; nothing was changed. The
    training loop reports it in a command's terms (the step, --lr, --clip)."""

    def __init__(self, message, dtype):
        super().__init__(message)
        self.dtype = dtype


def _overflow_error(optimizer, bad, grads):
    """The UpdateOverflow for a step that made the arrays ``bad`` ("<saved name>/<parameter>") NaN or inf."""
    dtype = next(iter(optimizer.params.values())).dtype
    largest = max(float(np.max(np.abs(g), initial=0)) for g in grads.values())
    named = [f"the parameter {key[7:]!r}" if key.startswith("params/") else
             f"its state {key.split('/', 1)[0]!r} of {key.split('/', 1)[1]!r}" for key in bad]
    return UpdateOverflow(
        f"{type(optimizer).__name__}.step: the update would overflow {dtype} (largest finite "
        f"{np.finfo(dtype).max:.3g}) in {', '.join(named)}, from finite gradients (largest |g| "
        f"{largest:.3g}); nothing was changed. Clip the gradients (clip_grad_norm), lower lr, "
        f"or use float64", dtype)
