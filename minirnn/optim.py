"""Optimizers: turn gradients into parameter updates.

Parameters and gradients are dicts name -> np.ndarray with the same names, shapes and
dtypes. An optimizer keeps the arrays it was given and writes the new values into them,
so every object holding the same arrays (layers, the model) sees them:

    opt = Adam(model.params, lr=1e-3)
    opt.step(grads)                    # each params[name] becomes its updated value

Every rule below is torch.optim's (its single-tensor "for-loop" implementation): the same
gradients give the same parameters, step after step, up to rounding in the last bits.
Notation, all element-wise: p a parameter, g its gradient, t the step number (1 at the
first step), lr the learning rate, wd the weight decay.

    SGD       p <- p - lr g, optionally with momentum (heavy ball or Nesterov)
    Adagrad   p <- p - lr g / (sqrt(sum of every g^2 so far) + eps)
    RMSprop   p <- p - lr g / (sqrt(running average of g^2) + eps)
    Adam      p <- p - lr m_hat / (sqrt(v_hat) + eps), m and v running averages of g and g^2,
              m_hat and v_hat the same with their pull towards 0 at the start divided out
    AdamW     Adam, with the weight decay applied to p directly instead of through g

The lines a training step runs are each class's ``_update``: the equations of its
docstring, one line each, updating p and the kept state in place. A step that overflows
(Adagrad's sum of squares beyond float32's 3.4e38, say) is undone and raises
FloatingPointError, instead of leaving a NaN or an inf behind: ``step`` keeps a copy of
every array it writes, in buffers made once, and puts it back (torch leaves them). In one
case, centered RMSprop, torch even writes NaN from finite gradients, because rounding
takes E[g^2] - E[g]^2 below zero; here that is clamped at zero.

The state is plain attributes: hyperparameters (``opt.lr``, ``opt.beta1``, ...; set
``opt.lr`` freely during training) and one dict name -> array per kept state
(``opt.exp_avg["rnn.W_l0"]``), created in each class's __init__.

state_dict() is flat, str -> np.ndarray, so np.savez(path, **opt.state_dict()) stores it
and np.load(path, allow_pickle=False) reads it back:

    "optimizer"            0-d str array: the class name
    "step"                 0-d int64: the steps taken so far
    "lr", "momentum", ...  0-d float64 (numbers) or bool (flags): the hyperparameters
    "exp_avg/rnn.W_l0"     one array per kept state and parameter: "<state>/<parameter>"

load_state_dict(d) restores all of it, hyperparameters included (as torch does), after
checking every key, shape and dtype.
"""
import math
from numbers import Real

import numpy as np

from minirnn.clip import nonfinite_arrays
from minirnn.toolkit.validate import counted


