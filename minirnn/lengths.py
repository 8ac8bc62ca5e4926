"""Sequences of different lengths in one padded batch: padded steps computed, then thrown away.

The lesson's classification exercise pads a batch of sentences to one length and packs
it, so that the padding does not pollute the state. minirnn's recurrent layers
(minirnn/recurrent.py) take ``lengths`` instead: the cells run over every step, padding
included, and the index tricks of ``SequenceLengths``, below, keep what they compute
there out of the outputs, the final states and the gradients (with a worked example).
"""
import numpy as np


class SequenceLengths:
    """Sequences of different lengths in one padded batch, and the index tricks they need.

    A batch holds B sequences padded to T steps: sequence b's real steps are
    0 .. lengths[b]-1, the rest is padding. The cells compute every one of the T steps,
    padding included (PyTorch's packed sequences skip the padded steps instead; computing
    them costs a little arithmetic and keeps the kernels simple). That is safe because
    padding always comes AFTER a sequence's real steps, in both directions, so it can
    only change states that come later, and those are discarded:

    - forward: the final state is read at each sequence's own last step (``last``), and
      the outputs at padded steps are set to zero (``zero_padding``);
    - backward direction: each sequence's real steps are reversed in place (``reverse``),
      which leaves its padding at the end again;
    - backpropagation: padded outputs get zero gradient, and the final state's gradient
      enters at each sequence's own last step (``add_at_last``), so no gradient ever
      flows from padding into a real step.

    Worked example, T = 4, lengths [4, 2]: sequence 0 is a b c d, sequence 1 is x y
    followed by two padded steps p p.

        t                    0  1  2  3
        seq[:, 0]            a  b  c  d
        seq[:, 1]            x  y  p  p
        reverse(seq)[:, 0]   d  c  b  a
        reverse(seq)[:, 1]   y  x  p  p      padding stays where it was
        last(seq)            d  and  y       (steps lengths - 1 = [3, 1])

    ``reverse`` is one fancy-indexing expression. t (T, 1) broadcast against lengths (B,)
    gives a (T, B) table; where t < lengths the step is real and is read from
    lengths - 1 - t, elsewhere from t itself:

        t < lengths       [[1, 1], [1, 1], [1, 0], [1, 0]]
        reversed_t        [[3, 1], [2, 0], [1, 2], [0, 3]]      (T, B)

    and seq[reversed_t, batch] with batch = [0, 1] (broadcast against (T, B)) is the
    (T, B, F) array whose entry [t, b] is seq[reversed_t[t, b], b].

    Without lengths every sequence has T steps and all of this is plain slicing.
    """

    def __init__(self, T, B, lengths):
        self.T = T
        self.lengths = None if lengths is None else np.asarray(lengths, np.intp)   # (B,)
        if lengths is not None:
            t = np.arange(T)[:, None]                                 # (T, 1)
            self.valid = (t < self.lengths)[..., None]                # (T, B, 1) real step?
            self.reversed_t = np.where(t < self.lengths, self.lengths - 1 - t, t)   # (T, B)
            self.batch = np.arange(B)                                 # (B,)

    def reverse(self, seq):
        """(T, B, F) -> the same with each sequence's real steps in reverse order."""
        if self.lengths is None:
            return seq[::-1]
        return seq[self.reversed_t, self.batch]

    def last(self, seq):
        """(T, B, N) -> (B, N): each sequence's entry at its own last step."""
        if self.lengths is None:
            return seq[-1]
        return seq[self.lengths - 1, self.batch]

    def add_at_last(self, dseq, dfinal):
        """Add dfinal (B, N) to dseq (T, B, N), or to zeros if dseq is None, at each
        sequence's last step (a new array)."""
        dseq = np.zeros((self.T,) + dfinal.shape, dfinal.dtype) if dseq is None else dseq.copy()
        if self.lengths is None:
            dseq[-1] += dfinal
        else:
            dseq[self.lengths - 1, self.batch] += dfinal
        return dseq

    def zero_padding(self, seq):
        """(T, B, F) with the padded steps set to zero."""
        return seq if self.lengths is None else np.where(self.valid, seq, 0)
