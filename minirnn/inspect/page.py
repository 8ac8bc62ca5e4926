"""The page: one self-contained HTML file that colours the text by any unit.

Everything is inside the file: the CSS, the JavaScript, and the activations as JSON in a
``<script type="application/json">`` element. It makes no network request and opens
from disk. The reader picks a (layer, direction), a quantity (h, c or a gate) and a
unit; each token's background shows that unit's value after reading the token, on a
diverging scale (blue - white - red) for h, c and the tanh candidates g and n, and a
sequential one (white - green) for the sigmoid gates in [0, 1]. Hovering a token, or
moving to it with the arrow keys, shows the model's likeliest next tokens.

How every unit fits in a small page (a 256-unit LSTM over 5,000 characters: 6 x 256 x
5,000 values in 1.6 MB of base64; the old coding, 15 levels and one zlib stream per unit
in the text's order, needed 3.4 MB). Four steps, each measured on that page, each undone
by a few lines of the page's JavaScript:

1. Quantise to the colours the page shows. Each value becomes a code, one colour of its
   scale: 15 on the diverging scale (code 7 is 0), 9 on the sequential one, ColorBrewer's
   most for a sequential scheme. 15 green steps were 3.6 to 5.5 CIEDE2000 apart, 9 are
   6.6 to 9.7, as far apart as the diverging scale's 15 (6.6 to 11.2); a gate's colour is
   then on average 0.96 (at most 4.8) from the colour of its exact value, closer than h's
   colours on the diverging scale (1.36, at most 6.1). The LSTM's c is unbounded, so each
   c unit is scaled by its own largest |c|.
2. Let the LSTM's equations predict c and h. From the codes of the gates,
   c_t = f_t c_(t-1) + i_t g_t and h_t = o_t tanh(c_t) give c's and h's codes exactly
   at 86% and 79% of the steps, so the page stores only the difference (mod the number
   of levels) from that prediction: c's compressed codes shrink by 62%, h's by 46%.
3. Sort by context. A unit's value after a token depends most on the last few tokens,
   so each unit's T codes are stored in the order of the text before each step, read
   backwards (``context_order``: positions sorted by token t, then t - 1, ... CONTEXT
   deep). Equal contexts sit side by side with similar codes, which deflate finds: 30%
   smaller than in the text's order. (Differences from the previous step, the trick for
   slowly changing signals, make the text's order 14% larger: a character-level model's
   units jump at every character.)
4. Pack and compress. Two codes per byte (4 bits each: deflate's Huffman code then sees
   pairs of neighbours; 5% smaller), all units of one quantity in one zlib stream (6%
   smaller than one per unit and quantity), level 9 with the filtered strategy (3%
   smaller than level 6, 2% than the default strategy; about 3 s), base64 in the page.
   The browser inflates them with its own DecompressionStream.

When the page would exceed ``max_bytes`` it keeps fewer units, first those the feature
search ranked, then the others by their largest |correlation| with any feature, and
says how many it holds.

A second mode colours the text by connectivity (inspect/connectivity.py): focusing or
hovering a measured prediction shades each earlier token by the gradient norm of that
prediction on the token's input vector, relative to the prediction's largest, on a log
scale: REACH_DECADES decades in REACH_LEVELS - 1 codes of 4 bits (code 0: below them, or
before the text), one stream of K + 1 codes per measured prediction (500 predictions at
K = 200: about 30 kB in the page). Each prediction's largest norm and its lag are kept
as numbers, for the tooltip; the median curve and its quartiles for a small plot.
A hash in the address selects the mode (``index.html#reach``) and a prediction
(``#reach=120``, the one after token 120, counting from 0), for links and screenshots.
"""
import base64
import html
import json
import re
import zlib

import numpy as np

from minirnn.toolkit.atomic import atomic_write
from minirnn.inspect.connectivity import REACH_FRACTION
from minirnn.inspect.features import FEATURES
from minirnn.inspect.saturation import LEFT, RIGHT, SIGMOID_GATES
from minirnn.vocab import UNK

DIVERGING_LEVELS = 15        # colours of the diverging scale: codes 0 .. 14, 7 is 0
SEQUENTIAL_LEVELS = 9        # colours of the sequential scale (the sigmoid gates): codes 0 .. 8
                             # (at most 16 each: the page packs two codes in a byte)
