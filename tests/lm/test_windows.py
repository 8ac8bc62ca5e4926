"""Tests of minirnn/lm/windows.py: language-model windows.

- random windows are slices of the corpus with the target one step later, drawn from
  every start; sequential windows cover every target once, lane by lane.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.lm.windows import lane_windows, random_windows, sequential_windows, unigram_entropy
from minirnn.vocab import Vocabulary

few = settings(max_examples=25, deadline=None)


# ---- windows ----

def test_window_target_is_the_input_one_step_later():
    vocab = Vocabulary.build("HELO", "char")
    x, y = random_windows(vocab.encode("HELLO"), 4, 3, np.random.default_rng(0))
    assert x.shape == y.shape == (4, 3)
    for b in range(3):
        assert (vocab.decode(x[:, b]), vocab.decode(y[:, b])) == ("HELL", "ELLO")


@few
@given(st.integers(2, 60), st.integers(1, 12), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_random_windows_are_slices_of_the_corpus(n, nchars, batch_size, seed):
    nchars = min(nchars, n - 1)
    ids = 1000 + np.arange(n)                            # every position holds a distinct id
    x, y = random_windows(ids, nchars, batch_size, np.random.default_rng(seed))
    assert x.shape == y.shape == (nchars, batch_size)
    assert x.dtype == y.dtype == np.int64
    starts = x[0] - 1000
    assert ((starts >= 0) & (starts <= n - nchars - 1)).all()
    assert (x == ids[starts + np.arange(nchars)[:, None]]).all()   # consecutive tokens
    assert (y == x + 1).all()                             # the next token in the corpus
    again = random_windows(ids, nchars, batch_size, np.random.default_rng(seed))
    assert all((a == b).all() for a, b in zip((x, y), again))


def test_random_windows_start_anywhere():
    n, nchars = 30, 5
    x, _ = random_windows(np.arange(n), nchars, 5000, np.random.default_rng(1))
    assert set(x[0].tolist()) == set(range(n - nchars))    # first and last start included


@few
@given(st.integers(2, 200), st.integers(1, 15), st.integers(1, 8))
def test_sequential_windows_cover_every_target_once(n, nchars, batch_size):
    ids = 1000 + np.arange(n)
    batches = list(sequential_windows(ids, nchars, batch_size))
    lanes = min(batch_size, n - 1)
    lane_length = (n - 1) // lanes
    assert all(x.shape == y.shape and x.shape[1] == lanes and 1 <= x.shape[0] <= nchars
               for x, y in batches)
    assert all(x.dtype == y.dtype == np.int64 for x, y in batches)
    assert all((y == x + 1).all() for x, y in batches)
    targets = np.concatenate([y for _, y in batches])    # (L, B): lane b reads down column b
    assert targets.shape == (lane_length, lanes)
    assert (targets.T.reshape(-1) == ids[1:1 + lanes * lane_length]).all()
    assert (n - 1) - lanes * lane_length < lanes          # fewer than B targets left out


def test_sequential_windows_check_arguments_at_once():
    with pytest.raises(ValueError, match="at least 2 ids"):
        sequential_windows(np.array([1]), 4, 2)
    with pytest.raises(ValueError, match="nchars must be a positive integer"):
        sequential_windows(np.arange(10), 0, 2)


@pytest.mark.parametrize("args, error, message", [
    ((np.arange(4), 4, 2), ValueError, "need more than nchars=4 ids"),
    ((np.arange(10), 0, 2), ValueError, "nchars must be a positive integer"),
    ((np.arange(10), 3, 0), ValueError, "batch_size must be a positive integer"),
    ((np.arange(10.0), 3, 2), ValueError, "1-D integer array"),
    ((np.zeros((3, 4), int), 2, 2), ValueError, "1-D integer array"),
])
def test_random_windows_reject_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        random_windows(*args, np.random.default_rng(0))


def test_random_windows_need_a_generator():
    with pytest.raises(TypeError, match="numpy Generator"):
        random_windows(np.arange(10), 3, 2, 0)


def test_unigram_entropy():
    assert unigram_entropy(np.array([5, 5, 5])) == 0.0
    assert np.isclose(unigram_entropy(np.arange(8).repeat(3)), np.log(8))
    assert np.isclose(unigram_entropy(np.array([3, 3, 3, 4])),
                      -(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


@few
@given(n=st.integers(2, 300), nchars=st.integers(1, 12), batch_size=st.integers(1, 8), index=st.integers(0, 60))
def test_lane_windows_read_each_lane_contiguously_and_wrap(n, nchars, batch_size, index):
    ids = np.arange(n) * 7 % 1000                                   # distinct enough to locate
    lane_length = (n - 1) // batch_size
    if lane_length < nchars:
        with pytest.raises(ValueError, match="lane_windows: .* lanes of at least nchars"):
            lane_windows(ids, nchars, batch_size, index)
        return
    x, y, first = lane_windows(ids, nchars, batch_size, index)
    windows = lane_length // nchars
    k = index % windows
    assert x.shape == y.shape == (nchars, batch_size) and first == (k == 0)
    for b in range(batch_size):                                       # lane b, window k
        start = b * lane_length + k * nchars
        np.testing.assert_array_equal(x[:, b], ids[start:start + nchars])
        np.testing.assert_array_equal(y[:, b], ids[start + 1:start + nchars + 1])
    if k + 1 < windows:                                               # the next window continues the lane
        x_next, _, _ = lane_windows(ids, nchars, batch_size, index + 1)
        np.testing.assert_array_equal(x_next[0], y[-1])
