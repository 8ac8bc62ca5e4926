"""How far back does a prediction look? Connectivity: the gradient of one prediction on each
earlier input, measured with the model's own backpropagation through time.

Madsen, "Visualizing memorization in RNNs", Distill 2019, drew it for character models:
for the prediction made after reading x_1 .. x_t, how much does it depend on the input
k steps back? Here, for a position t of the text and every lag k = 0 .. K,

    c[t, k] = || d log p(x_(t+1) | x_1 .. x_t) / d e_(t-k) ||_2        (nats per unit of e)

where x_(t+1) is the token that actually follows and e_s the input vector the recurrent
layer reads at step s (the lesson's X_s in S_s = sigma(X_s W + S_(s-1) H + b)): the
embedding row E[x_s], or the one-hot vector of x_s for a model with --input onehot.
k = 0 is the token just read. The vanishing-gradient lesson says that in a simple RNN
c[t, k] shrinks fast with k; in an LSTM or GRU it need not.

Why the input vector. The tokens are ids: no gradient. The first thing step s reads that
has one is e_s, and d log p / d e_s is the error signal that backpropagation through time
has carried back k steps, through the states and then through W, as the lesson draws it;
it is also exactly what this one prediction adds to the gradient of the embedding row
E[x_s] in training (Embedding.backward sums these), i.e. how much it teaches that earlier
token. The alternatives say less: the one-hot vector in front of an embedding has the
gradient (d log p / d e_s) E^T, one entry per vocabulary token, a mix of every row of E
that the step never read (the entry of the token read, e_s . d log p / d e_s, is one
directional derivative that can vanish where the gradient does not); a hidden state
h_(t-k) mixes everything read before it, so its gradient does not belong to one token.
The norm's size depends on the scale of the inputs (embeddings of different models,
one-hot vectors), so models are compared by the curve's shape: the reach below is
measured against each curve's own largest value.

How. For a batch of positions, a window of the K + 1 inputs that end at each position
(fewer near the start of the text) is run forward from the state the text before the
window left (taken from one forward pass over the whole text, ``trace_model``), the
gradient of log p is put on the window's last step only, and one backward pass through
the recurrent layer gives d log p / d e for every input of every window. The state
carried into the window is held constant, so the gradient is truncated at lag K: for
the window's own inputs it is exact (e_(t-k), k <= K, reaches the prediction only
through the window's steps); inputs further back are not measured.

    connectivity(model, ids, positions, max_lag)   -> (P, K+1) norms
    input_gradients(model, ids, positions, max_lag) -> (P, K+1, I) the gradients themselves
    median_curve(norms)                             -> (3, K+1) quartiles over the positions
    reach(median)                                   -> the lag where the median has fallen
                                                       below 1% of its largest value
    decay_per_step(median)                          -> the factor by which the median shrinks
                                                       per step back, over lags K/2 .. K
    summarise(norms)                                -> all three
"""
import copy
from typing import NamedTuple

import numpy as np

from minirnn.inspect.trace import trace_model
from minirnn.losses import softmax_cross_entropy
from minirnn.sequential import Sequential
from minirnn.toolkit import validate

MAX_LAG = 200            # K: lags measured by default
BATCH_SIZE = 32          # positions per backward pass (memory: about 4 MB per position for a
                         # 384-unit GRU at K = 200; larger batches were no faster per position)
REACH_FRACTION = 0.01    # the reach: the first lag where the median falls below 1% of its largest


def connectivity(model, ids, positions, max_lag=MAX_LAG, dtype=None, batch_size=BATCH_SIZE):
    """The gradient norm of each prediction on each earlier input (see the module's docstring).

    model      a Sequential: input module (Embedding or OneHot), a recurrent layer that reads
               forwards, then modules acting on each step (Linear) that give logits (T, B, V)
    ids        (n,) int: the text as the model reads it (for minirnn inspect, <eos> first)
    positions  (P,) int in [0, n - 2]: t, the prediction of ids[t + 1] after reading ids[t]
    max_lag    K >= 1: lags 0 .. K are measured
    dtype      None: the model's own dtype; np.float64: a float64 copy of the model
    Returns (P, K+1) float64: out[p, k] = ||d log p(ids[t+1] | ids[:t+1]) / d e_(t-k)||,
    t = positions[p], in nats per unit of the input vector; NaN for lags before the text
    (t - k < 0). Raises ValueError naming the argument for a bad max_lag, positions or ids,
    and for a bidirectional model (which reads the future too).
    """
    norms = [np.sqrt((g.astype(np.float64) ** 2).sum(axis=-1)) for g in
             _gradient_chunks(model, ids, positions, max_lag, dtype, batch_size)]   # each (b, K+1)
    return np.concatenate(norms)


