"""Which text to look at, as tokens and ids: the first stage of `minirnn inspect`.

Three sources, each cut to its first ``chars`` characters (by default DEFAULT_CHARS, or
the whole text when it is shorter; asking for more than a text holds is an error):

    the checkpoint's validation text   (the default) text the model never trained on,
                                       read with the checkpoint's own settings
    --text FILE                        any text file (UTF-8, or UTF-16 with its mark)
    --prompt TEXT                      a few words typed on the command line

The model reads <eos> first, as every document begins in training, then the tokens; so
the ids are one longer than the tokens, and step t + 1 of a trace belongs to token t.

A character (or, at word level, a word) outside the vocabulary is read as <unk>, as
training read the rare ones, and counted in ``unknown``; it is shown as written.
"""
from collections import Counter
from typing import NamedTuple

import numpy as np

from minirnn.lm import load_data
from minirnn.toolkit.textfile import printable, read_text
from minirnn.toolkit.validate import counted
from minirnn.vocab import DECODED_RESERVED, EOS, RESERVED, UNK, tokenize

DEFAULT_CHARS = 5000          # characters looked at when the caller does not say


class Text(NamedTuple):
    """A text as the model reads it.

    tokens           list of T str, concatenated the text as shown
    ids              (T + 1,) int64: <eos>, then one id per token
    document_starts  character positions where a document begins (after an <eos>)
    source           what the text is, for the log and the page
    unknown          Counter of the tokens read as <unk>
    """
    tokens: list
    ids: np.ndarray
    document_starts: list
    source: str
    unknown: Counter


def validation_text(checkpoint, vocab, chars=None):
    """The first ``chars`` characters of the validation text of the run that wrote
    ``checkpoint``, whole tokens only. Raises ValueError when that text cannot be read
    (a --text file moved since training), or is shorter than ``chars``."""
    settings = checkpoint.config.get("settings", {})
    try:
        data = load_data(settings.get("text"), settings.get("level", vocab.level),
                         settings.get("max_vocab"), vocab=vocab)
    except (OSError, ValueError) as error:
        raise ValueError(f"the checkpoint's validation text cannot be read ({error}); "
                         f"give --text FILE or --prompt TEXT") from None
    table = DECODED_RESERVED + vocab.tokens[len(RESERVED):]        # id -> the text it stands for
    ids = data.valid[1:]                     # after its first <eos> (every document starts with one)
    lengths = np.cumsum([len(table[i]) for i in ids.tolist()])     # characters up to each token
    total = int(lengths[-1]) if len(lengths) else 0
    what = f"the validation text of {printable(checkpoint.path)} ({data.source})"   # names as any page shows them
    chars = _check_chars(chars, total, what)
    n = int(np.searchsorted(lengths, chars, side="right"))        # whole tokens within chars
    if n == 0:
        raise ValueError(f"--chars {chars:,} is shorter than the first token of {what}")
    tokens = [table[i] for i in ids[:n].tolist()]
    starts = [int(lengths[t]) for t in range(n - 1) if ids[t] == EOS]   # the token after an <eos>
    return Text(tokens, np.concatenate([[EOS], ids[:n]]).astype(np.int64), starts,
                f"the first {counted(sum(map(len, tokens)), 'character')} of {what}", Counter())


def given_text(text, vocab, source, chars=None):
    """``text`` (a str) cut at ``chars`` characters, tokenized at the vocabulary's level."""
    if not text:
        raise ValueError(f"{source} is empty")
    text = text[:_check_chars(chars, len(text), source)]
    tokens = tokenize(text, vocab.level)
    ids = vocab.encode(tokens)                                     # unknown tokens -> <unk>
    unknown = Counter(token for token, i in zip(tokens, ids.tolist()) if i == UNK)
    return Text(tokens, np.concatenate([[EOS], ids]).astype(np.int64), [],
                f"{counted(len(text), 'character')} of {source}", unknown)


def read_text_file(path):
    """A text file's contents (line ends as '\n'), or a ValueError naming the file."""
    return read_text(path, f"--text {str(path)!r}")


def _check_chars(chars, total, what):
    """chars, or for None the default; a ValueError when the text holds fewer than asked."""
    if chars is None:
        return min(DEFAULT_CHARS, total)
    if chars > total:
        raise ValueError(f"--chars {chars:,} is longer than {what}: {counted(total, 'character')}")
    return chars
