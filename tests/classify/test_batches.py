"""Tests of minirnn/classify/batches.py: ids, padding, lengths, buckets.

- bucketing never changes which documents are in an epoch: every index exactly once,
  batches no larger than asked, and the documents of a batch of similar length;
- padding puts <pad> after each sequence and the lengths say where;
- --max-length cuts and counts; a document of no tokens still has length 1.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from minirnn.classify.batches import bucket_batches, encode_texts, pad_batch, padding_share, sorted_batches
from minirnn.vocab import PAD, UNK, Vocabulary

few = settings(max_examples=40, deadline=None)


@few
@given(st.lists(st.integers(1, 300), min_size=1, max_size=400), st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_bucketing_keeps_every_document_once(lengths, batch_size, seed):
    batches = bucket_batches(lengths, batch_size, np.random.default_rng(seed))
    everything = np.sort(np.concatenate(batches))
    assert np.array_equal(everything, np.arange(len(lengths)))
    assert all(1 <= b.size <= batch_size for b in batches)
    assert np.array_equal(np.sort(np.concatenate(sorted_batches(lengths, batch_size))), everything)


def test_buckets_hold_similar_lengths_in_random_order():
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 200, 3000)
    batches = bucket_batches(lengths, 32, np.random.default_rng(1))
    shuffled = [np.arange(i, min(i + 32, 3000)) for i in range(0, 3000, 32)]
    assert padding_share(lengths, batches) < 0.05 < 0.3 < padding_share(lengths, shuffled)
    again = bucket_batches(lengths, 32, np.random.default_rng(1))
    other = bucket_batches(lengths, 32, np.random.default_rng(2))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))              # seeded
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other))          # and random


def test_pad_batch():
    ids, lengths = pad_batch([np.array([5, 6, 7]), np.array([8]), np.array([9, 10])])
    assert ids.tolist() == [[5, 8, 9], [6, PAD, 10], [7, PAD, PAD]]              # (T, B), time-major
    assert lengths.tolist() == [3, 1, 2] and ids.dtype == np.int64


def test_encode_texts_cuts_and_counts():
    vocab = Vocabulary.build(["a b c d e"], "basic_english")
    sequences, cut = encode_texts(vocab, ["a b c d e", "a b", "   ", "zzz"], max_length=3)
    assert [s.tolist() for s in sequences] == [vocab.encode("a b c").tolist(), vocab.encode("a b").tolist(),
                                               [UNK], [UNK]]
    assert cut == 1