def input_gradients(model, ids, positions, max_lag=MAX_LAG, dtype=None, batch_size=BATCH_SIZE):
    """The gradients whose norms ``connectivity`` returns: (P, K+1, I) float64, the vector
    d log p(ids[t+1] | ids[:t+1]) / d e_(t-k) for t = positions[p] at [p, k]; NaN for t - k < 0.
    I is the input size (the embedding size, or V for one-hot input). Same arguments."""
    return np.concatenate([g.astype(np.float64) for g in
                           _gradient_chunks(model, ids, positions, max_lag, dtype, batch_size)])


def median_curve(norms):
    """norms (P, K+1) -> (3, K+1) float64: the 25th, 50th and 75th percentile at each lag over
    the positions (NaN lags, before the text, left out; a lag that no position reaches is NaN,
    with NumPy's warning)."""
    return np.nanpercentile(norms, [25, 50, 75], axis=0)


def reach(median, fraction=REACH_FRACTION):
    """The model's reach: the first lag after the median's largest value where the median falls
    below ``fraction`` of that value. (K+1,) -> int, or None when it never does within K.

    For a trained language model the largest value is at k = 0 (the token just read), so this
    is the lag where the median falls below 1% of its value at k = 0: the inputs further back
    move the prediction's log probability at least 100 times less than the last one does.
    """
    median = np.asarray(median, np.float64)
    peak = int(np.nanargmax(median))
    below = np.flatnonzero(median[peak:] < fraction * median[peak])
    return peak + int(below[0]) if below.size else None


