"""From text to tokens to ids, and back.

    vocab = Vocabulary.build(text, "char")   # count the tokens of a text, number them
    ids = vocab.encode("Hi")                 # text -> tokens ["H", "i"] -> ids (2,) int64
    vocab.decode(ids)                        # ids -> "Hi"

Three tokenizers (a vocabulary's *level*). The first two are for generating text: they
give back the exact text when the tokens are joined.

    char   every character is a token:              "Hi there." -> H i ␣ t h e r e .
    word   a word with the space before it, one punctuation mark with the space
           before it, or a run of whitespace (as GPT-2's tokenizer does, so most
           words cost one token, not two):            "Hi there." -> "Hi" " there" "."
           Case is kept: "The" and " the" are different tokens.

The third is for classifying text, where what matters is which words occur, not how
they were typed:

    basic_english   the text lowercased, then split into words and punctuation marks;
           whitespace is dropped:             "Hi there, you!" -> "hi" "there" "," "you" "!"
           "The", "the" and " the" are one token, and "don't" is "don" "'" "t".
           Named after torchtext's tokenizer of that name, which the lesson's AG News
           exercise uses and which does the same, except that it deletes '"', ';' and
           ':' where this one keeps every punctuation mark as its own token.
           Lossy: decode() joins the tokens with single spaces.

A ``Vocabulary`` numbers the tokens. Three ids are reserved and belong to no text:

    0 <pad>   padding; decodes to nothing
    1 <unk>   any token not in the vocabulary; decodes to U+FFFD, the replacement character
    2 <eos>   end of sequence, placed before every document: it ends the one before, so
              the model learns both to end a document and to start one after it (priming
              a model starts from it too); decodes to a line break

The reserved names are only labels: the vocabulary looks real tokens up in a table
that never holds them, so a text with "<pad>" in it encodes to its own characters.

Every job reads text through this file: the language model (minirnn/lm), the
classifier (minirnn/classify) and the examples. Arguments and checkpoint arrays are
checked at the door (minirnn/toolkit/vocab_checks.py).
"""
import re
from collections import Counter

import numpy as np

from minirnn.toolkit import vocab_checks as check
from minirnn.toolkit.validate import counted

PAD, UNK, EOS = 0, 1, 2
RESERVED = ("<pad>", "<unk>", "<eos>")          # the labels of ids 0, 1, 2
DECODED_RESERVED = ("", "\N{REPLACEMENT CHARACTER}", "\n")   # what decode() writes for them
LEVELS = ("char", "word", "basic_english")

# a word with its leading space, a punctuation mark with its leading space, or whitespace:
# every character is \w, \s or neither, so the matches cover the whole text
WORD_PATTERN = re.compile(r" ?\w+| ?[^\w\s]|\s+")
# a word, or one punctuation mark; whitespace matches neither and so is dropped
BASIC_ENGLISH_PATTERN = re.compile(r"\w+|[^\w\s]")


def tokenize(text, level):
    """Split a str into tokens (a list of str). At the "char" and "word" levels the
    tokens join to the text; at "basic_english" they are its lowercased words and
    punctuation marks."""
    check.text(text, level, LEVELS)
    if level == "char":
        return list(text)
    if level == "word":
        return WORD_PATTERN.findall(text)
    return BASIC_ENGLISH_PATTERN.findall(text.lower())