MIDDLE = DIVERGING_LEVELS // 2
CONTEXT = 8                  # tokens read backwards that order each unit's codes
ZLIB_LEVEL, ZLIB_STRATEGY = 9, zlib.Z_FILTERED
LSTM = ("h", "c", "i", "f", "g", "o")
QUANTITIES = {"h": "hidden state h", "c": "cell state c",
              "i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
DIVERGING = ("#2166ac", "#f7f7f7", "#b2182b")      # -1, 0, +1 (ColorBrewer RdBu)
SEQUENTIAL = ("#f7fcf5", "#00441b")                # 0, 1 (ColorBrewer Greens)
REACH_LEVELS, REACH_DECADES = 16, 3                # connectivity codes 1..15 span 1e-3 .. 1, 0.2 decade each
REACH_COLOURS = ("#fff5eb", "#7f2704")             # code 1, code 15 (ColorBrewer Oranges)


def write_page(path, text, trace, token_names, findings, unit_r, scores, saturation, about,
               max_bytes=2_000_000, connectivity=None):
    """Write the page to ``path`` (atomically). Returns (bytes, units stored, units in all).

    text         the inspect.text.Text shown: tokens, ids (<eos> first), unknown
    trace        its Trace without the <eos> step (``trace.from_step(1)``): step t is token t
    token_names  id -> how a token is shown among the next tokens
    findings     features.search_units: feature -> list of Finding
    unit_r       features.unit_correlations: per cell, "h"/"c" -> (N, K)
    scores       features.unit_scores: per cell (N,); units are kept in this order
    saturation   saturation.gate_saturation's list
    about        dict of short str for the header: "title", "model", "source"
    connectivity None, or (positions (P,) the token indices whose next-token prediction was
                 measured, norms (P, K+1) from connectivity.connectivity, its Summary, the
                 unit of the lags, e.g. "characters")
    Raises ValueError when not even one unit fits in ``max_bytes``.
    """
    data = _page_data(text, trace, token_names, findings, unit_r, saturation, about)
    data["reach"] = None if connectivity is None else _reach_data(*connectivity)
    order = context_order(text.ids[1:])                                # (T,)
    codes = [stored_codes(cell, scales(cell)) for cell in trace.cells]   # per cell: q -> (T, N)
    keep = _keep_order(findings, scores)
    empty = len(_render(data).encode("utf-8"))
    n = len(keep)
    while n > 0:                     # the codes grow about in proportion to the units held
        _store_units(data, codes, keep[:n], order)
        page = _render(data)
        size = len(page.encode("utf-8"))
        if size <= max_bytes:
            atomic_write(path, lambda f: f.write(page), mode="w")
            return size, n, len(keep)
        n = min(n - 1, int(n * (max_bytes - empty) / (size - empty)))
    raise ValueError(f"a page for {len(text.tokens):,} tokens holds no unit within "
                     f"{max_bytes / 1e6:g} MB; give fewer --chars or a larger --page-mb")


# ---- the codes: what the page stores of each value ---------------------------------------------

def levels(quantity):
    """How many colours, and so codes, the quantity's scale has."""
    return SEQUENTIAL_LEVELS if quantity in SIGMOID_GATES else DIVERGING_LEVELS


def quantise(values, quantity, scale=1.0):
    """values (...) -> codes (...) uint8 in [0, levels(quantity)), the nearest colour.

    Sigmoid gates, in [0, 1]: code = round(v * (levels - 1)).
    The others: code = MIDDLE + round(v / scale * MIDDLE), with ``scale`` 1 for the
    tanh-bounded h, g and n, and for the cell state its unit's largest |c| (``scales``).
    Rounds halves up, floor(x + 0.5), as the page does.
    """
    v = np.asarray(values, np.float64)
    if quantity in SIGMOID_GATES:
        return np.floor(np.clip(v, 0, 1) * (levels(quantity) - 1) + 0.5).astype(np.uint8)
    return (MIDDLE + np.floor(np.clip(v / scale, -1, 1) * MIDDLE + 0.5)).astype(np.uint8)


def dequantise(codes, quantity, scale=1.0):
    """codes (...) -> the values their colours stand for, float64 (the page's value())."""
    c = np.asarray(codes, np.float64)
    if quantity in SIGMOID_GATES:
        return c / (levels(quantity) - 1)
    return (c - MIDDLE) / MIDDLE * scale


def scales(cell):
    """The value at either end of each c unit's diverging scale: its largest |c| over the
    text (1 for a unit that stays at 0). (N,) float64, or None for a cell without c."""
    if "c" not in cell:
        return None
    largest = np.abs(np.asarray(cell["c"], np.float64)).max(axis=0)
    return np.where(largest > 0, largest, 1.0)


def stored_codes(cell, c_scales):
    """What the page stores of one cell: quantity -> (T, N) uint8, in the text's order.

    The code of each value; for an LSTM, c and h as their difference, mod the number of
    levels, from the code that the cell's equations give from the other codes:
        c_t = f_t c_(t-1) + i_t g_t    (c_(-1) = 0: the page starts from 0)
        h_t = o_t tanh(c_t)
    The page adds the prediction back, step by step, in the same float64 arithmetic.
    """
    codes = {q: quantise(v, q, c_scales if q == "c" else 1.0) for q, v in cell.items()}
    if tuple(cell) != LSTM:
        return codes
    value = {q: dequantise(codes[q], q, c_scales if q == "c" else 1.0) for q in LSTM}
    c_before = np.vstack([np.zeros_like(value["c"][:1]), value["c"][:-1]])
    predicted = {"c": quantise(value["f"] * c_before + value["i"] * value["g"], "c", c_scales),
                 "h": quantise(value["o"] * np.tanh(value["c"]), "h")}
    for q, guess in predicted.items():
        codes[q] = ((codes[q].astype(np.int16) - guess) % levels(q)).astype(np.uint8)
    return codes


def reach_codes(norms):
    """norms (P, K+1) -> codes (P, K+1) uint8 in [0, REACH_LEVELS): each norm relative to its
    row's largest, on a log scale. Code c >= 1 stands for a ratio in
    [10 ** (D (c - 1) / (L - 1) - D), 10 ** (D c / (L - 1) - D)), D = REACH_DECADES, L = REACH_LEVELS,
    the largest itself in the top code; 0 for a ratio below 10 ** -D, a zero norm, or NaN."""
    norms = np.asarray(norms, np.float64)
    peak = np.nanmax(norms, axis=1, keepdims=True)                          # (P, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        decades = np.log10(norms / peak) / REACH_DECADES + 1                 # 1 at the peak, 0 at 10 ** -D
    codes = np.floor(np.nan_to_num(decades, nan=-1.0, neginf=-1.0) * (REACH_LEVELS - 1)) + 1
    return np.clip(codes, 0, REACH_LEVELS - 1).astype(np.uint8)


def context_order(ids, depth=CONTEXT):
    """ids (T,) -> (T,) int64: the order in which the page stores each unit's codes.

    Positions t sorted by the text up to t read backwards: by ids[t], then ids[t - 1],
    ... ids[t - depth + 1] (-1 before the text's start), then by t. The page sorts the
    same way (contextOrder).
    """
    ids = np.asarray(ids, np.int64)
    before = [np.concatenate([np.full(j, -1), ids])[:len(ids)] for j in range(depth)]  # before[j][t] = ids[t - j]
    return np.lexsort(before[::-1])                                   # lexsort sorts by its last key first


def pack(codes):
    """(T, n) codes of n units, each in [0, 16) -> bytes: unit after unit, two codes per
    byte, the first in the high 4 bits (a zero code pads an odd T)."""
    codes = np.asarray(codes, np.uint8).T                            # (n, T)
    if codes.shape[1] % 2:
        codes = np.pad(codes, ((0, 0), (0, 1)))
    return ((codes[:, 0::2] << 4) | codes[:, 1::2]).tobytes()


def _store_units(data, codes, kept, order):
    """Put the kept (cell, unit) pairs' codes into ``data``: per cell its units, ascending,
    and per quantity one zlib stream of their packed codes in context order."""
    for k, cell in enumerate(data["cells"]):
        units = sorted(u for kk, u in kept if kk == k)
        cell["units"] = units
        cell["codes"] = {q: _b64(_deflate(pack(c[order][:, units]))) for q, c in codes[k].items()} if units else {}


def _deflate(raw):
    """zlib's format (RFC 1950), which the page's DecompressionStream("deflate") reads."""
    compressor = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, 15, 9, ZLIB_STRATEGY)
    return compressor.compress(raw) + compressor.flush()