def decay_per_step(median):
    """How much the median keeps per step back over its tail, lags K // 2 .. K: 10 to the slope
    of the least-squares line through log10(median) there. (K+1,) -> float (e.g. 0.72: each step
    back keeps 72%, a gradient that vanishes; near 1: one that does not), or None when fewer than
    two of those lags have a median above 0 (below float's range)."""
    median = np.asarray(median, np.float64)
    lags = np.arange(len(median) // 2, len(median))
    lags = lags[median[lags] > 0]
    if len(lags) < 2:
        return None
    slope = np.polyfit(lags, np.log10(median[lags]), 1)[0]
    return float(10 ** slope)


class Summary(NamedTuple):
    """What the norms of one model say, over its predictions."""
    quartiles: np.ndarray     # (3, K+1) float64: 25th, 50th, 75th percentile at each lag
    reach: object             # int, or None: the median stays above 1% of its peak up to K
    decay: object             # float, or None: the median's factor per step over lags K//2 .. K


def summarise(norms):
    """norms (P, K+1) -> Summary: the quartiles, the reach and the tail's decay per step."""
    quartiles = median_curve(norms)
    return Summary(quartiles, reach(quartiles[1]), decay_per_step(quartiles[1]))


def spread_positions(n_predictions, count):
    """``count`` positions spread evenly over 0 .. n_predictions - 1 (all when count >= n),
    ascending, first and last included: (count,) int64."""
    if count >= n_predictions:
        return np.arange(n_predictions)
    return np.unique(np.linspace(0, n_predictions - 1, count).round().astype(np.int64))


def in_dtype(model, dtype):
    """A copy of ``model`` computing in ``dtype``: each module shallow-copied with its parameters
    cast (the way gradcheck.check_layer makes a float64 twin of a layer). The original is untouched."""
    twins = {}
    for name, module in model.modules.items():
        twin = copy.copy(module)
        twin.dtype = np.dtype(dtype)
        twin.params = {k: v.astype(dtype) for k, v in module.params.items()}
        twin.grads = {k: np.zeros_like(v) for k, v in twin.params.items()}
        twins[name] = twin
    twins = Sequential(**twins)
    twins.training = model.training
    return twins


# ---- the batched backward ----------------------------------------------------------------------

def _gradient_chunks(model, ids, positions, max_lag, dtype, batch_size):
    """Yield, for each batch of positions in the given order, (b, K+1, I) gradients in the
    model's (or ``dtype``'s) float type, lag k at [:, k], NaN before the text."""
    ids, positions, max_lag = _check(model, ids, positions, max_lag)
    if dtype is not None and np.dtype(dtype) != model.modules[model.recurrent].dtype:
        model = in_dtype(model, validate.float_dtype(dtype))
    was_training = model.training
    model.training = False                                       # no dropout while measuring
    try:
        cells = trace_model(model, ids, top_k=1).cells            # every step's state, (n, N) each
        for start in range(0, len(positions), batch_size):
            yield _window_gradients(model, ids, cells, positions[start:start + batch_size], max_lag)
    finally:
        model.training = was_training


def _window_gradients(model, ids, cells, t, K):
    """The gradients of log p(ids[t+1]) on the inputs of the windows ids[s .. t], s = max(0, t - K),
    for a batch of positions t (b,): one forward and one backward through the recurrent layer."""
    names = list(model.modules)
    r = names.index(model.recurrent)
    rnn = model.modules[model.recurrent]
    b = len(t)
    start = np.maximum(t - K, 0)                                  # (b,) each window's first step
    lengths = t - start + 1                                       # (b,) K + 1, fewer near the start
    W = int(lengths.max())                                        # steps in this batch's windows
    steps = start[None, :] + np.arange(W)[:, None]                # (W, b) the text's step of each window step
    window = ids[np.minimum(steps, len(ids) - 1)]                 # (W, b) past a window's end: padding
    state0 = tuple(np.stack([np.where((start > 0)[:, None], cell[name][start - 1], 0) for cell in cells])
                   for name in rnn.state_names)                   # each (L, b, N): the state after ids[s-1]
    lengths_arg = None if (lengths == W).all() else lengths       # padding only near the text's start

    x = window
    for name in names[:r]:                                        # ids -> input vectors e (W, b, I)
        x = model.modules[name].forward(x)
    y, _ = rnn.forward(x, state0 if len(state0) > 1 else state0[0], lengths=lengths_arg)   # (W, b, N)
    batch = np.arange(b)
    out = y[lengths - 1, batch][None]                             # (1, b, N) each window's last step
    for name in names[r + 1:]:
        out = model.modules[name].forward(out)                    # (1, b, V) logits
    # softmax_cross_entropy gives d(mean over the b of -log p)/d logits; times -b: d log p / d logits,
    # each row the gradient of its own prediction (onehot(target) - softmax)
    _, dlogits = softmax_cross_entropy(out, ids[t + 1][None])
    dout = dlogits * out.dtype.type(-b)
    for name in reversed(names[r + 1:]):
        dout = model.modules[name].backward(dout)                 # (1, b, N)
    dy = np.zeros_like(y)                                         # (W, b, N): the gradient enters at
    dy[lengths - 1, batch] = dout[0]                              # each window's last step only
    de, _ = rnn.backward(dy)                                      # (W, b, I) d log p / d e at each step
    # lag k of window p is its step lengths[p] - 1 - k; lags before the text are NaN
    lag_steps = lengths[None, :] - 1 - np.arange(K + 1)[:, None]  # (K+1, b)
    grads = de[np.maximum(lag_steps, 0), batch]                   # (K+1, b, I), a copy
    grads[lag_steps < 0] = np.nan
    return grads.transpose(1, 0, 2)                               # (b, K+1, I)


def _check(model, ids, positions, max_lag):
    """The arguments as arrays, or a ValueError naming the one that is wrong."""
    if not isinstance(model, Sequential) or model.recurrent is None:
        raise ValueError(f"connectivity: model must be a Sequential with a recurrent module, got "
                         f"{type(model).__name__}")
    rnn = model.modules[model.recurrent]
    if rnn.bidirectional:
        raise ValueError("connectivity: the model is bidirectional; a prediction of the next token "
                         "that has read the text after it has no 'earlier inputs' to measure")
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.dtype.kind not in "iu" or ids.size < 2:
        raise ValueError(f"connectivity: ids must be a 1-D integer array of at least 2 tokens, got "
                         f"{type(ids).__name__} {getattr(ids, 'shape', '')} {getattr(ids, 'dtype', '')}")
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 1:
        raise ValueError(f"connectivity: max_lag must be an integer >= 1, got {max_lag!r}")
    if max_lag > len(ids) - 2:
        raise ValueError(f"connectivity: max_lag {max_lag:,} reaches before the text: its "
                         f"{len(ids):,} ids give lags up to {len(ids) - 2:,}")
    positions = np.asarray(positions)
    if positions.ndim != 1 or positions.size == 0 or positions.dtype.kind not in "iu":
        raise ValueError(f"connectivity: positions must be a non-empty 1-D array of integers, got "
                         f"shape {positions.shape} dtype {positions.dtype}")
    bad = positions[(positions < 0) | (positions > len(ids) - 2)]
    if bad.size:
        raise ValueError(f"connectivity: positions must lie in [0, {len(ids) - 2:,}] (each needs the "
                         f"token after it), got {int(bad[0]):,}")
    return ids.astype(np.int64), positions.astype(np.int64), int(max_lag)
