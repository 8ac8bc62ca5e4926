"""Language-model windows: from a stream of ids to training and validation batches.

The lesson's "HELL" -> "ELLO": ``nchars`` consecutive tokens are the input x, the same
tokens moved one step later are the target y, both time-major (T, B) with T = nchars
(the lesson's name; at word level the tokens, and so T, are words).

    random_windows       training: B windows from anywhere in the text, fresh each step
    lane_windows         training with the state carried: B lanes read side by side,
                         window after window
    sequential_windows   validation: every target once, in B lanes read side by side
"""
import numpy as np

from minirnn.toolkit.validate import positive_int


def random_windows(ids, nchars, batch_size, rng):
    """A minibatch of ``batch_size`` windows from anywhere in ``ids``.

    ids (n,) integer, n > nchars  ->  x (T, B) int64, y (T, B) int64, T = nchars
    Column b is ids[s_b : s_b + T] in x and ids[s_b + 1 : s_b + T + 1] in y, the starts
    s_b drawn uniformly from every position where a whole window fits.
    """
    ids = _check_window_args("random_windows", ids, nchars, batch_size, rng)
    starts = rng.integers(0, len(ids) - nchars, size=batch_size)     # (B,) last start n - T - 1
    rows = starts + np.arange(nchars)[:, None]                        # (T, B) positions of x
    return ids[rows], ids[rows + 1]                                   # y is x one step later


def lane_windows(ids, nchars, batch_size, index):
    """The index-th training window of every lane, for truncated BPTT with the state carried.

    ids (n,) is cut into B = batch_size lanes of lane_length = (n - 1) // B consecutive
    tokens, each holding lane_length // nchars whole windows. Window ``index`` (any int
    >= 0; counted modulo the windows per lane, so training wraps around to the start of
    the lanes) is the next T = nchars tokens of every lane: x, y (T, B) int64, y one token
    later. Returns (x, y, first), first True for a lane's first window, where a carried
    state must start again from zeros because the previous window was the end of the lane.

        n = 17, B = 2, T = 4:   lane 0 = ids[0:8], lane 1 = ids[8:16], 2 windows per lane
        index 0 -> x columns ids[0:4], ids[8:12]; index 1 -> ids[4:8], ids[12:16]; index 2 = index 0
    """
    ids = _check_window_args("lane_windows", ids, nchars, batch_size)
    lane_length = (len(ids) - 1) // batch_size
    windows = lane_length // nchars                                   # whole windows per lane
    if windows < 1:
        raise ValueError(f"lane_windows: {batch_size} lanes of at least nchars={nchars} tokens need "
                         f"{batch_size * nchars + 1} ids, got {len(ids)}")
    k = index % windows
    rows = np.arange(batch_size) * lane_length + k * nchars + np.arange(nchars)[:, None]   # (T, B)
    return ids[rows], ids[rows + 1], k == 0


def sequential_windows(ids, nchars, batch_size):
    """Every target in ``ids`` once, in order, for validation: an iterator of (x, y).

    The n - 1 targets are dealt into B = min(batch_size, n - 1) lanes of lane_length =
    (n - 1) // B consecutive tokens (the last (n - 1) - B lane_length targets, fewer than
    B, are left out);
    each batch is the next nchars steps of every lane, so a model may carry its state
    from one batch to the next. x, y (T, B) int64, T = nchars except a shorter last batch.
    """
    ids = _check_window_args("sequential_windows", ids, nchars, batch_size)
    lanes = min(batch_size, len(ids) - 1)
    lane_length = (len(ids) - 1) // lanes
    return _lane_batches(ids, nchars, lanes, lane_length)


def _lane_batches(ids, nchars, lanes, lane_length):
    """The generator behind sequential_windows (which checks its arguments at once)."""
    lane_starts = np.arange(lanes) * lane_length                      # (B,)
    for step in range(0, lane_length, nchars):
        steps = min(nchars, lane_length - step)
        rows = lane_starts + step + np.arange(steps)[:, None]         # (T, B)
        yield ids[rows], ids[rows + 1]


def unigram_entropy(ids):
    """The entropy in nats of the ids' own frequencies: the loss of a model that knows
    how often each token occurs but ignores context. A trained model must beat it."""
    ids = _check_ids(ids, "unigram_entropy")
    if len(ids) == 0:
        raise ValueError("unigram_entropy: ids is empty")
    counts = np.bincount(ids)
    p = counts[counts > 0] / len(ids)
    return float(-(p * np.log(p)).sum())


def _check_window_args(caller, ids, nchars, batch_size, rng=None):
    """The windows' arguments, checked once where callers come in; ids returned as int64.
    random_windows (the one given an rng) needs a whole window and its target; the others
    at least one input and its target."""
    ids = _check_ids(ids, caller)
    positive_int("nchars", nchars)
    positive_int("batch_size", batch_size)
    if caller == "random_windows":
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"random_windows: rng must be a numpy Generator "
                            f"(np.random.default_rng(seed)), got {type(rng).__name__}")
        if len(ids) < nchars + 1:
            raise ValueError(f"random_windows: need more than nchars={nchars} ids for one window "
                             f"and its target, got {len(ids)}")
    elif len(ids) < 2:
        raise ValueError(f"{caller}: need at least 2 ids (an input and its target), got {len(ids)}")
    return ids


def _check_ids(ids, caller):
    """ids must be a 1-D integer array; returned as int64 (the dtype batches are made in)."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"{caller}: ids must be a 1-D integer array, got shape {ids.shape} "
                         f"dtype {ids.dtype}")
    return ids.astype(np.int64, copy=False)