class Optimizer:
    """What every optimizer shares: the step, the checks, state_dict / load_state_dict.

    A subclass's __init__ calls ``super().__init__(params)``, then sets its hyperparameters
    from ``self._checked(...)`` and creates its state dicts (``self._zeros()``). It defines
        hyperparameter_names        the names state_dict stores, in order
        flags                       which of them are True/False
        _check_ranges(h)            raise ValueError for a value outside its range
        _state_names(h)             the state dicts kept, given hyperparameters h
        _update(name, p, g)         the rule: update p and its state in place
    """
    hyperparameter_names = ()
    flags = ()

    def __init__(self, params):
        self.params = _check_params(params, type(self).__name__)
        self.step_count = 0                    # t: the steps taken so far

    def step(self, grads):
        """One optimisation step: update every parameter from its gradient.

        grads must have exactly the parameters' names, shapes and dtypes, and hold only
        finite numbers; otherwise nothing is changed and the error says what is wrong.
        Raises FloatingPointError, changing nothing, if the update would write a NaN or
        an inf into a parameter or the state (an overflow in the parameters' dtype).
        """
        self._check_grads(grads)
        written = self._written()              # "<state>/<name>" -> every array a step writes
        undo = self._copy_for_undo(written)
        self.step_count += 1                   # the rules read t = the step being taken
        with np.errstate(over="ignore", invalid="ignore"):   # an overflow is reported below, by name
            for name, p in self.params.items():
                self._update(name, p, grads[name])
        bad = [key for key, a in written.items() if not np.isfinite(a).all()]
        if bad:
            for key, a in written.items():
                a[...] = undo[key]
            self.step_count -= 1
            raise _overflow_error(self, bad, grads)

    def hyperparameters(self):
        """The current hyperparameters, name -> Python float or bool."""
        return {key: getattr(self, key) for key in self.hyperparameter_names}

    def state_dict(self):
        """Everything needed to resume, as a flat dict str -> np.ndarray (copies)."""
        return _state_dict(self)

    def load_state_dict(self, d):
        """Restore a state_dict(): step count, hyperparameters and state arrays (copied).

        Every key, shape and dtype is checked first; on any difference a ValueError lists
        all of them and the optimizer is left unchanged.
        """
        _load_state_dict(self, d)

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.hyperparameters().items())
        return f"{type(self).__name__}({counted(len(self.params), 'array')}, {settings}, step {self.step_count})"

    # ---- helpers for subclasses --------------------------------------------------------------

    def _checked(self, **h):
        """The hyperparameters as Python floats and bools, each type and range checked."""
        h = _convert_hyperparameters(self, h)
        self._check_ranges(h)
        return h

    def _zeros(self, value=0.0):
        """One state array per parameter, shaped and typed like it, filled with value."""
        return {name: np.full_like(p, value) for name, p in self.params.items()}

    def _written(self):
        """Every array a step writes, the parameters and the kept state: key -> array."""
        written = {f"params/{name}": p for name, p in self.params.items()}
        for state in self._state_names(self.hyperparameters()):
            written.update({f"{state}/{name}": a for name, a in getattr(self, state).items()})
        return written

    def _copy_for_undo(self, written):
        """Copies of the written arrays, in buffers kept from step to step (a fresh copy of
        every array each step would cost more than the step: new memory is page-faulted in)."""
        buffers = getattr(self, "_undo", {})
        if buffers.keys() != written.keys():
            buffers = self._undo = {key: np.empty_like(a) for key, a in written.items()}
        for key, a in written.items():
            np.copyto(buffers[key], a)
        return buffers

    def _check_grads(self, grads):
        _check_grads(self, grads)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

        g <- g + wd p                                    weight decay (an L2 penalty wd/2 ||p||^2)
        b_1 = g;   b_t = momentum b_(t-1) + (1 - dampening) g      the momentum buffer
        g <- g + momentum b_t   (nesterov)   or   g <- b_t   (heavy ball)
        p <- p - lr g
    With momentum 0 it is plain p <- p - lr g.
    """
    hyperparameter_names = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
    flags = ("nesterov",)

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params)
        h = self._checked(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                          weight_decay=weight_decay)
        self.lr, self.momentum, self.dampening = h["lr"], h["momentum"], h["dampening"]
        self.nesterov, self.weight_decay = h["nesterov"], h["weight_decay"]
        if self.momentum != 0:
            self.momentum_buffer = self._zeros()       # b

    def _update(self, name, p, g):
        if self.weight_decay != 0:
            g = g + self.weight_decay * p              # gradient of the L2 penalty added on
        if self.momentum != 0:
            b = self.momentum_buffer[name]
            if self.step_count == 1:
                b[...] = g                             # b_1 = g
            else:
                b *= self.momentum                     # b_t = momentum b_(t-1) + (1 - dampening) g
                b += (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g

    def _check_ranges(self, h):
        _require(self, h, "lr", h["lr"] > 0, "> 0")
        _require(self, h, "momentum", 0 <= h["momentum"] < 1, "in [0, 1)")
        _require(self, h, "dampening", 0 <= h["dampening"] <= 1, "in [0, 1]")
        _require(self, h, "weight_decay", h["weight_decay"] >= 0, ">= 0")
        if h["nesterov"] and (h["momentum"] == 0 or h["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, "
                             f"got momentum={h['momentum']}, dampening={h['dampening']}")

    def _state_names(self, h):
        return ("momentum_buffer",) if h["momentum"] != 0 else ()


class Adagrad(Optimizer):
    """Adagrad: each entry's step shrinks with the squared gradients it has seen so far.

        g <- g + wd p
        G_t = G_(t-1) + g^2                      G_0 = initial_accumulator_value  (state "sum")
        lr_t = lr / (1 + (t - 1) lr_decay)
        p <- p - lr_t g / (sqrt(G_t) + eps)
    """
    hyperparameter_names = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params)
        h = self._checked(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        self.lr, self.lr_decay, self.weight_decay = h["lr"], h["lr_decay"], h["weight_decay"]
        self.initial_accumulator_value, self.eps = h["initial_accumulator_value"], h["eps"]
        self.sum = self._zeros(self.initial_accumulator_value)   # G

    def _update(self, name, p, g):
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        lr_t = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        G = self.sum[name]
        G += g * g                                     # G_t = G_(t-1) + g^2
        p -= lr_t * g / (np.sqrt(G) + self.eps)

    def _check_ranges(self, h):
        _require(self, h, "lr", h["lr"] > 0, "> 0")
        _require(self, h, "lr_decay", h["lr_decay"] >= 0, ">= 0")
        _require(self, h, "weight_decay", h["weight_decay"] >= 0, ">= 0")
        _require(self, h, "initial_accumulator_value", h["initial_accumulator_value"] >= 0, ">= 0")
        _require(self, h, "eps", h["eps"] > 0, "> 0")

    def _state_names(self, h):
        return ("sum",)


class RMSprop(Optimizer):
    """RMSprop: divide by a running root mean square of the gradient instead of Adagrad's sum.

        g <- g + wd p
        v_t = alpha v_(t-1) + (1 - alpha) g^2                       (state "square_avg")
        centered:  m_t = alpha m_(t-1) + (1 - alpha) g              (state "grad_avg")
                   d = sqrt(max(v_t - m_t^2, 0)) + eps   the gradient's standard deviation
        otherwise  d = sqrt(v_t) + eps
        momentum > 0:  b_t = momentum b_(t-1) + g / d,  p <- p - lr b_t   (state "momentum_buffer")
        otherwise      p <- p - lr g / d
    (v_t - m_t^2 is a variance, never negative in exact arithmetic; for a gradient that
    barely changes, rounding can take it below zero, where torch's sqrt gives NaN.)
    """
    hyperparameter_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    flags = ("centered",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params)
        h = self._checked(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                          centered=centered)
        self.lr, self.alpha, self.eps = h["lr"], h["alpha"], h["eps"]
        self.weight_decay, self.momentum, self.centered = h["weight_decay"], h["momentum"], h["centered"]
        self.square_avg = self._zeros()                # v
        if self.momentum > 0:
            self.momentum_buffer = self._zeros()       # b
        if self.centered:
            self.grad_avg = self._zeros()              # m

    def _update(self, name, p, g):
        alpha = self.alpha
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        v = self.square_avg[name]
        v *= alpha                                     # v_t = alpha v_(t-1) + (1 - alpha) g^2
        v += (1 - alpha) * g * g
        if self.centered:
            m = self.grad_avg[name]
            m += (1 - alpha) * (g - m)                 # m_t = alpha m_(t-1) + (1 - alpha) g
            d = np.sqrt(np.maximum(v - m * m, 0)) + self.eps   # a standard deviation, never sqrt(< 0)
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum > 0:
            b = self.momentum_buffer[name]
            b *= self.momentum                         # b_t = momentum b_(t-1) + g / d
            b += g / d
            p -= self.lr * b
        else:
            p -= self.lr * g / d

    def _check_ranges(self, h):
        _require(self, h, "lr", h["lr"] > 0, "> 0")
        _require(self, h, "alpha", 0 <= h["alpha"] < 1, "in [0, 1)")
        _require(self, h, "eps", h["eps"] > 0, "> 0")
        _require(self, h, "weight_decay", h["weight_decay"] >= 0, ">= 0")
        _require(self, h, "momentum", 0 <= h["momentum"] < 1, "in [0, 1)")

    def _state_names(self, h):
        return (("square_avg",) + (("momentum_buffer",) if h["momentum"] > 0 else ())
                + (("grad_avg",) if h["centered"] else ()))


class Adam(Optimizer):
    """Adam: momentum (m) divided by a running root mean square (v), both bias-corrected.

        g <- g + wd p                          weight decay as an L2 term (see AdamW for the other way)
        m_t = beta1 m_(t-1) + (1 - beta1) g    (state "exp_avg")
        v_t = beta2 v_(t-1) + (1 - beta2) g^2  (state "exp_avg_sq")
        amsgrad: v_t <- max(v_max, v_t), kept as v_max       (state "max_exp_avg_sq")
        m and v start at 0, so early averages are pulled towards 0; divide it out:
        m_hat = m_t / (1 - beta1^t),   v_hat = v_t / (1 - beta2^t)
        p <- p - lr m_hat / (sqrt(v_hat) + eps)
           = p - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)   (as computed)
    Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1 (with
    eps outside the bias correction, as torch); amsgrad: Reddi, Kale and Kumar, 2018.
    """
    hyperparameter_names = ("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad")
    flags = ("amsgrad",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(params)
        beta1, beta2 = _unpack_betas(betas, type(self).__name__)
        h = self._checked(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          amsgrad=amsgrad)
        self.lr, self.beta1, self.beta2, self.eps = h["lr"], h["beta1"], h["beta2"], h["eps"]
        self.weight_decay, self.amsgrad = h["weight_decay"], h["amsgrad"]
        self.exp_avg = self._zeros()                   # m
        self.exp_avg_sq = self._zeros()                # v
        if self.amsgrad:
            self.max_exp_avg_sq = self._zeros()        # v_max

    def _update(self, name, p, g):
        if self.weight_decay != 0:
            g = g + self.weight_decay * p              # the decay passes through m and v
        self._adam_step(name, p, g)

    def _adam_step(self, name, p, g):
        """The Adam update proper, shared with AdamW."""
        beta1, beta2, t = self.beta1, self.beta2, self.step_count
        m, v = self.exp_avg[name], self.exp_avg_sq[name]
        # m_t = beta1 m_(t-1) + (1 - beta1) g, written m + (1 - beta1)(g - m) as torch's lerp
        # computes it, so that the two agree to the last bit
        m += (1 - beta1) * (g - m)
        v *= beta2                                     # v_t = beta2 v_(t-1) + (1 - beta2) g^2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v_max = self.max_exp_avg_sq[name]
            np.maximum(v_max, v, out=v_max)            # the denominator never shrinks
            v = v_max
        # lr m_hat / (sqrt(v_hat) + eps), with the two corrections moved out of the arrays
        # (two scalar operations instead of two passes), in torch's order
        step_size = self.lr / (1 - beta1 ** t)
        denominator = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + self.eps
        p -= step_size * m / denominator

    def _check_ranges(self, h):
        _require(self, h, "lr", h["lr"] > 0, "> 0")
        _require(self, h, "beta1", 0 <= h["beta1"] < 1, "in [0, 1)", label="betas[0]")
        _require(self, h, "beta2", 0 <= h["beta2"] < 1, "in [0, 1)", label="betas[1]")
        _require(self, h, "eps", h["eps"] > 0, "> 0")
        _require(self, h, "weight_decay", h["weight_decay"] >= 0, ">= 0")

    def _state_names(self, h):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if h["amsgrad"] else ())


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, applied to p directly, not through m and v.

        p <- p (1 - lr wd)       then the Adam step with the plain gradient g
    With Adam's L2 term, a weight with large gradients is barely decayed (v divides the
    decay away too); here every weight decays at the same rate lr wd.
    Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def _update(self, name, p, g):
        if self.weight_decay != 0:
            p *= 1 - self.lr * self.weight_decay       # decoupled weight decay
        self._adam_step(name, p, g)


# ---- checks -----------------------------------------------------------------------------------

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


def _check_params(params, kind):
    """params must be a non-empty dict str -> writable float np.ndarray, each array once."""
    if not isinstance(params, dict):
        raise TypeError(f"{kind}: params must be a dict name -> np.ndarray, "
                        f"got {type(params).__name__}")
    if not params:
        raise ValueError(f"{kind}: params is empty; there is nothing to optimize")
    seen = {}
    for name, p in params.items():
        if not isinstance(name, str):
            raise TypeError(f"{kind}: parameter names must be str, got {name!r}")
        if not isinstance(p, np.ndarray):
            raise TypeError(f"{kind}: params[{name!r}] must be a np.ndarray, got {type(p).__name__}")
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"{kind}: params[{name!r}] must hold floats, got dtype {p.dtype}")
        if not p.flags.writeable:
            raise ValueError(f"{kind}: params[{name!r}] is read-only; it is updated in place")
        if id(p) in seen:
            raise ValueError(f"{kind}: params[{name!r}] and params[{seen[id(p)]!r}] are the same "
                             f"array; it would be updated twice per step")
        seen[id(p)] = name
    return dict(params)                        # our own dict of the caller's arrays


def _check_grads(optimizer, grads):
    """The gradients must match the parameters name for name, shape for shape, dtype for
    dtype, and be finite; the learning rate must still be a positive number."""
    where = f"{type(optimizer).__name__}.step"
    if not isinstance(grads, dict):
        raise TypeError(f"{where}: grads must be a dict name -> np.ndarray, "
                        f"got {type(grads).__name__}")
    missing = [name for name in optimizer.params if name not in grads]
    unexpected = [name for name in grads if name not in optimizer.params]
    if missing or unexpected:
        raise ValueError(f"{where}: grads must have the parameters' names; "
                         f"missing {missing}, unexpected {unexpected}")
    for name, p in optimizer.params.items():
        g = grads[name]
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{where}: grads[{name!r}] must be a np.ndarray, "
                            f"got {type(g).__name__}")
        if g.shape != p.shape:
            raise ValueError(f"{where}: grads[{name!r}] has shape {g.shape}, "
                             f"the parameter has shape {p.shape}")
        if g.dtype != p.dtype:
            raise TypeError(f"{where}: grads[{name!r}] has dtype {g.dtype}, "
                            f"the parameter has dtype {p.dtype}")
    bad = nonfinite_arrays(grads)
    if bad:
        raise FloatingPointError(f"{where}: the gradients {bad} hold NaN or inf; no parameter "
                                 f"was changed (clip_grad_norm reports where)")
    lr = optimizer.lr
    if not (isinstance(lr, Real) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"{type(optimizer).__name__}.lr must be a positive finite number, got {lr!r}")


def _convert_hyperparameters(optimizer, h):
    """Check the types: flags True/False, the rest finite real numbers; as Python values."""
    kind = type(optimizer).__name__
    converted = {}
    for key, value in h.items():
        if key in optimizer.flags:
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{kind}: {key} must be True or False, got {value!r}")
            converted[key] = bool(value)
        else:
            if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{kind}: {key} must be a real number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{kind}: {key} must be finite, got {value!r}")
            converted[key] = float(value)      # a Python float keeps float32 arrays float32
    return converted


def _unpack_betas(betas, kind):
    """betas must be a pair (beta1, beta2)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{kind}: betas must be a pair (beta1, beta2), got {betas!r}")
    return betas