# ---- what the page holds ---------------------------------------------------------------------

def _page_data(text, trace, token_names, findings, unit_r, saturation, about):
    """Everything but the units' codes, as plain JSON-able values."""
    ids = text.ids[1:].tolist()                                      # (T,) the tokens shown
    top = np.concatenate([trace.top_ids.astype("<u4").ravel().view(np.uint8),
                          np.rint(trace.top_probs * 1e4).astype("<u2").ravel().view(np.uint8)])
    return {
        "about": about,
        "tokens": text.tokens,
        "ids": ids,
        "unknown": [t for t, i in enumerate(ids) if i == UNK],
        "names": {str(i): token_names[i] for i in np.unique(trace.top_ids).tolist()},
        "top": _b64(zlib.compress(top.tobytes(), 9)),                # (T, k) uint32 ids, then (T, k) uint16 in 1e-4
        "k": int(trace.top_ids.shape[1]),
        "levels": {"div": DIVERGING_LEVELS, "seq": SEQUENTIAL_LEVELS},
        "context": CONTEXT,
        "thresholds": [LEFT, RIGHT],
        "features": [[name, FEATURES[name]] for name in FEATURES],
        "findings": sorted((f._asdict() for fs in findings.values() for f in fs),
                           key=lambda f: (-max(abs(g.r) for g in findings[f["feature"]]), -abs(f["r"]))),
        "quantityNames": QUANTITIES,
        "sigmoid": list(SIGMOID_GATES),
        "cells": [{
            "label": label,
            "quantities": list(values),
            "lstm": tuple(values) == LSTM,                           # c and h stored as differences
            "scales": {"c": scales(values).tolist()} if "c" in values else {},
            "correlations": {q: [[round(float(x), 2) for x in row] for row in r] for q, r in unit_r[k].items()},
            "saturation": {s.gate: {"left": [round(float(x), 3) for x in s.left],
                                    "right": [round(float(x), 3) for x in s.right]}
                           for s in saturation if s.cell == k},
            "units": [],
            "codes": {},
        } for k, (label, values) in enumerate(zip(trace.labels, trace.cells))],
    }


def _reach_data(positions, norms, summary, unit):
    """The connectivity as the page stores it: the codes of each prediction, its largest norm
    and that norm's lag, and the median curve relative to its peak."""
    peak = np.nanmax(norms, axis=1)                                         # (P,)
    top = np.nanmax(summary.quartiles[1])
    three = lambda values: [float(f"{v:.3g}") for v in np.asarray(values, np.float64).tolist()]
    return {
        "positions": np.asarray(positions).tolist(),
        "maxLag": norms.shape[1] - 1,
        "levels": REACH_LEVELS, "decades": REACH_DECADES,
        "codes": _b64(_deflate(pack(reach_codes(norms).T))),                # prediction after prediction
        "peak": three(peak),
        "peakLag": np.nanargmax(norms, axis=1).tolist(),
        "quartiles": [three(q / top) for q in summary.quartiles],         # relative to the median's peak
        "reach": summary.reach, "decay": summary.decay, "fraction": REACH_FRACTION, "unit": unit,
    }


def _keep_order(findings, scores):
    """(cell, unit) pairs in the order the page keeps them: the findings' units, strongest
    first, then every other unit by its score, highest first."""
    order = [(f.cell, f.unit) for f in sorted((f for fs in findings.values() for f in fs),
                                              key=lambda f: -abs(f.r))]
    rest = sorted(((k, u) for k, s in enumerate(scores) for u in range(len(s))),
                  key=lambda ku: -scores[ku[0]][ku[1]])
    return list(dict.fromkeys(order + rest))                         # each once, first place kept


def _b64(data):
    """base64url (no "/" that could form "//" in the page): the page maps it back for atob."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def _script_json(obj):
    """JSON safe inside <script>: no "<" (so no "</script>"), no "/" (so no "http://")."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace("/", "\\/"))


def _palette_css():
    """One CSS rule per code and scale: #text.div .v3 {...}, #text.seq .v3 {...}, #text.reach .r3 {...}."""
    rules = []
    for scale_name, stops, count in (("div", DIVERGING, DIVERGING_LEVELS), ("seq", SEQUENTIAL, SEQUENTIAL_LEVELS)):
        for code in range(count):
            rules.append(_colour_rule(f"#text.{scale_name} .v{code}, #legend.{scale_name} .v{code}",
                                      _interpolate(stops, code / (count - 1))))
    for code in range(1, REACH_LEVELS):                                   # code 0: no colour
        rules.append(_colour_rule(f"#text.reach .r{code}, #legend.reach .r{code}",
                                  _interpolate(REACH_COLOURS, (code - 1) / (REACH_LEVELS - 2))))
    return "\n".join(rules)


def _colour_rule(selector, rgb):
    """The background ``rgb`` with an ink that reads on it: white on a dark colour."""
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    ink = "#fff" if luminance < 140 else "#111"
    return f"{selector}{{background:rgb{tuple(rgb)};color:{ink}}}"


