"""Argument checks for the optimizers of minirnn/optim.py, run where users call in.

    params(params, kind)                    the constructor's params
    hyperparameters(kind, h)                the constructor's hyperparameters, and a state dict's
    grads(optimizer, grads)                 step()'s gradients, and the learning rate at that step

Each error names the optimizer and the argument, says what it got and what was expected.
"""
import math
from numbers import Real

import numpy as np

from .gradients import nonfinite_arrays
from .validate import flag

# each hyperparameter's range, whichever optimizer takes it: "flag" is True/False, the rest are
# finite real numbers in the range written (the error messages quote it)
RANGES = {"lr": "> 0", "momentum": "in [0, 1)", "dampening": "in [0, 1]", "nesterov": "flag",
          "weight_decay": ">= 0", "lr_decay": ">= 0", "initial_accumulator_value": ">= 0",
          "eps": "> 0", "alpha": "in [0, 1)", "centered": "flag",
          "beta1": "in [0, 1)", "beta2": "in [0, 1)", "amsgrad": "flag"}
TESTS = {"> 0": lambda x: x > 0, ">= 0": lambda x: x >= 0,
         "in [0, 1)": lambda x: 0 <= x < 1, "in [0, 1]": lambda x: 0 <= x <= 1}
LABELS = {"beta1": "betas[0]", "beta2": "betas[1]"}      # the names the caller wrote


def params(params, kind):
    """params must be a non-empty dict str -> writable float np.ndarray, each array once.
    Returns our own dict of the caller's arrays."""
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
    return dict(params)


def hyperparameters(kind, h):
    """h (name -> value; a pair `betas` stands for beta1, beta2) checked against RANGES:
    flags True/False, the rest finite real numbers in range. Returns name -> Python float or
    bool, in the order of h (a Python float keeps float32 arrays float32)."""
    expanded = {}
    for key, value in h.items():
        if key == "betas":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise TypeError(f"{kind}: betas must be a pair (beta1, beta2), got {value!r}")
            expanded["beta1"], expanded["beta2"] = value
        else:
            expanded[key] = value
    converted = {}
    for key, value in expanded.items():
        if key not in RANGES:
            raise TypeError(f"{kind}: no range is known for the hyperparameter {key!r}; "
                            f"add it to RANGES in minirnn/toolkit/optim_checks.py")
        if RANGES[key] == "flag":
            converted[key] = flag(f"{kind}: {key}", value)
            continue
        if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{kind}: {key} must be a real number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{kind}: {key} must be finite, got {value!r}")
        converted[key] = float(value)
    for key, value in converted.items():
        expected = RANGES[key]
        if expected != "flag" and not TESTS[expected](value):
            raise ValueError(f"{kind}: {LABELS.get(key, key)} must be {expected}, got {value!r}")
    if converted.get("nesterov") and (converted["momentum"] == 0 or converted["dampening"] != 0):
        raise ValueError(f"{kind}: nesterov=True needs momentum > 0 and dampening = 0, "
                         f"got momentum={converted['momentum']}, dampening={converted['dampening']}")
    return converted


def grads(optimizer, grads):
    """The gradients must match the parameters name for name, shape for shape, dtype for
    dtype, and be finite; the learning rate must still be a positive number (opt.lr may be
    set between steps)."""
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
