"""Argument checks for minirnn/vocab.py, at its public doors and its file reader.

Each raises one error naming the argument (or the checkpoint's array), what it got and
what was expected.
"""
from collections import Counter

import numpy as np

from minirnn.toolkit.validate import one_of, positive_int


def text(value, level, levels):
    """tokenize's text (a str) and level (one of levels)."""
    if not isinstance(value, str):
        raise TypeError(f"tokenize: text must be a str, got {type(value).__name__}")
    return one_of("level", level, levels)


def tokens(values, level, levels):
    """A Vocabulary's real tokens: distinct non-empty str without NUL; and its level."""
    one_of("level", level, levels)
    for token in values:
        if not isinstance(token, str) or not token:
            raise ValueError(f"Vocabulary: tokens must be non-empty str, got {token!r}")
        if "\x00" in token:
            raise ValueError("Vocabulary: a token holds a NUL character (binary data?); "
                             "a checkpoint cannot store it")
    repeated = sorted(token for token, n in Counter(values).items() if n > 1)
    if repeated:
        raise ValueError(f"Vocabulary: tokens must be distinct, repeated: {repeated[:10]}")


def build_arguments(min_count, max_size, reserved):
    """Vocabulary.build's min_count (>= 1) and max_size (None, or more than the reserved ids)."""
    positive_int("min_count", min_count)
    if max_size is not None and (not isinstance(max_size, int) or max_size <= reserved):
        raise ValueError(f"Vocabulary.build: max_size must be None or an int > {reserved} "
                         f"(it counts the {reserved} reserved ids), got {max_size!r}")


def documents(values):
    if isinstance(values, str):
        raise TypeError("encode_documents: expected a list of str, got a single str")


def ids(values, V):
    """decode's ids: a 1-D integer array (or list) of ids in [0, V)."""
    values = np.asarray(values)
    if values.ndim != 1 or not (values.size == 0 or np.issubdtype(values.dtype, np.integer)):
        raise ValueError(f"decode: ids must be a 1-D integer array, got shape {values.shape} "
                         f"dtype {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= V):
        raise ValueError(f"decode: ids must lie in [0, {V}), "
                         f"got values from {values.min()} to {values.max()}")


def arrays(stored, reserved):
    """Vocabulary.from_arrays' input: 'tokens' (V,) unicode starting with the reserved
    labels, 'level' 0-d unicode (a dict or an np.load file)."""
    for key in ("tokens", "level"):
        if key not in stored:
            raise ValueError(f"Vocabulary.from_arrays: missing array {key!r}")
    tokens, level = stored["tokens"], stored["level"]
    if tokens.dtype.kind != "U" or tokens.ndim != 1:
        raise ValueError(f"Vocabulary.from_arrays: 'tokens' must be a 1-D unicode array, "
                         f"got shape {tokens.shape} dtype {tokens.dtype}")
    if level.dtype.kind != "U" or level.ndim != 0:
        raise ValueError(f"Vocabulary.from_arrays: 'level' must be a 0-d unicode array, "
                         f"got shape {level.shape} dtype {level.dtype}")
    if tuple(tokens[:len(reserved)].tolist()) != reserved:
        raise ValueError(f"Vocabulary.from_arrays: 'tokens' must start with {reserved}, "
                         f"got {tuple(tokens[:len(reserved)].tolist())}")