def _interpolate(stops, x):
    """The colour at x in [0, 1] along evenly spaced hex stops, as (r, g, b) ints."""
    colours = [np.array([int(s[i:i + 2], 16) for i in (1, 3, 5)], float) for s in stops]
    position = x * (len(stops) - 1)
    j = min(int(position), len(stops) - 2)
    mixed = colours[j] + (position - j) * (colours[j + 1] - colours[j])
    return [int(round(c)) for c in mixed]


def _render(data):
    """The page: TEMPLATE with its {{slots}} filled in one pass (text never refills a slot)."""
    about = data["about"]
    slots = {"title": html.escape(about["title"]), "model": html.escape(about["model"]),
             "source": html.escape(about["source"]), "palette": _palette_css(), "data": _script_json(data),
             "levels": f"{DIVERGING_LEVELS} from blue to red, {SEQUENTIAL_LEVELS} from white to green"}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: slots[m.group(1)], TEMPLATE)


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minirnn inspect: {{title}}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #111; background: #fff; }
header, #controls, #info { padding: 0 1.2rem; }
h1 { font-size: 1.25rem; margin: .8rem 0 .2rem; }
h2 { font-size: 1rem; margin: .4rem 0; }
header p { margin: .1rem 0; color: #444; }
#controls { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .6rem 0 .2rem; }
#controls label { font-weight: 600; }
select, button { font: inherit; }
#legend { display: inline-flex; align-items: center; gap: 1px; font-size: .8rem; }
#legend span { display: inline-block; min-width: 1.1rem; height: 1.1rem; text-align: center; }
#legend .end { min-width: auto; background: none; padding: 0 .3rem; }
#info { color: #333; margin: .2rem 0 .4rem; min-height: 2.9em; }
#layout { display: grid; grid-template-columns: minmax(0, 1fr) 21rem; gap: 1rem; padding: 0 1.2rem 1.2rem; }
#text { font: 14px/1.6 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all;
        border: 1px solid #ccc; padding: .6rem; max-height: 75vh; overflow-y: auto; }
#text:focus { outline: 2px solid #1f6feb; }
#text span.cur { outline: 2px solid #000; outline-offset: -1px; }
#text span.unk { text-decoration: underline wavy #c00; }
#text span.nl { opacity: .55; }
#side { max-height: 80vh; overflow-y: auto; }
#findings { padding-left: 1.6rem; margin: 0; }
#findings li { margin: 0 0 .45rem; }
#findings .feature { font-weight: 600; }
#findings .about { font-weight: 400; color: #555; font-size: .85rem; }
#findings button { background: #fff; border: 1px solid #bbb; border-radius: 3px; padding: 0 .3rem; margin: .1rem .2rem 0 0;
                   cursor: pointer; font-size: .85rem; }
#findings button:hover, #findings button:focus { border-color: #1f6feb; outline: 1px solid #1f6feb; }
#findings button[aria-pressed="true"] { background: #dbe7fd; border-color: #1f6feb; }
#findings button:disabled { color: #999; border-style: dashed; cursor: default; }
#findings .absent { color: #777; font-size: .85rem; }
#tip { position: fixed; z-index: 2; background: #fff; border: 1px solid #888; box-shadow: 0 2px 8px #0003;
       padding: .4rem .6rem; font-size: .85rem; pointer-events: none; min-width: 14rem; }
