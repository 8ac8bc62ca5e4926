"""Checkpoints: parameters, optimizer state, vocabulary and config in one .npz file.

Everything is stored as plain arrays, so the file loads with
``np.load(path, allow_pickle=False)``: no pickle, no code runs on loading.

    params/<name>     the model's parameters (dotted names, e.g. params/rnn.W_l0)
    optim/<key>       the optimizer's state_dict()
    vocab/<key>       the vocabulary's to_arrays()
    config            a JSON string: how to rebuild the model, training progress, RNG states
    sha256            a checksum of all the above, checked on loading

Saving goes through ``minirnn.atomic.atomic_write`` (a temporary file renamed over
the target), so a crash mid-save leaves the old checkpoint intact, never a
half-written one. Loading checks every array's name, shape and dtype
against the model and says exactly what differs.
"""
import hashlib
import json
import os
import zipfile

import numpy as np

from .atomic import atomic_write

GROUPS = ("params", "optim", "vocab")


def save_checkpoint(path, params, optim_state=None, vocab_arrays=None, config=None):
    """Write the checkpoint atomically. params: dict name -> ndarray (e.g. model.params)."""
    path = os.fspath(path)
    arrays = {f"params/{k}": v for k, v in params.items()}
    arrays.update({f"optim/{k}": v for k, v in (optim_state or {}).items()})
    arrays.update({f"vocab/{k}": v for k, v in (vocab_arrays or {}).items()})
    arrays["config"] = np.array(json.dumps(config or {}))
    arrays["sha256"] = np.array(_digest(arrays))
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _digest(arrays):
    """SHA-256 of every array's name, dtype, shape and bytes: np.savez stores arrays
    uncompressed, and a zip archive's own checksums are not checked on loading."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class Checkpoint:
    """What a checkpoint file holds, read and validated, as plain arrays and a config dict."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise ValueError(f"checkpoint {self.path!r} is a directory, not a checkpoint file")
        if os.path.isfile(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, "rb") as f:
                if f.read(4) != b"PK\x03\x04":               # every .npz is a zip archive
                    raise ValueError(f"checkpoint {self.path!r} is not an .npz checkpoint (not a zip archive)")
        try:
            with np.load(self.path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise FileNotFoundError(f"checkpoint {self.path!r} does not exist") from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
            raise ValueError(f"checkpoint {self.path!r} is truncated or corrupted and cannot be read "
                             f"({type(e).__name__}: {e})") from None
        if "config" not in arrays or "sha256" not in arrays:
            raise ValueError(f"checkpoint {self.path!r} is not a minirnn checkpoint: it has no 'config' and 'sha256' entries")
        if str(arrays.pop("sha256")) != _digest(arrays):
            raise ValueError(f"checkpoint {self.path!r} is truncated or corrupted: its contents do not match "
                             f"the checksum written with them")
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
