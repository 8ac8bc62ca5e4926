"""argparse types shared by every command: a bad value is refused by argparse itself,
as "argument --lr: invalid positive number value: '0'", before anything runs, and never
by a library deep inside with a message that does not name the option (NumPy's bare
"expected non-negative integer" for ``--seed -1``, the csv module's for ``--sep ';;'``)."""
import argparse
import math

from minirnn.toolkit.textfile import printable


def _number_arg(convert, name, accept):
    """An argparse type: convert(text), refused unless finite and accept(value)."""
    def parse(text):
        value = convert(text)
        if not (math.isfinite(value) and accept(value)):
            raise ValueError(text)
        return value
    parse.__name__ = name                                  # argparse names the type in its error
    return parse


positive_int = _number_arg(int, "positive integer", lambda v: v > 0)
positive_float = _number_arg(float, "positive number", lambda v: v > 0)
non_negative_int = _number_arg(int, "integer >= 0", lambda v: v >= 0)
non_negative_float = _number_arg(float, "number >= 0", lambda v: v >= 0)
seed = _number_arg(int, "seed (an integer >= 0)", lambda v: v >= 0)      # NumPy's generators' rule
vocab_size = _number_arg(int, "vocabulary size (an integer >= 4: 3 ids are reserved)", lambda v: v >= 4)


def float_in(low, high):
    """An argparse type for a number x with low < x <= high. The upper bound keeps a huge value
    (1e308) from overflowing later, when it is scaled or turned into an int (--page-mb, --minutes)."""
    return _number_arg(float, f"number in ({low:g}, {high:g}]", lambda v: low < v <= high)


def probability(text):
    """An argparse type for a dropout probability: a number in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:                                 # NaN fails this too
        raise ValueError(text)
    return value


probability.__name__ = "probability in [0, 1)"


def separator(text):
    """An argparse type for a CSV field delimiter: one character, 'tab' (or '\\t') for a tab.
    Returns the character. A quote or a line break cannot separate fields."""
    char = "\t" if text in ("tab", "\\t") else text
    if len(char) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or 'tab'), got {text!r}")
    if char in "\"\r\n":
        raise argparse.ArgumentTypeError(f"{text!r} cannot separate fields (it quotes them, or ends "
                                         f"a line); give another character")
    return char


def utf8_text(text):
    """An argparse type for text typed on the command line (a prompt, a text to classify):
    refused when it holds bytes that are not UTF-8, which Python keeps as lone surrogates
    that no page or file could hold."""
    if any("\udc80" <= char <= "\udcff" for char in text):
        raise argparse.ArgumentTypeError(f"'{printable(text)}' holds bytes that are not UTF-8 "
                                         f"(shown as \\x..); give UTF-8 text")
    return text
