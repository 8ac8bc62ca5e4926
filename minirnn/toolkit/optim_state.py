"""An optimizer's state_dict and load_state_dict: everything needed to resume, bit for bit.

state_dict() is flat, str -> np.ndarray, so np.savez(path, **opt.state_dict()) stores it
and np.load(path, allow_pickle=False) reads it back:

    "optimizer"            0-d str array: the class name
    "step"                 0-d int64: the steps taken so far
    "lr", "momentum", ...  0-d float64 (numbers) or bool (flags): the hyperparameters
    "exp_avg/rnn.W_l0"     one array per running array and parameter: "<saved name>/<parameter>",
                           the saved name torch's, as the rule's running() gives it (Adam's m
                           is "exp_avg")

load_state_dict(optimizer, d) restores all of it, hyperparameters included (as torch does),
after checking every key, shape and dtype; on any difference one ValueError lists them all
and the optimizer is left unchanged.
"""
import copy

import numpy as np

from . import optim_checks


def state_dict(optimizer):
    """The flat dict str -> np.ndarray described above (copies)."""
    d = {"optimizer": np.array(type(optimizer).__name__),
         "step": np.array(optimizer.t, dtype=np.int64)}
    for key, value in optimizer.hyperparameters().items():
        d[key] = np.array(value, dtype=bool if optim_checks.RANGES[key] == "flag" else np.float64)
    for letter, saved in optimizer.running().items():
        for name, a in getattr(optimizer, letter).items():
            d[f"{saved}/{name}"] = a.copy()
    return d


def load_state_dict(optimizer, d):
    """Check d against the optimizer, then restore step count, hyperparameters and state (copied)."""
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

    # the step count and the hyperparameters, which decide the running arrays expected
    problems = []
    names = list(optimizer.hyperparameters())
    _check_entry(d, "step", (), "integer", problems)
    for key in names:
        _check_entry(d, key, (), "bool" if optim_checks.RANGES[key] == "flag" else "float64", problems)
    _raise_if(problems, kind)
    step = int(d["step"])
    if step < 0:
        raise ValueError(f"{kind}.load_state_dict: step must be >= 0, got {step}")
    h = optim_checks.hyperparameters(kind, {key: d[key].item() for key in names})

    # the running arrays under those hyperparameters (a flag may switch one on or off), asked of
    # a shallow copy that holds them: one array per (running array, parameter), like the parameter
    saved_with = copy.copy(optimizer)
    saved_with.__dict__.update(h)
    running = saved_with.running()
    expected = {f"{saved}/{name}": p for saved in running.values() for name, p in optimizer.params.items()}
    for key, p in expected.items():
        _check_entry(d, key, p.shape, p.dtype, problems)
    header = {"optimizer", "step", *names}
    unexpected = sorted(set(d) - header - set(expected), key=str)
    problems += [f"unexpected key {key!r} (no such state or parameter)" for key in unexpected]
    _raise_if(problems, kind)

    # everything checked: restore (generic, by name, for every optimizer)
    for letter in set(optimizer.running()) - set(running):
        delattr(optimizer, letter)             # a flag changed: this running array no longer exists
    optimizer.t = step
    for key, value in h.items():
        setattr(optimizer, key, value)
    for letter, saved in running.items():
        setattr(optimizer, letter, {name: d[f"{saved}/{name}"].copy() for name in optimizer.params})


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
