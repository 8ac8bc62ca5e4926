"""From texts to padded batches: ids, lengths, and batches of similar lengths.

    texts -> Vocabulary.encode -> one ids array per document, cut at max_length
          -> bucket_batches: index arrays, each a batch of documents of similar length
          -> pad_batch: ids (T, B) padded with <pad>, lengths (B,)

Why buckets: a batch is as long as its longest document, and every shorter document is
padded up to it. The recurrent layer is told each document's length (``lengths``), so
padding never changes a document's state or output (see minirnn/recurrent.py,
SequenceLengths), but the padded steps still cost time. Drawing the batches from
documents sorted by length keeps them short: with documents of 50 to 200 tokens in
random batches of 32, about 40% of the steps would be padding; in buckets, under 5%.

The order is still random, as stochastic gradient descent wants: the documents are
shuffled, cut into pools of ``POOL_BATCHES`` batches, each pool is sorted by length and
cut into batches, and the batches are shuffled (torchtext's BucketIterator does the same).
Every document is in exactly one batch of an epoch.
"""
import numpy as np

from minirnn.vocab import PAD, UNK

POOL_BATCHES = 50        # sort by length within pools of this many batches


def encode_texts(vocab, texts, max_length):
    """Each text -> its ids (n_i,) int64, cut to at most ``max_length`` tokens.

    Returns (list of id arrays, number of texts that were cut). A text with no tokens
    at all (only whitespace, at the basic_english level) becomes one <unk>, so that
    every document has a length of at least 1.
    """
    sequences, cut = [], 0
    for text in texts:
        ids = vocab.encode(text)                              # (n_i,)
        if ids.size > max_length:
            ids, cut = ids[:max_length], cut + 1
        sequences.append(ids if ids.size else np.array([UNK], np.int64))
    return sequences, cut


def pad_batch(sequences):
    """A list of B id arrays -> ids (T, B) int64 with <pad> after each sequence, lengths (B,),
    T the longest length. Time-major, as the recurrent layers want."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)      # (B,)
    ids = np.full((lengths.max(), len(sequences)), PAD, dtype=np.int64)  # (T, B)
    for b, s in enumerate(sequences):
        ids[:len(s), b] = s
    return ids, lengths


def bucket_batches(lengths, batch_size, rng):
    """One epoch's batches: a list of index arrays that together hold every index once.

    lengths (n,) the documents' lengths; rng a numpy Generator (the epoch's order).
    Batches hold ``batch_size`` documents of similar length (the last of each pool may
    hold fewer), in random order.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(lengths.size)                         # (n,) shuffled
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, order.size, pool):
        members = order[start:start + pool]
        members = members[np.argsort(lengths[members], kind="stable")]   # short to long
        batches += [members[i:i + batch_size] for i in range(0, members.size, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_batches(lengths, batch_size):
    """Batches for evaluation: by length, in a fixed order (no randomness needed)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i:i + batch_size] for i in range(0, order.size, batch_size)]


def padding_share(lengths, batches):
    """The fraction of a padded batch's steps that are padding, over all batches."""
    lengths = np.asarray(lengths)
    padded = sum(lengths[b].max() * b.size for b in batches)
    return 1 - lengths.sum() / padded