#tip table { border-collapse: collapse; }
#tip td { padding: 0 .3rem; white-space: pre; }
#tip .bar { display: inline-block; height: .7em; background: #1f6feb; }
#tip .actual { font-weight: 700; }
#unitControls { display: inline-flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; }
#unitControls[hidden] { display: none; }
#text.reach span.m { text-decoration: underline dotted #bbb; text-underline-offset: 3px; }
#text span.at { outline: 2px solid #000; outline-offset: -1px; }
#curve svg { display: block; margin: .2rem 0; }
#curve text { font-size: 9px; fill: #444; }
#curve .grid { stroke: #e4e4e4; }
#curve .band { fill: #fdae6b; opacity: .45; }
#curve .median { fill: none; stroke: #d94801; stroke-width: 1.6; }
#curve .threshold { stroke: #555; stroke-dasharray: 3 2; }
#curve .reach { stroke: #7f2704; stroke-dasharray: 1 2; }
#reachNote { font-size: .85rem; color: #333; }
kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 .25em; font-size: .85em; }
footer { padding: 0 1.2rem 1rem; color: #555; font-size: .85rem; }
{{palette}}
</style>
</head>
<body>
<header>
<h1>Inside {{title}}</h1>
<p>{{model}}</p>
<p>{{source}}</p>
<p id="held"></p>
</header>
<section id="controls" aria-label="what colours the text">
<label for="mode">colour by</label><select id="mode">
<option value="units">a unit's value</option><option value="reach">what a prediction depends on</option></select>
<span id="unitControls">
<label for="cell">layer</label><select id="cell"></select>
<label for="quantity">quantity</label><select id="quantity"></select>
<label for="unit">unit</label><select id="unit"></select>
<button id="prev" type="button" title="previous unit ([)">&#9664;</button>
<button id="next" type="button" title="next unit (])">&#9654;</button>
</span>
<span id="legend" aria-hidden="true"></span>
</section>
<p id="info" aria-live="polite"></p>
<div id="layout">
<div id="text" tabindex="0" role="textbox" aria-readonly="true"
     aria-label="the text, coloured by the chosen unit; arrow keys move from token to token"></div>
<aside id="side">
<section id="reachBox" hidden>
<h2>How far back a prediction looks</h2>
<div id="curve"></div>
<p id="reachNote"></p>
</section>
<section id="unitsBox">
<h2>Units that track something</h2>
<p>The three units (h, or in an LSTM also c) whose values follow each feature of the text most closely:
Pearson correlation r over this text. Choose one to colour the text by it.</p>
<ol id="findings"></ol>
</section>
</aside>
</div>
<div id="tip" role="status" hidden></div>
<footer>Keys: <kbd>[</kbd> <kbd>]</kbd> previous / next unit; in the text, <kbd>&larr;</kbd> <kbd>&rarr;</kbd>
move one token (<kbd>Home</kbd> <kbd>End</kbd> to either end) and show what the model expects next;
<kbd>Esc</kbd> hides it. Each token shows the unit's value after reading it, as one of the scale's colours:
{{levels}}. Colouring by what a prediction depends on, the arrow keys move from one measured prediction to
the next; <code>#reach=120</code> at the end of the address opens the page on the prediction after token 120.
Made by <code>minirnn inspect</code>.</footer>
<script type="application/json" id="data">{{data}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const T = D.tokens.length;
const SIGMOID = new Set(D.sigmoid);
const state = { mode: "units", cell: 0, quantity: "h", unit: 0, cursor: -1, hover: -1, codes: null, at: -1 };

function bytes(b64) {
  const s = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
async function inflate(b64) {
  const stream = new Blob([bytes(b64)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
function shown(token) {                          // how a token is written in lists
  return token.replace(/\\n/g, "\\u21b5").replace(/ /g, "\\u2423").replace(/\\t/g, "\\u21e5");
}
const fmt = (x, digits) => (x >= 0 ? "+" : "\\u2212") + Math.abs(x).toFixed(digits);

// ---- codes and values: page.py's quantise and dequantise ----
const levels = (q) => (SIGMOID.has(q) ? D.levels.seq : D.levels.div);
const MID = (D.levels.div - 1) / 2;              // the code of 0 on the diverging scale
function toCode(q, v, scale = 1) {
  if (SIGMOID.has(q)) return Math.floor(Math.min(1, Math.max(0, v)) * (levels(q) - 1) + 0.5);
  return MID + Math.floor(Math.min(1, Math.max(-1, v / scale)) * MID + 0.5);
}
function value(q, code, scale = 1) {
  return SIGMOID.has(q) ? code / (levels(q) - 1) : (code - MID) / MID * scale;
}

// ---- each unit's codes, as page.py stores them ----
// ORDER[j]: the step of a unit's j-th stored code; steps sorted by the text before them,
// read backwards (page.py's context_order), so that equal contexts sit side by side.
const ORDER = Array.from(D.ids.keys()).sort((a, b) => {
  for (let j = 0; j < D.context; j++) {
    const x = a >= j ? D.ids[a - j] : -1, y = b >= j ? D.ids[b - j] : -1;
    if (x !== y) return x - y;
  }
  return a - b;
});
const packed = [];                               // per cell: quantity -> the units' codes, 2 per byte
const unitCodes = new Map();                     // "cell/unit" -> {quantity: Uint8Array (T)}
async function inflateAll() {
  for (const c of D.cells) {
    const streams = {};
    for (const q of Object.keys(c.codes)) streams[q] = await inflate(c.codes[q]);
    packed.push(streams);
  }
}
function decode(k, u) {                          // {quantity: codes (T), in the text's order}
  const c = D.cells[k], half = Math.ceil(T / 2), start = c.units.indexOf(u) * half;
  const codes = {};
  for (const q of c.quantities) {
    const pairs = packed[k][q].subarray(start, start + half), out = new Uint8Array(T);
    for (let j = 0; j < T; j++) out[ORDER[j]] = j % 2 === 0 ? pairs[j >> 1] >> 4 : pairs[j >> 1] & 15;
    codes[q] = out;
  }
  if (c.lstm) addPredictions(codes, c.scales.c[u]);
  return codes;
}
function addPredictions(codes, cScale) {         // an LSTM's c and h were stored as differences from
  let cBefore = 0;                               // c_t = f_t c_(t-1) + i_t g_t and h_t = o_t tanh(c_t)
  for (let t = 0; t < T; t++) {
    const cGuess = toCode("c", value("f", codes.f[t]) * cBefore + value("i", codes.i[t]) * value("g", codes.g[t]), cScale);
    codes.c[t] = (codes.c[t] + cGuess) % levels("c");
    cBefore = value("c", codes.c[t], cScale);
    const hGuess = toCode("h", value("o", codes.o[t]) * Math.tanh(cBefore));
    codes.h[t] = (codes.h[t] + hGuess) % levels("h");
  }
}
function codesOf(k, u) {
  const key = k + "/" + u;
  if (!unitCodes.has(key)) unitCodes.set(key, decode(k, u));
  return unitCodes.get(key);
}

// ---- connectivity: what each measured prediction depends on (page.py's reach_codes) ----
const R = D.reach;                               // null when not measured
const measured = new Map();                      // token index -> index of its prediction in R.positions
if (R) R.positions.forEach((j, p) => measured.set(j, p));
let reachPacked = null;                          // the inflated codes: K + 1 per prediction, 2 per byte
function reachCodes(p) {                         // prediction p's codes, lag k at [k]
  const n = R.maxLag + 1, half = Math.ceil(n / 2), out = new Uint8Array(n);
  const pairs = reachPacked.subarray(p * half, (p + 1) * half);
  for (let k = 0; k < n; k++) out[k] = k % 2 === 0 ? pairs[k >> 1] >> 4 : pairs[k >> 1] & 15;
  return out;
}
function nearest(i) {                            // the measured prediction nearest to token i
  let lo = 0, hi = R.positions.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (R.positions[mid] < i) lo = mid + 1; else hi = mid; }
  return lo > 0 && i - R.positions[lo - 1] <= Math.abs(R.positions[lo] - i) ? lo - 1 : lo;
}

// ---- the text, one span per token ----
const spans = [];
const unknown = new Set(D.unknown);
const fragment = document.createDocumentFragment();
D.tokens.forEach((token, i) => {
  const span = document.createElement("span");
  span.textContent = token.replace(/\\n/g, "\\u21b5\\n");
  span.dataset.i = i;
  spans.push(span);
  fragment.appendChild(span);
});
$("text").appendChild(fragment);
const extra = D.tokens.map((t, i) => (unknown.has(i) ? " unk" : "") + (t.includes("\\n") ? " nl" : ""));

// ---- controls ----
function option(select, value, label) {
  const o = document.createElement("option");
  o.value = value; o.textContent = label; select.appendChild(o);
}
D.cells.forEach((c, k) => option($("cell"), k, c.label + (c.units.length ? "" : " (no unit held)")));
if (!R) { $("mode").options[1].disabled = true; $("mode").options[1].textContent += " (not measured)"; }
D.cells.forEach((c, k) => { $("cell").options[k].disabled = c.units.length === 0; });
$("cell").disabled = D.cells.length === 1;
const storedUnits = (k) => D.cells[k].units;
const heldUnits = D.cells.reduce((n, c) => n + c.units.length, 0);
const allUnits = D.cells.reduce((n, c) => n + c.correlations.h.length, 0);
$("held").textContent = heldUnits === allUnits ? `All ${allUnits} units are here.` :
  `This page holds ${heldUnits} of the ${allUnits} units (every quantity of each): the ranked ones first, ` +
  `then the others by their largest correlation with a feature; give minirnn inspect fewer --chars or a larger --page-mb for more.`;

function fillCell() {
  const c = D.cells[state.cell];
  $("quantity").replaceChildren();
  c.quantities.forEach((q) => option($("quantity"), q, D.quantityNames[q]));
  $("unit").replaceChildren();
  const tracked = new Map();
  D.findings.filter((f) => f.cell === state.cell).forEach((f) => {
    if (!tracked.has(f.unit)) tracked.set(f.unit, `${f.feature} ${fmt(f.r, 2)} (${f.quantity})`);
  });
  storedUnits(state.cell).forEach((u) => option($("unit"), u, tracked.has(u) ? `${u} \\u00b7 ${tracked.get(u)}` : String(u)));
}

function choose(cell, quantity, unit) {
  if (cell !== state.cell) { state.cell = cell; fillCell(); }
  const c = D.cells[cell];
  state.quantity = c.quantities.includes(quantity) ? quantity : c.quantities[0];
  const units = storedUnits(cell);
  state.unit = units.includes(unit) ? unit : units[0];
  $("cell").value = String(cell); $("quantity").value = state.quantity; $("unit").value = String(state.unit);
  state.codes = codesOf(cell, state.unit)[state.quantity];
  paint();
}

function paint() {
  if (state.mode === "reach") { paintReach(); return; }
  shaded = [];
  const seq = SIGMOID.has(state.quantity);
  $("text").className = seq ? "seq" : "div";
  $("legend").className = seq ? "seq" : "div";
  for (let i = 0; i < T; i++) spans[i].className = "v" + state.codes[i] + extra[i];
  if (state.cursor >= 0) spans[state.cursor].classList.add("cur");
  legend(); info();
  document.querySelectorAll("#findings button").forEach((b) => b.setAttribute("aria-pressed",
    String(+b.dataset.cell === state.cell && b.dataset.quantity === state.quantity && +b.dataset.unit === state.unit)));
  const i = state.hover >= 0 ? state.hover : state.cursor;
  if (i >= 0 && !$("tip").hidden) tip(i);
}

// ---- colouring by connectivity ----
let shaded = [];                                 // the tokens shade() coloured
const baseClass = (i) => extra[i] + (measured.has(i) ? " m" : "");
function paintReach() {
  $("text").className = "reach"; $("legend").className = "reach";
  for (let i = 0; i < T; i++) spans[i].className = baseClass(i);
  shaded = [];
  if (state.cursor >= 0) spans[state.cursor].classList.add("cur");
  shade(state.at);
  const el = $("legend");
  el.replaceChildren();
  const end = (text) => { const s = document.createElement("span"); s.className = "end"; s.textContent = text; el.appendChild(s); };
  end(`1e-${R.decades}`);
  for (let code = 1; code < R.levels; code++) { const s = document.createElement("span"); s.className = "r" + code; el.appendChild(s); }
  end("1 \u00d7 the prediction's largest gradient");
  $("info").textContent = `Each earlier token shaded by how much the chosen prediction depends on it: the norm of the ` +
    `gradient of its log probability on that token's input vector, relative to its largest, log scale (white: below ` +
    `1e-${R.decades} of it). Measured for ${R.positions.length.toLocaleString("en")} of the ${(T - 1).toLocaleString("en")} ` +
    `predictions (dotted underline); ` +
    `hover one, or click the text and move with the arrow keys.`;
}
function shade(p) {                              // colour the tokens that prediction p (-1: none) depends on
  shaded.forEach((i) => { spans[i].className = baseClass(i) + (i === state.cursor ? " cur" : ""); });
  shaded = [];
  state.at = p;
  if (p < 0 || !reachPacked) return;
  const j = R.positions[p], codes = reachCodes(p);
  for (let k = 0; k <= Math.min(R.maxLag, j); k++) {
    if (codes[k] > 0) { spans[j - k].classList.add("r" + codes[k]); shaded.push(j - k); }
  }
  spans[j].classList.add("at"); shaded.push(j);
}
function drawCurve() {                           // the median over the predictions against k, log scale
  const [q1, med, q3] = R.quartiles, K = R.maxLag, W = 320, H = 160, left = 34, right = 8, top = 6, bottom = 26;
  const logs = q1.concat(med).filter((v) => v > 0).map(Math.log10);
  const lo = Math.max(-40, Math.floor(Math.min(-3, ...logs)));
  const x = (k) => (left + k / K * (W - left - right)).toFixed(1);
  const y = (v) => (top + Math.log10(Math.max(v, 10 ** lo)) / lo * (H - top - bottom)).toFixed(1);
  const points = (vs) => vs.map((v, k) => `${x(k)},${y(v)}`);
  let marks = "";
  const every = Math.max(1, Math.ceil(-lo / 5));
  for (let d = 0; d >= lo; d -= every) {
    marks += `<line class="grid" x1="${left}" x2="${W - right}" y1="${y(10 ** d)}" y2="${y(10 ** d)}"/>` +
             `<text x="${left - 3}" y="${+y(10 ** d) + 3}" text-anchor="end">${d === 0 ? "1" : "1e" + d}</text>`;
  }
  for (const k of [0, Math.round(K / 2), K]) marks += `<text x="${x(k)}" y="${H - bottom + 11}" text-anchor="middle">${k}</text>`;
  marks += `<text x="${(W + left) / 2}" y="${H - 3}" text-anchor="middle">lag k (${R.unit} back)</text>`;
  const reachLine = R.reach === null ? "" :
    `<line class="reach" x1="${x(R.reach)}" x2="${x(R.reach)}" y1="${top}" y2="${H - bottom}"/>`;
  $("curve").innerHTML = `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" ` +
    `aria-label="median gradient norm against the lag, log scale">${marks}` +
    `<polygon class="band" points="${points(q3).join(" ")} ${points(q1).reverse().join(" ")}"/>` +
    `<polyline class="median" points="${points(med).join(" ")}"/>` +
    `<line class="threshold" x1="${left}" x2="${W - right}" y1="${y(R.fraction)}" y2="${y(R.fraction)}"/>${reachLine}</svg>`;
  const reach = R.reach === null ? `more than ${K} ${R.unit}: the median stays above ${100 * R.fraction}% of its peak up to k = ${K}` :
    `${R.reach} ${R.unit}: the median falls below ${100 * R.fraction}% of its peak (dashed) at k = ${R.reach} (dotted)`;
  const decay = R.decay === null ? "" : ` Over lags ${Math.floor(K / 2)}\u2013${K} the median keeps ` +
    `${R.decay.toFixed(3)} of itself per step back (1 would be no vanishing at all).`;
  $("reachNote").textContent = `Median (line) and quartiles (band) of the gradient norm over the ${R.positions.length} ` +
    `measured predictions, relative to the median's peak. The model's reach: ${reach}.${decay}`;
}
function setMode(mode) {
  state.mode = mode === "reach" && R ? "reach" : "units";
  $("mode").value = state.mode;
  $("unitControls").hidden = $("unitsBox").hidden = state.mode === "reach";
  $("reachBox").hidden = state.mode !== "reach";
  if (state.mode === "reach" && state.cursor >= 0) moveTo(state.cursor);   // onto the nearest measured prediction
  paint();
}

function scaleOf() {                              // the value at the top of the scale
  const c = D.cells[state.cell];
  return state.quantity === "c" ? c.scales.c[state.unit] : 1;
}
function legend() {
  const el = $("legend");
  el.replaceChildren();
  const end = (text) => { const s = document.createElement("span"); s.className = "end"; s.textContent = text; el.appendChild(s); };
  end(SIGMOID.has(state.quantity) ? "0" : fmt(-scaleOf(), 2));
  for (let code = 0; code < levels(state.quantity); code++) { const s = document.createElement("span"); s.className = "v" + code; el.appendChild(s); }
  end(SIGMOID.has(state.quantity) ? "1" : fmt(scaleOf(), 2));
}
function info() {
  const c = D.cells[state.cell], u = state.unit, q = state.quantity;
  let text = `${c.label}, unit ${u}, ${D.quantityNames[q]}.`;
  if (q === "c") text += ` Scaled by its largest |c| over the text, ${scaleOf().toFixed(2)}.`;
  const corr = c.correlations[q];
  if (corr) {
    const parts = D.features.map(([name], k) => [name, corr[u][k]])
      .filter(([, r]) => Math.abs(r) >= 0.1).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .map(([name, r]) => `${name} ${fmt(r, 2)}`);
    text += parts.length ? ` Correlation with ${parts.join(", ")}.` : " No feature correlates above 0.1.";
  }
  const sat = c.saturation[q];
  if (sat) text += ` Below ${D.thresholds[0]} on ${(100 * sat.left[u]).toFixed(0)}% of the steps, ` +
                   `above ${D.thresholds[1]} on ${(100 * sat.right[u]).toFixed(0)}%.`;
  $("info").textContent = text;
}

// ---- what the model expects next ----
let expected = null;                                 // {ids: Uint32Array (T*k), probs: Uint16Array (T*k)}
function tip(i) {
  const el = $("tip");
  el.replaceChildren();
  const head = document.createElement("div");
  if (state.mode === "reach") {
    const p = measured.get(i), k = R.peakLag[p], most = i - k >= 0 ? shown(D.tokens[i - k]) : "<eos>";
    head.textContent = `the prediction after \\u201c${shown(D.tokens[i])}\\u201d (token ${i + 1} of ${T}) depends most ` +
      (k === 0 ? "on that token itself" : `on \\u201c${most}\\u201d, ${k} back`) +
      `: gradient norm ${R.peak[p].toPrecision(2)}`;
  } else {
    const v = value(state.quantity, state.codes[i], scaleOf());
    head.textContent = `after \\u201c${shown(D.tokens[i])}\\u201d (token ${i + 1} of ${T}): ` +
      `${state.quantity} \\u2248 ${SIGMOID.has(state.quantity) ? v.toFixed(2) : fmt(v, 2)}`;
  }
  el.appendChild(head);
  if (expected) {
    const table = document.createElement("table");
    const next = i + 1 < T ? D.ids[i + 1] : -1;
    for (let j = 0; j < D.k; j++) {
      const id = expected.ids[i * D.k + j], p = expected.probs[i * D.k + j] / 1e4;
      const row = table.insertRow();
      if (id === next) row.className = "actual";
      row.insertCell().textContent = shown(D.names[id]);
      row.insertCell().textContent = (100 * p).toFixed(1) + "%";
      const bar = document.createElement("span");
      bar.className = "bar"; bar.style.width = (6 * p) + "rem";
      row.insertCell().appendChild(bar);
    }
    const caption = document.createElement("div");
    caption.textContent = next < 0 ? "the model's likeliest next tokens" :
      `likeliest next tokens; bold: the actual next, \\u201c${shown(D.tokens[i + 1])}\\u201d`;
    el.appendChild(caption); el.appendChild(table);
  }
  el.hidden = false;
  const box = spans[i].getBoundingClientRect(), w = el.offsetWidth, h = el.offsetHeight;
  el.style.left = Math.max(4, Math.min(box.left, innerWidth - w - 4)) + "px";
  el.style.top = (box.bottom + h + 6 < innerHeight ? box.bottom + 4 : Math.max(4, box.top - h - 4)) + "px";
}

// ---- events ----
$("text").addEventListener("mouseover", (e) => {
  if (e.target.dataset.i === undefined) return;
  state.hover = +e.target.dataset.i;
  if (state.mode === "reach") { const p = nearest(state.hover); state.hover = R.positions[p]; shade(p); }
  tip(state.hover);
});
$("text").addEventListener("mouseleave", () => {
  state.hover = -1;
  if (state.mode === "reach") shade(state.cursor >= 0 ? measured.get(state.cursor) : -1);
  if (document.activeElement === $("text") && state.cursor >= 0) tip(state.cursor); else $("tip").hidden = true;
});
$("text").addEventListener("click", (e) => { if (e.target.dataset.i !== undefined) moveTo(+e.target.dataset.i); });
$("text").addEventListener("focus", () => moveTo(state.cursor >= 0 ? state.cursor : 0));
$("text").addEventListener("blur", () => { $("tip").hidden = true; });
function moveTo(i) {                            // in the connectivity mode, onto the nearest measured prediction
  if (state.cursor >= 0) spans[state.cursor].classList.remove("cur");
  state.cursor = Math.max(0, Math.min(T - 1, i));
  if (state.mode === "reach") { const p = nearest(state.cursor); state.cursor = R.positions[p]; shade(p); }
  spans[state.cursor].classList.add("cur");
  spans[state.cursor].scrollIntoView({ block: "nearest" });
  tip(state.cursor);
}
$("text").addEventListener("keydown", (e) => {
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10, Home: -T, End: T };
  if (!(e.key in moves)) { if (e.key === "Escape") $("tip").hidden = true; return; }
  e.preventDefault();
  if (state.mode !== "reach") { moveTo(state.cursor + moves[e.key]); return; }
  const n = R.positions.length, p = Math.max(0, Math.min(n - 1, measured.get(state.cursor) + moves[e.key]));
  moveTo(R.positions[p]);                                     // from one measured prediction to the next
});
function step(by) {
  if (state.mode === "reach") return;
  const units = storedUnits(state.cell);
  const j = (units.indexOf(state.unit) + by + units.length) % units.length;
  choose(state.cell, state.quantity, units[j]);
}
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "[") step(-1); else if (e.key === "]") step(1);
});
$("prev").addEventListener("click", () => step(-1));
$("next").addEventListener("click", () => step(1));
$("cell").addEventListener("change", () => choose(+$("cell").value, state.quantity, state.unit));
$("quantity").addEventListener("change", () => choose(state.cell, $("quantity").value, state.unit));
$("unit").addEventListener("change", () => choose(state.cell, state.quantity, +$("unit").value));
$("mode").addEventListener("change", () => setMode($("mode").value));

// ---- the ranked list: one line per feature, its strongest units as buttons ----
const byFeature = new Map();
D.findings.forEach((f) => { if (!byFeature.has(f.feature)) byFeature.set(f.feature, []); byFeature.get(f.feature).push(f); });
byFeature.forEach((units, feature) => {
  const li = document.createElement("li");
  const name = document.createElement("div");
  name.className = "feature";
  name.textContent = feature;
  const about = document.createElement("span");
  about.className = "about";
  about.textContent = " " + D.features.find(([n]) => n === feature)[1];
  name.appendChild(about);
  li.appendChild(name);
  units.forEach((f) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.cell = f.cell; b.dataset.quantity = f.quantity; b.dataset.unit = f.unit;
    b.textContent = `${D.cells.length > 1 ? D.cells[f.cell].label + " " : ""}${f.quantity} ${f.unit} r = ${fmt(f.r, 2)}`;
    b.disabled = !D.cells[f.cell].units.includes(f.unit);
    if (b.disabled) b.title = "not held in this page";
    b.addEventListener("click", () => { if (state.mode !== "units") setMode("units"); choose(f.cell, f.quantity, f.unit); });
    li.appendChild(b);
  });
  $("findings").appendChild(li);
});
const absent = D.features.filter(([n]) => !byFeature.has(n));
if (absent.length) {
  const li = document.createElement("li");
  li.className = "absent";
  li.textContent = "not in this text: " + absent.map(([n]) => n).join(", ");
  $("findings").appendChild(li);
}

// ---- start: inflate the codes, then show the strongest finding held, or the first unit ----
const first = D.findings.find((f) => D.cells[f.cell].units.includes(f.unit));
state.cell = first ? first.cell : D.cells.findIndex((c) => c.units.length > 0);
fillCell();
inflateAll()
  .then(() => choose(state.cell, first ? first.quantity : "h", first ? first.unit : storedUnits(state.cell)[0]))
  .then(() => (R ? inflate(R.codes).then((raw) => { reachPacked = raw; drawCurve(); }) : null))
  .then(() => inflate(D.top))
  .then((raw) => {
    const n = T * D.k;
    expected = { ids: new Uint32Array(raw.buffer, 0, n), probs: new Uint16Array(raw.buffer, 4 * n, n) };
  })
  .then(fromHash);
function fromHash() {                            // #reach: colour by connectivity; #reach=120: at token 120
  const m = location.hash.match(/^#reach(?:=(\\d+))?$/);
  if (!m || !R) return;
  setMode("reach");
  if (m[1] !== undefined) { moveTo(+m[1]); spans[state.cursor].scrollIntoView({ block: "center" }); }
}
window.addEventListener("hashchange", fromHash);
</script>
</body>
</html>
"""
