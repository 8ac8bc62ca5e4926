"""From text to tokens to ids, and back.

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
    2 <eos>   end of sequence, placed before every document; decodes to a line break

The reserved names are only labels: the vocabulary looks real tokens up in a table
that never holds them, so a text with "<pad>" in it encodes to its own characters.

Every job reads text through this file: the language model (minirnn/lm), the
classifier (minirnn/classify) and the examples.
"""
import re
from collections import Counter

import numpy as np

from minirnn.toolkit.validate import counted, one_of, positive_int

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
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    level = one_of("level", level, LEVELS)
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
        one_of("level", level, LEVELS)
        tokens = list(tokens)
        for token in tokens:
            if not isinstance(token, str) or not token:
                raise ValueError(f"Vocabulary: tokens must be non-empty str, got {token!r}")
            if "\x00" in token:
                raise ValueError("Vocabulary: a token holds a NUL character (binary data?); "
                                 "a checkpoint cannot store it")
        self.level = level
        self.tokens = RESERVED + tuple(tokens)
        self.ids = {token: i for i, token in enumerate(self.tokens[len(RESERVED):], len(RESERVED))}
        if len(self.ids) != len(tokens):
            repeated = sorted(token for token, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"Vocabulary: tokens must be distinct, repeated: {repeated[:10]}")

    @classmethod
    def build(cls, texts, level="char", max_size=None, min_count=1):
        """Count the tokens of ``texts`` (a str or a list of str) and keep the frequent ones.

        min_count: a token seen fewer times than this is left out (it will encode to <unk>).
        max_size:  the largest V, reserved ids included; the most frequent tokens are kept.
        Ids follow frequency, most frequent first; equal counts in sorted order.
        """
        if isinstance(texts, str):
            texts = [texts]
        positive_int("min_count", min_count)
        if max_size is not None and (not isinstance(max_size, int) or max_size <= len(RESERVED)):
            raise ValueError(f"Vocabulary.build: max_size must be None or an int > "
                             f"{len(RESERVED)} (it counts the {len(RESERVED)} reserved ids), "
                             f"got {max_size!r}")
        counts = Counter()
        for text in texts:
            counts.update(tokenize(text, level))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [token for token, n in ranked if n >= min_count]
        if max_size is not None:
            kept = kept[:max_size - len(RESERVED)]
        return cls(kept, level)

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return (isinstance(other, Vocabulary)
                and (self.level, self.tokens) == (other.level, other.tokens))

    def __repr__(self):
        return f"Vocabulary(level={self.level!r}, size={len(self)})"

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

    def describe_unknown(self, text):
        """'2 words not in the vocabulary: 'foo', 'bar'' for the tokens of ``text`` (a str
        or a list of tokens) outside the vocabulary; "" when there are none. Words are
        shown without their leading space."""
        tokens = tokenize(text, self.level) if isinstance(text, str) else list(text)
        unknown = sorted({token for token in tokens if token not in self.ids})
        if not unknown:
            return ""
        what = "character" if self.level == "char" else "word"
        shown = ", ".join(repr(token.strip() or token) for token in unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        return f"{counted(len(unknown), what)} not in the vocabulary: {shown}{more}"

    def encode_documents(self, documents):
        """A list of documents -> one id stream (n,) int64 with <eos> before each document,
        so a model learns where documents start and end."""
        if isinstance(documents, str):
            raise TypeError("encode_documents: expected a list of str, got a single str")
        pieces = [np.concatenate([[EOS], self.encode(doc)]) for doc in documents]
        return np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64)

    def decode(self, ids):
        """ids (n,) -> str. Reserved ids become DECODED_RESERVED: '', U+FFFD, '\\n'.
        At the basic_english level the tokens are joined with single spaces."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"decode: ids must be a 1-D integer array, got shape {ids.shape} "
                             f"dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"decode: ids must lie in [0, {len(self)}), "
                             f"got values from {ids.min()} to {ids.max()}")
        table = DECODED_RESERVED + self.tokens[len(RESERVED):]
        separator = " " if self.level == "basic_english" else ""     # its whitespace was dropped
        return separator.join(table[i] for i in ids.tolist() if table[i])

    def to_arrays(self):
        """Plain NumPy arrays for a checkpoint (no pickle):
        'tokens' (V,) unicode, the whole id -> token table; 'level' 0-d unicode."""
        return {"tokens": np.array(self.tokens, dtype=str), "level": np.array(self.level)}

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild a Vocabulary from ``to_arrays()`` output (a dict or an ``np.load`` file)."""
        for key in ("tokens", "level"):
            if key not in arrays:
                raise ValueError(f"Vocabulary.from_arrays: missing array {key!r}")
        tokens, level = arrays["tokens"], arrays["level"]
        if tokens.dtype.kind != "U" or tokens.ndim != 1:
            raise ValueError(f"Vocabulary.from_arrays: 'tokens' must be a 1-D unicode array, "
                             f"got shape {tokens.shape} dtype {tokens.dtype}")
        if level.dtype.kind != "U" or level.ndim != 0:
            raise ValueError(f"Vocabulary.from_arrays: 'level' must be a 0-d unicode array, "
                             f"got shape {level.shape} dtype {level.dtype}")
        if tuple(tokens[:len(RESERVED)].tolist()) != RESERVED:
            raise ValueError(f"Vocabulary.from_arrays: 'tokens' must start with {RESERVED}, "
                             f"got {tuple(tokens[:len(RESERVED)].tolist())}")
        return cls(tokens[len(RESERVED):].tolist(), str(level))
