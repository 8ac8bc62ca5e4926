"""minirnn/lengths.py: SequenceLengths, the index tricks that keep padding out of a state.

- the worked example of its docstring, as written there;
- for any T, B and lengths: reverse reverses each sequence's real steps and leaves its
  padding where it was (so reversing twice is the identity), last reads each sequence's
  own last step, add_at_last is last's transpose (what backpropagation needs), and
  zero_padding zeroes exactly the padded steps;
- without lengths, all of it is plain slicing.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from minirnn.lengths import SequenceLengths


def test_the_worked_example_of_the_docstring():
    seq = np.array([list("abcd"), list("xypp")]).T[..., None]      # (T, B, 1) = (4, 2, 1)
    seqlen = SequenceLengths(4, 2, np.array([4, 2]))
    reversed_seq = seqlen.reverse(seq)[..., 0]
    assert "".join(reversed_seq[:, 0]) == "dcba" and "".join(reversed_seq[:, 1]) == "yxpp"
    assert seqlen.last(seq)[:, 0].tolist() == ["d", "y"]
    assert seqlen.reversed_t.tolist() == [[3, 1], [2, 0], [1, 2], [0, 3]]


@st.composite
def batches(draw):
    T, B, F = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    lengths = np.array(draw(st.lists(st.integers(1, T), min_size=B, max_size=B)))
    seed = draw(st.integers(0, 2**32 - 1))
    return T, B, F, lengths, np.random.default_rng(seed)


@settings(max_examples=50, deadline=None)
@given(batches())
def test_reverse_last_and_padding_for_any_lengths(batch):
    T, B, F, lengths, rng = batch
    seq, other = rng.normal(size=(T, B, F)), rng.normal(size=(T, B, F))
    seqlen = SequenceLengths(T, B, lengths)
    reversed_seq = seqlen.reverse(seq)
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(reversed_seq[:n, b], seq[:n, b][::-1])   # real steps reversed
        np.testing.assert_array_equal(reversed_seq[n:, b], seq[n:, b])         # padding stays put
        np.testing.assert_array_equal(seqlen.last(seq)[b], seq[n - 1, b])
    np.testing.assert_array_equal(seqlen.reverse(reversed_seq), seq)
    padded = np.arange(T)[:, None] >= lengths                                # (T, B)
    zeroed = seqlen.zero_padding(seq)
    assert (zeroed[padded] == 0).all() and (zeroed[~padded] == seq[~padded]).all()
    # backpropagation through last: <last(seq), d> = <seq, add_at_last(0, d)> for every seq and d
    d = rng.normal(size=(B, F))
    np.testing.assert_allclose(np.sum(seqlen.last(seq) * d), np.sum(seq * seqlen.add_at_last(None, d)))
    np.testing.assert_allclose(seqlen.add_at_last(other, d) - other, seqlen.add_at_last(None, d), atol=1e-12)


def test_without_lengths_it_is_plain_slicing():
    seq = np.random.default_rng(0).normal(size=(5, 3, 2))
    seqlen = SequenceLengths(5, 3, None)
    np.testing.assert_array_equal(seqlen.reverse(seq), seq[::-1])
    np.testing.assert_array_equal(seqlen.last(seq), seq[-1])
    assert seqlen.zero_padding(seq) is seq