def _require(optimizer, h, key, ok, expected, label=None):
    """Raise ValueError unless ok: '<Optimizer>: <label or key> must be <expected>, got <value>'."""
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: {label or key} must be {expected}, "
                         f"got {h[key]!r}")


# ---- state_dict / load_state_dict ----------------------------------------------------------------

def _state_dict(optimizer):
    d = {"optimizer": np.array(type(optimizer).__name__),
         "step": np.array(optimizer.step_count, dtype=np.int64)}
    for key, value in optimizer.hyperparameters().items():
        d[key] = np.array(value, dtype=bool if key in optimizer.flags else np.float64)
    for state in optimizer._state_names(optimizer.hyperparameters()):
        for name, a in getattr(optimizer, state).items():
            d[f"{state}/{name}"] = a.copy()
    return d


def _load_state_dict(optimizer, d):
    kind = type(optimizer).__name__
    if not hasattr(d, "keys") or not hasattr(d, "__getitem__"):
        raise TypeError(f"{kind}.load_state_dict: expected a dict str -> np.ndarray, "
                        f"got {type(d).__name__}")
    d = {key: d[key] for key in d.keys()}      # read each entry once (np.load's NpzFile is lazy)
    saved_kind = d.get("optimizer")
    if not (isinstance(saved_kind, np.ndarray) and saved_kind.shape == ()
            and saved_kind.dtype.kind == "U"):
        raise ValueError(f"{kind}.load_state_dict: no 0-d string 'optimizer' entry naming "
                         f"the optimizer class; this is not an optimizer state dict")
    if str(saved_kind) != kind:
        raise ValueError(f"{kind}.load_state_dict: the state dict is for {saved_kind}, not {kind}")

    # the step count and the hyperparameters, which decide the state arrays expected
    problems = []
    _check_entry(d, "step", (), "integer", problems)
    for key in optimizer.hyperparameter_names:
        _check_entry(d, key, (), "bool" if key in optimizer.flags else "float64", problems)
    _raise_if(problems, kind)
    step = int(d["step"])
    if step < 0:
        raise ValueError(f"{kind}.load_state_dict: step must be >= 0, got {step}")
    h = optimizer._checked(**{key: d[key].item() for key in optimizer.hyperparameter_names})

    # one array per (state, parameter), shaped and typed as the parameter
    expected = {f"{state}/{name}": p for state in optimizer._state_names(h)
                for name, p in optimizer.params.items()}
    for key, p in expected.items():
        _check_entry(d, key, p.shape, p.dtype, problems)
    header = {"optimizer", "step", *optimizer.hyperparameter_names}
    unexpected = sorted(set(d) - header - set(expected), key=str)
    problems += [f"unexpected key {key!r} (no such state or parameter)" for key in unexpected]
    _raise_if(problems, kind)

    # everything checked: restore (generic, by name, for every optimizer)
    for state in set(optimizer._state_names(optimizer.hyperparameters())) - set(optimizer._state_names(h)):
        delattr(optimizer, state)              # a flag changed: this state no longer exists
    optimizer.step_count = step
    for key, value in h.items():
        setattr(optimizer, key, value)
    for state in optimizer._state_names(h):
        setattr(optimizer, state, {name: d[f"{state}/{name}"].copy() for name in optimizer.params})


def _check_entry(d, key, shape, dtype, problems):
    """Append to problems what is wrong with d[key]: missing, not an array, shape, dtype.

    dtype is a NumPy dtype, "float64", "bool", or "integer" (any integer dtype).
    """
    if key not in d:
        problems.append(f"missing key {key!r}")
        return
    a = d[key]
    if not isinstance(a, np.ndarray):
        problems.append(f"{key!r} is a {type(a).__name__}, not a np.ndarray")
        return
    if a.shape != shape:
        problems.append(f"{key!r} has shape {a.shape}, expected {shape}")
    dtype_ok = (np.issubdtype(a.dtype, np.integer) if dtype == "integer"
                else a.dtype == np.dtype(dtype))
    if not dtype_ok:
        problems.append(f"{key!r} has dtype {a.dtype}, expected {dtype}")


def _raise_if(problems, kind):
    """Raise one ValueError listing every problem, if there are any."""
    if problems:
        raise ValueError(f"{kind}.load_state_dict: the state dict does not match this optimizer:\n"
                         + "\n".join(f"  - {problem}" for problem in problems))
