"""Checkpoints: parameters, optimizer state, vocabulary and config in one .npz file.

Everything is stored as plain arrays, so the file loads with
``np.load(path, allow_pickle=False)``: no pickle, no code runs on loading.

    params/<name>     the model's parameters (dotted names, e.g. params/rnn.W_l0)
    optim/<key>       the optimizer's state_dict()
    vocab/<key>       the vocabulary's to_arrays()
    config            a JSON string: how to rebuild the model, training progress, RNG states

Saving writes a temporary file beside the target and renames it over the target
(``os.replace`` is atomic), so a crash mid-save leaves the old checkpoint intact,
never a half-written one. Loading checks every array's name, shape and dtype
against the model and says exactly what differs.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

GROUPS = ("params", "optim", "vocab")


def save_checkpoint(path, params, optim_state=None, vocab_arrays=None, config=None):
    """Write the checkpoint atomically. params: dict name -> ndarray (e.g. model.params)."""
    path = os.fspath(path)
    arrays = {f"params/{k}": v for k, v in params.items()}
    arrays.update({f"optim/{k}": v for k, v in (optim_state or {}).items()})
    arrays.update({f"vocab/{k}": v for k, v in (vocab_arrays or {}).items()})
    arrays["config"] = np.array(json.dumps(config or {}))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())                       # on disk before it takes the real name
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Checkpoint:
    """What a checkpoint file holds, read and validated, as plain arrays and a config dict."""

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            with np.load(self.path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise FileNotFoundError(f"checkpoint {self.path!r} does not exist") from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
            raise ValueError(f"checkpoint {self.path!r} is truncated or corrupted and cannot be read "
                             f"({type(e).__name__}: {e})") from None
        if "config" not in arrays:
            raise ValueError(f"checkpoint {self.path!r} is not a minirnn checkpoint: it has no 'config' entry")
        try:
            self.config = json.loads(str(arrays.pop("config")))
        except json.JSONDecodeError as e:
            raise ValueError(f"checkpoint {self.path!r} has a corrupted config ({e})") from None
        self.groups = {g: {} for g in GROUPS}
        for key, value in arrays.items():
            group, _, name = key.partition("/")
            if group not in self.groups:
                raise ValueError(f"checkpoint {self.path!r} holds an unknown entry {key!r}")
            self.groups[group][name] = value

    @property
    def params(self):
        return self.groups["params"]

    @property
    def optim_state(self):
        return self.groups["optim"]

    @property
    def vocab_arrays(self):
        return self.groups["vocab"]

    def load_params_into(self, params):
        """Copy the stored parameters into `params` (a model's dict) in place, after checking
        that names, shapes and dtypes all match; the error lists every difference."""
        stored = self.params
        problems = [f"missing {name!r}" for name in params if name not in stored]
        problems += [f"unexpected {name!r}" for name in stored if name not in params]
        for name in set(params) & set(stored):
            want, got = params[name], stored[name]
            if want.shape != got.shape or want.dtype != got.dtype:
                problems.append(f"{name!r}: model has {want.shape} {want.dtype}, "
                                f"checkpoint has {got.shape} {got.dtype}")
        if problems:
            raise ValueError(f"checkpoint {self.path!r} does not fit this model (another architecture?): "
                             + "; ".join(sorted(problems)))
        for name, p in params.items():
            p[...] = stored[name]                     # in place: the optimizer holds these arrays