class Vocabulary:
    """Token <-> id tables: ids 0, 1, 2 reserved (<pad>, <unk>, <eos>), real tokens from 3.

    ``tokens`` is the whole id -> token table, reserved labels included, so
    ``vocab.tokens[i]`` is the token with id i and ``len(vocab)`` is V.
    """

    def __init__(self, tokens, level):
        """``tokens``: the real tokens (str, distinct, non-empty), given ids 3, 4, ..."""
        tokens = list(tokens)
        check.tokens(tokens, level, LEVELS)
        self.level = level
        self.tokens = RESERVED + tuple(tokens)                       # id -> token
        self.ids = {token: i for i, token in enumerate(tokens, len(RESERVED))}   # token -> id

    @classmethod
    def build(cls, texts, level="char", max_size=None, min_count=1):
        """Count the tokens of ``texts`` (a str or a list of str) and keep the frequent ones.

        min_count: a token seen fewer times than this is left out (it will encode to <unk>).
        max_size:  the largest V, reserved ids included; the most frequent tokens are kept.
        Ids follow frequency, most frequent first; equal counts in sorted order.
        """
        check.build_arguments(min_count, max_size, len(RESERVED))
        counts = Counter()
        for text in [texts] if isinstance(texts, str) else texts:
            counts.update(tokenize(text, level))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [token for token, n in ranked if n >= min_count]
        if max_size is not None:
            kept = kept[:max_size - len(RESERVED)]
        return cls(kept, level)

    def encode(self, text, strict=False):
        """A str (tokenized at this vocabulary's level) or a list of tokens -> ids (n,) int64.

        A token not in the vocabulary becomes <unk>; with ``strict=True`` it raises a
        ValueError that lists the unknown tokens instead.
        """
        tokens = tokenize(text, self.level) if isinstance(text, str) else list(text)
        ids = np.array([self.ids.get(token, UNK) for token in tokens], dtype=np.int64)   # (n,)
        if strict and (ids == UNK).any():
            raise ValueError(self.describe_unknown(tokens))
        return ids

    def decode(self, ids):
        """ids (n,) -> str. Reserved ids become DECODED_RESERVED: '', U+FFFD, '\\n'.
        At the basic_english level the tokens are joined with single spaces."""
        check.ids(ids, len(self))
        table = DECODED_RESERVED + self.tokens[len(RESERVED):]
        separator = " " if self.level == "basic_english" else ""     # its whitespace was dropped
        return separator.join(table[i] for i in np.asarray(ids).tolist() if table[i])

    def encode_documents(self, documents):
        """A list of documents -> one id stream (n,) int64 with <eos> before each document,
        so a model learns where documents start and end."""
        check.documents(documents)
        pieces = [np.concatenate([[EOS], self.encode(doc)]) for doc in documents]
        return np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64)

    def describe_unknown(self, text):
        """'2 words not in the vocabulary: 'foo', 'bar'' for the tokens of ``text`` (a str
        or a list of tokens) outside the vocabulary; "" when there are none. Words are
        shown without their leading space."""
        tokens = tokenize(text, self.level) if isinstance(text, str) else list(text)
        unknown = list(dict.fromkeys(token for token in tokens if token not in self.ids))   # in order
        if not unknown:
            return ""
        what = "character" if self.level == "char" else "word"
        shown = ", ".join(self._shown(token) for token in unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        return f"{counted(len(unknown), what)} not in the vocabulary: {shown}{more}"

    def _shown(self, token):
        """An unknown token as describe_unknown names it: a word without its leading space,
        and, where only the spaced form is known (a prompt's first word), a hint saying so."""
        if self.level != "word" or not token.strip():
            return repr(token)
        if not token.startswith(" ") and " " + token in self.ids:
            return f"{token!r} (known only after a space, as ' {token}')"
        return repr(token.strip())

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return (isinstance(other, Vocabulary)
                and (self.level, self.tokens) == (other.level, other.tokens))

    def __repr__(self):
        return f"Vocabulary(level={self.level!r}, size={len(self)})"

    # ---- in a checkpoint ----------------------------------------------------------------

    def to_arrays(self):
        """Plain NumPy arrays for a checkpoint (no pickle):
        'tokens' (V,) unicode, the whole id -> token table; 'level' 0-d unicode."""
        return {"tokens": np.array(self.tokens, dtype=str), "level": np.array(self.level)}

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild a Vocabulary from ``to_arrays()`` output (a dict or an ``np.load`` file).
        Raises ValueError naming the array that is missing or malformed."""
        check.arrays(arrays, RESERVED)
        return cls(arrays["tokens"][len(RESERVED):].tolist(), str(arrays["level"]))
