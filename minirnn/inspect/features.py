"""Which units track something: simple features of the text, and the units that follow them.

Karpathy, Johnson and Fei-Fei ("Visualizing and Understanding Recurrent Networks",
2015) found LSTM cells that switch on inside quotes, count the position in a line, or
follow the depth of nested brackets. The search here is theirs in its simplest form:
compute, for every character, a few features of the text, then for each feature find
the unit whose activation has the largest |Pearson correlation| with it over the text.

Each feature is the state of the text *after* reading the character, which is what a
unit's value after that step could know:

    quotation      1 inside '...' or "..." (the opening mark included, the closing one
                   not); a ' between two letters is an apostrophe ("don't"), not a quote
    brackets       1 inside (), [] or {}
    bracket depth  how many brackets are open (0, 1, 2, ...)
    line position  characters since the last line break (the break itself is 0)
    indentation    leading spaces of the current line read so far
    in word        1 for a letter, digit or underscore
    upper case     1 for an upper-case letter

An unmatched quote or bracket would otherwise leave its state on for the rest of the
text, so quotes and brackets are closed at every blank line and document start.

For word-level models a token's feature is the feature at its last character, the text's
state after reading the token; for the two properties of single characters ("in word",
"upper case") it is whether any of its characters has it ("The" is upper case).
"""
from typing import NamedTuple

import numpy as np

FEATURES = {
    "quotation": "inside a quotation ('...' or \"...\")",
    "brackets": "inside (), [] or {}",
    "bracket depth": "how many brackets are open",
    "line position": "characters since the line began",
    "indentation": "leading spaces of the line",
    "in word": "a letter, digit or underscore",
    "upper case": "an upper-case letter",
}
CHARACTER_CLASSES = ("in word", "upper case")   # properties of one character, not states
PERSISTENT = ("quotation", "brackets")    # on/off states that last: what a flag would follow
FLAG_R = 0.5                              # |r| from which a unit counts as following one
OPENING, CLOSING = "([{", ")]}"
QUOTES = "'\""


def character_features(text, document_starts=()):
    """Every feature of FEATURES for every character of ``text``.

    document_starts: character positions where a new document begins (open quotes and
    brackets are closed there).
    Returns a dict feature -> (n,) float64, n = len(text).
    """
    n = len(text)
    values = {name: np.zeros(n) for name in FEATURES}
    starts = set(document_starts)
    quote, depth, column, indent, at_line_start = None, 0, 0, 0, True
    for t, ch in enumerate(text):
        if t in starts or (ch == "\n" and t > 0 and text[t - 1] == "\n"):
            quote, depth = None, 0                            # a new document or paragraph
        if ch == "\n":
            column, indent, at_line_start = 0, 0, True
        else:
            column += 1
            at_line_start = at_line_start and ch == " "
            indent += at_line_start                           # still in the leading spaces
        if quote is None and ch in QUOTES and not _apostrophe(text, t):
            quote = ch                                        # opens: this mark is inside
        elif quote == ch and not _apostrophe(text, t):
            quote = None                                      # closes: this mark is outside
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING:
            depth = max(depth - 1, 0)                         # a stray ")" as in "1)" closes nothing
        values["quotation"][t] = quote is not None
        values["brackets"][t] = depth > 0
        values["bracket depth"][t] = depth
        values["line position"][t] = column
        values["indentation"][t] = indent
        values["in word"][t] = ch.isalnum() or ch == "_"
        values["upper case"][t] = ch.isupper()
    return values


def _apostrophe(text, t):
    """Is text[t] a ' between two letters, as in "don't"?"""
    return (text[t] == "'" and 0 < t < len(text) - 1
            and text[t - 1].isalpha() and text[t + 1].isalpha())


def token_features(features, tokens):
    """Character features -> token features: the value at the token's last character, or
    for CHARACTER_CLASSES the largest over its characters.

    features: dict name -> (n,) over the characters of "".join(tokens); tokens: list of
    non-empty str. Returns dict name -> (len(tokens),).
    """
    ends = np.cumsum([len(token) for token in tokens])            # (T,) one past each token's end
    starts = ends - [len(token) for token in tokens]              # (T,) each token's first character
    return {name: np.maximum.reduceat(v, starts) if name in CHARACTER_CLASSES else v[ends - 1]
            for name, v in features.items()}


# ---- the search -----------------------------------------------------------------------------

class Finding(NamedTuple):
    """One unit and how it follows one feature."""
    feature: str      # a key of FEATURES
    r: float          # Pearson correlation over the text, in [-1, 1]
    cell: int         # index into Trace.cells (layer, direction)
    quantity: str     # "h" or "c"
    unit: int         # index in [0, N)


def correlations(activations, features):
    """Pearson correlation of every column of ``activations`` (T, U) with every column of
    ``features`` (T, K) -> (U, K), computed in float64.

    A constant column (a unit that never moves, a feature absent from the text) has no
    correlation; it gets 0, never NaN.
    """
    a = _standardized(np.asarray(activations, np.float64))       # (T, U)
    f = _standardized(np.asarray(features, np.float64))          # (T, K)
    return a.T @ f / len(a)                                      # (U, K)


def _standardized(x):
    """Columns scaled to mean 0 and standard deviation 1; constant columns all 0."""
    centered = x - x.mean(axis=0)
    std = np.sqrt((centered ** 2).mean(axis=0))                   # (columns,)
    scale = np.where(std > 1e-12 * (1 + np.abs(x).max(axis=0)), std, np.inf)   # constant: divide by inf
    return centered / scale


def unit_correlations(cells, features, quantities=("h", "c")):
    """Every unit's Pearson correlation with every feature.

    cells: Trace.cells, dicts quantity -> (T, N); features: dict name -> (T,).
    Returns, per cell, a dict quantity -> (N, K) with K = len(features), in its order.
    """
    F = np.stack(list(features.values()), axis=1)                   # (T, K)
    return [{q: correlations(values[q], F) for q in quantities if q in values} for values in cells]


def search_units(unit_r, features, top=3):
    """For each feature, the ``top`` units (any cell, h or c) with the largest |correlation|.

    unit_r: unit_correlations' list; features: the same dict it was computed from.
    Returns (findings, constant): findings a dict feature -> list of Finding, best first;
    constant the features that do not vary over this text (they have no findings).
    """
    columns = [(cell, q) for cell, by_quantity in enumerate(unit_r) for q in by_quantity]
    r = np.concatenate([unit_r[cell][q] for cell, q in columns])    # (units of all columns, K)
    N = len(r) // len(columns)                                      # units per cell
    findings, constant = {}, []
    for k, name in enumerate(features):
        if np.ptp(features[name]) == 0:
            constant.append(name)
            continue
        best = np.argsort(-np.abs(r[:, k]), kind="stable")[:top]
        findings[name] = [Finding(name, float(r[j, k]), *columns[j // N], int(j % N)) for j in best]
    return findings, constant


def unit_scores(unit_r):
    """Each unit's largest |correlation| with any feature, h or c: per cell an (N,) array.
    The page keeps units in this order when it cannot hold them all."""
    return [np.max([np.abs(r).max(axis=1) for r in by_quantity.values()], axis=0) for by_quantity in unit_r]


def flags(findings, min_r=FLAG_R):
    """The ranked units that act as flags, in the lesson's sense: they follow an on/off state
    of the text that lasts over many characters (PERSISTENT) with |r| >= ``min_r``."""
    return [f for name in PERSISTENT for f in findings.get(name, []) if abs(f.r) >= min_r]
