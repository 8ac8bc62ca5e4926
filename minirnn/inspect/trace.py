"""Run a language model over a text and keep everything its cells computed.

    ids (T,) -> Embedding -> recurrent layers -> Linear -> softmax
                              |                            |
                              every step's h, c, gates     next-token probabilities

The recurrent layer already keeps what each cell computed, for its backward pass;
``Recurrent.trace()`` hands those arrays out (h, the LSTM's c, and the gates after their
nonlinearity), so nothing here recomputes the cell math. This file only runs the model
chunk by chunk, carrying the state, and gathers what each chunk's forward left behind.

Long texts are read ``chunk_size`` tokens at a time with the state carried from one
chunk to the next (as min-char-rnn's ``hprev``): for a model that reads forwards (every
model `minirnn train` writes), the numbers are the same as one forward call over the
whole text, and the layer's caches never hold more than one chunk. (A backward direction
would restart at each chunk's end, so this is no way to trace a bidirectional layer.) What is kept grows with the text: the traced arrays, and the ``top_k`` likeliest
next tokens per step.
"""
from typing import NamedTuple

import numpy as np

from minirnn.losses import log_softmax

CHUNK_SIZE = 1000        # tokens per forward call


class Trace(NamedTuple):
    """What a model computed at each of the T steps of one text.

    ids        (T,) int64, the tokens read
    cells      one dict per (layer, direction) of the recurrent layer, in the order of
               its state's first axis (layer 0, then layer 1, ...; forward before
               backward). Each maps a quantity to a (T, N) array in the model's dtype:
                   "h"                 the hidden state after reading ids[t]
                   "c"                 LSTM: the cell state
                   "i", "f", "g", "o"  LSTM: the gates after their nonlinearity
                   "r", "z", "n"       GRU: the gates after their nonlinearity
    labels     one name per entry of ``cells``: "layer 0", or "layer 1 backward"
    top_ids    (T, k) int64, the k likeliest tokens to follow ids[t], likeliest first
    top_probs  (T, k) float64, their probabilities (with k = V, each row sums to 1)
    """
    ids: np.ndarray
    cells: list
    labels: list
    top_ids: np.ndarray
    top_probs: np.ndarray

    def from_step(self, start):
        """The same trace from step ``start`` on (1: without the <eos> the model read first)."""
        return Trace(self.ids[start:], [{q: v[start:] for q, v in cell.items()} for cell in self.cells],
                     self.labels, self.top_ids[start:], self.top_probs[start:])


def trace_model(model, ids, top_k=None, chunk_size=CHUNK_SIZE):
    """Run ``model`` (a Sequential: ids (T, 1) -> logits (T, 1, V)) over ``ids`` (T,) from a
    zero state, with dropout off, and return a Trace of every step.

    top_k  keep the k likeliest next tokens per step (None: all V, ranked)
    Raises ValueError for ids that are not a non-empty 1-D integer array (the model's
    first module checks that they lie in [0, V)), and for a model without a recurrent module.
    """
    rnn = _check(model, ids)
    cells, top_ids, top_probs = [], [], []
    state, was_training = None, model.training
    model.training = False                                   # no dropout while looking
    try:
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start:start + chunk_size, None]                   # (t, 1)
            logits, state = model.forward(chunk, state)                   # (t, 1, V)
            probs = np.exp(log_softmax(logits[:, 0].astype(np.float64)))  # (t, V)
            ranked = _top(probs, top_k)                                   # (t, k)
            top_ids.append(ranked)
            top_probs.append(np.take_along_axis(probs, ranked, axis=1))
            # the layer's own record of this chunk, batch axis dropped: name -> (t, N)
            cells.append([{name: v[:, 0] for name, v in cell.items()} for cell in rnn.trace()])
    finally:
        model.training = was_training
    joined = [{name: np.concatenate([chunk[j][name] for chunk in cells]) for name in cells[0][j]}
              for j in range(len(cells[0]))]
    labels = [f"layer {layer}" + (" backward" if d == 1 else "")
              for layer in range(rnn.num_layers) for d in range(rnn.num_directions)]
    return Trace(ids, joined, labels, np.concatenate(top_ids), np.concatenate(top_probs))


def _top(probs, k):
    """(t, V) probabilities -> (t, k) ids of the k largest per row, largest first; ties go to
    the lower id (a stable sort, the same on every NumPy: argpartition's choice among tied
    entries is not); k None or >= V: all V."""
    ranked = np.argsort(-probs, axis=1, kind="stable")                   # (t, V) likeliest first
    return ranked[:, :k].astype(np.int64)


def _check(model, ids):
    """The model's recurrent layer, after checking ``ids``."""
    if getattr(model, "recurrent", None) is None:
        raise ValueError("trace_model: the model has no recurrent module to trace")
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu":
        raise ValueError(f"trace_model: ids must be a non-empty 1-D integer array, got "
                         f"{type(ids).__name__} {getattr(ids, 'shape', '')} {getattr(ids, 'dtype', '')}")
    return model.modules[model.recurrent]
