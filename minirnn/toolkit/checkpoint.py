"""Checkpoints: parameters, optimizer state, vocabulary and config in one .npz file.

Everything is stored as plain arrays, so the file loads with
``np.load(path, allow_pickle=False)``: no pickle, no code runs on loading.

    params/<name>     the model's parameters (dotted names, e.g. params/rnn.W_l0)
    optim/<key>       the optimizer's state_dict()
    vocab/<key>       the vocabulary's to_arrays()
    carried/<name>    a recurrent state carried from one training window to the next (h, c)
    config            a JSON string: how to rebuild the model, training progress, RNG states
    sha256            a checksum of all the above, checked on loading

Saving goes through ``minirnn.toolkit.atomic.atomic_write`` (a temporary file renamed over
the target), so a crash mid-save leaves the old checkpoint intact, never a
half-written one. Loading checks the checksum, that every stored number is finite
(a NaN weight would otherwise surface much later as a puzzling error far from its
cause), which command wrote the file (``kind``), and every array's name, shape and
dtype against the model, and says exactly what differs.

Each job writes its own kind of checkpoint, named in config["kind"]:
"""
import hashlib
import json
import os
import zipfile

import numpy as np

from .atomic import atomic_write
from .validate import counted

GROUPS = ("params", "optim", "vocab", "carried")

# config["kind"] -> the command that writes such checkpoints
KINDS = {
    "minirnn language model": "minirnn train",
    "minirnn classifier": "minirnn classify train",
}


def save_checkpoint(path, params, optim_state=None, vocab_arrays=None, config=None, carried=None):
    """Write the checkpoint atomically. params: dict name -> ndarray (e.g. model.params);
    the other groups are optional dicts name -> ndarray, config a JSON-able dict."""
    path = os.fspath(path)
    arrays = {f"params/{k}": v for k, v in params.items()}
    arrays.update({f"optim/{k}": v for k, v in (optim_state or {}).items()})
    arrays.update({f"vocab/{k}": v for k, v in (vocab_arrays or {}).items()})
    arrays.update({f"carried/{k}": v for k, v in (carried or {}).items()})
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
    """What a checkpoint file holds, read and validated, as plain arrays and a config dict.

    path   the .npz file
    kind   None, or the kind the caller needs (a key of KINDS): a checkpoint of another
           kind is refused with a message naming the command that wrote it

    Raises FileNotFoundError for a missing file, and ValueError for a file that is not
    a minirnn checkpoint, is truncated or corrupted, holds a NaN or infinite number
    (naming the array and how many), or is of another kind.
    """

    def __init__(self, path, kind=None):
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
        self._check_finite(arrays)
        if kind is not None:
            self.require_kind(kind)

    def _check_finite(self, arrays):
        """Every stored float must be a number: name each array that holds NaN or inf."""
        bad = []
        for key, value in arrays.items():
            if value.dtype.kind == "f":
                n = int(value.size - np.count_nonzero(np.isfinite(value)))
                if n:
                    bad.append(f"{key!r} ({counted(n, 'non-finite value')} of {value.size:,})")
        if bad:
            raise ValueError(f"checkpoint {self.path!r} holds NaN or inf in {', '.join(bad)}: it was "
                             f"saved from a diverged run or damaged after it was written, and cannot be used")

    @property
    def kind(self):
        """config["kind"], or None for a checkpoint saved without one."""
        return self.config.get("kind") if isinstance(self.config, dict) else None

    @classmethod
    def resume(cls, path, kind, defaults, given, fixed, budget):
        """The checkpoint at ``path`` (given as --resume, written by the command of ``kind``)
        and the settings of the run resumed from it: its saved settings, with what the
        command line gives anew. Returns (checkpoint, settings).

        defaults  every setting's default, for one added since the checkpoint was written
        given     the settings given on the command line, name -> value
        fixed     the names that must not change (the data, the model, the optimiser: another
                  value would make it another run); a ValueError lists every one that differs
        budget    the names of the time or step budget: giving any of them replaces them all
        """
        try:
            checkpoint = cls(path, kind=kind)
        except FileNotFoundError as error:
            raise ValueError(f"--resume: {error}") from None
        saved = {**defaults, **checkpoint.config["settings"]}
        changed = [f"--{key.replace('_', '-')} {given[key]!r} (saved: {saved[key]!r})"
                   for key in fixed if key in given and given[key] != saved[key]]
        if changed:
            raise ValueError(f"a resumed run keeps its data, model and optimiser settings; these differ "
                             f"from those {KINDS[kind]} saved in {checkpoint.path!r}: " + ", ".join(changed))
        settings = {**saved, **given}
        if any(key in given for key in budget):
            settings.update({key: given.get(key) for key in budget})
        return checkpoint, settings

    def require_kind(self, kind):
        """Raise ValueError unless this checkpoint is of ``kind``, naming who wrote it."""
        if self.kind == kind:
            return
        wanted = f"a {kind} (written by `{KINDS[kind]}`)"
        if self.kind in KINDS:
            raise ValueError(f"checkpoint {self.path!r} is a {self.kind}, written by "
                             f"`{KINDS[self.kind]}`; this needs {wanted}")
        raise ValueError(f"checkpoint {self.path!r} was not written by a minirnn command; this needs {wanted}")

    @property
    def params(self):
        return self.groups["params"]

    @property
    def optim_state(self):
        return self.groups["optim"]

    @property
    def vocab_arrays(self):
        return self.groups["vocab"]

    @property
    def carried(self):
        return self.groups["carried"]

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


def describe_change(then, now):
    """What differs between two data fingerprints (the dicts of sizes and a crc32 that a job
    stores, e.g. {"train_tokens": 9225, "valid_tokens": 487, "crc32": ...}), in words for
    --resume's error: "train tokens 9,225 then, 9,300 now", or "the same sizes, other contents"."""
    changed = [f"{key.replace('_', ' ')} {then[key]:,} then, {now.get(key, 0):,} now"
               for key in then if key != "crc32" and then[key] != now.get(key)]
    return "; ".join(changed) or "the same sizes, other contents"
