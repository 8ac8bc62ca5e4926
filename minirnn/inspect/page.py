"""The page: one self-contained HTML file that colours the text by any unit.

Everything is inside the file: the CSS, the JavaScript, and the activations as JSON in a
``<script type="application/json">`` element. It makes no network request and opens
from disk. The reader picks a (layer, direction), a quantity (h, c or a gate) and a
unit; each token's background shows that unit's value after reading the token, on a
diverging scale (blue - white - red) for h, c and the tanh candidates g and n, and a
sequential one (white - green) for the sigmoid gates in [0, 1]. Hovering a token, or
moving to it with the arrow keys, shows the model's likeliest next tokens.

How the activations fit in a small page. Colour needs little precision: each value is
quantised to one of 15 levels (a code 0..14; 7 is 0 on a diverging scale), about 0.14
of h's range [-1, 1] per level. The LSTM's c is unbounded, so each c unit is scaled by
its own largest |c| over the text. The codes of one unit, every quantity, (Q, T) uint8,
are compressed with zlib (deflate) and stored as base64; the page inflates a unit when
it is first chosen, with the browser's own DecompressionStream. Even so, a 256-unit
LSTM over 5,000 characters needs about 3.5 MB for all its units, so the page keeps
units while it stays under ``max_bytes``: first those the feature search ranked, then
the others by their largest |correlation| with any feature. It says how many it holds.
"""
import base64
import html
import json
import re
import zlib

import numpy as np

from minirnn.atomic import atomic_write
from minirnn.inspect.features import FEATURES
from minirnn.inspect.saturation import LEFT, RIGHT, SIGMOID_GATES
from minirnn.vocab import UNK

LEVELS = 15                  # colour steps per scale: codes 0 .. LEVELS - 1
MIDDLE = LEVELS // 2         # the code of 0 on a diverging scale
QUANTITIES = {"h": "hidden state h", "c": "cell state c",
              "i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
DIVERGING = ("#2166ac", "#f7f7f7", "#b2182b")      # -1, 0, +1 (ColorBrewer RdBu)
SEQUENTIAL = ("#f7fcf5", "#00441b")                # 0, 1 (ColorBrewer Greens)


def write_page(path, text, trace, token_names, findings, unit_r, scores, saturation, about,
               max_bytes=2_000_000):
    """Write the page to ``path`` (atomically). Returns (bytes, units stored, units in all).

    text         the inspect.text.Text shown: tokens, ids (<eos> first), unknown
    trace        its Trace without the <eos> step (``trace.from_step(1)``): step t is token t
    token_names  id -> how a token is shown among the next tokens
    findings     features.search_units: feature -> list of Finding
    unit_r       features.unit_correlations: per cell, "h"/"c" -> (N, K)
    scores       features.unit_scores: per cell (N,); units are kept in this order
    saturation   saturation.gate_saturation's list
    about        dict of short str for the header: "title", "model", "source"
    Raises ValueError when not even one unit fits in ``max_bytes``.
    """
    data = _page_data(text, trace, token_names, findings, unit_r, saturation, about)
    size = len(_render(data).encode("utf-8"))
    stored = 0
    for k, unit in _keep_order(findings, scores):
        codes = [quantise(trace.cells[k][q][:, unit], q) for q in trace.cells[k]]   # Q x (T,)
        block = _b64(zlib.compress(np.stack(codes).tobytes(), 9))                  # (Q, T) uint8
        units = data["cells"][k]["units"]
        entry = len(_script_json({str(unit): block})) - 2 + (1 if units else 0)    # "u":"...", plus a comma
        if size + entry > max_bytes:
            break
        units[str(unit)] = block
        size, stored = size + entry, stored + 1
    if stored == 0:
        raise ValueError(f"a page for {len(text.tokens):,} tokens holds no unit within "
                         f"{max_bytes / 1e6:g} MB; give fewer --chars or a larger --page-mb")
    page = _render(data)
    atomic_write(path, lambda f: f.write(page), mode="w")
    return len(page.encode("utf-8")), stored, sum(len(s) for s in scores)


def quantise(values, quantity):
    """values (T,) of one unit -> codes (T,) uint8 in [0, LEVELS).

    Sigmoid gates, in [0, 1]: code = round(v * (LEVELS - 1)).
    The others: code = MIDDLE + round(v / scale * MIDDLE), with scale 1 for the tanh-bounded
    h, g and n, and the unit's largest |c| for the cell state (``scale``).
    """
    v = np.asarray(values, np.float64)
    if quantity in SIGMOID_GATES:
        return np.rint(np.clip(v, 0, 1) * (LEVELS - 1)).astype(np.uint8)
    return (MIDDLE + np.rint(np.clip(v / scale(v, quantity), -1, 1) * MIDDLE)).astype(np.uint8)


def scale(values, quantity):
    """The value shown at either end of a diverging scale: 1, or for c the largest |c|."""
    if quantity != "c":
        return 1.0
    largest = float(np.abs(values).max())
    return largest if largest > 0 else 1.0


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
        "levels": LEVELS,
        "thresholds": [LEFT, RIGHT],
        "features": [[name, FEATURES[name]] for name in FEATURES],
        "findings": sorted((f._asdict() for fs in findings.values() for f in fs),
                           key=lambda f: (-max(abs(g.r) for g in findings[f["feature"]]), -abs(f["r"]))),
        "quantityNames": QUANTITIES,
        "sigmoid": list(SIGMOID_GATES),
        "cells": [{
            "label": label,
            "quantities": list(values),
            "scales": {"c": [_round(scale(values["c"][:, u], "c")) for u in range(values["c"].shape[1])]}
                      if "c" in values else {},
            "correlations": {q: [[round(float(x), 2) for x in row] for row in r] for q, r in unit_r[k].items()},
            "saturation": {s.gate: {"left": [round(float(x), 3) for x in s.left],
                                    "right": [round(float(x), 3) for x in s.right]}
                           for s in saturation if s.cell == k},
            "units": {},
        } for k, (label, values) in enumerate(zip(trace.labels, trace.cells))],
    }


def _keep_order(findings, scores):
    """(cell, unit) pairs in the order the page keeps them: the findings' units, strongest
    first, then every other unit by its score, highest first."""
    order = [(f.cell, f.unit) for f in sorted((f for fs in findings.values() for f in fs),
                                              key=lambda f: -abs(f.r))]
    rest = sorted(((k, u) for k, s in enumerate(scores) for u in range(len(s))),
                  key=lambda ku: -scores[ku[0]][ku[1]])
    return list(dict.fromkeys(order + rest))                         # each once, first place kept


def _round(x):
    return float(f"{x:.4g}")


def _b64(data):
    """base64url (no "/" that could form "//" in the page): the page maps it back for atob."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def _script_json(obj):
    """JSON safe inside <script>: no "<" (so no "</script>"), no "/" (so no "http://")."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace("/", "\\/"))


def _palette_css():
    """One CSS rule per code and scale: #text.div .v3 {...}, #text.seq .v3 {...}."""
    rules = []
    for scale_name, stops in (("div", DIVERGING), ("seq", SEQUENTIAL)):
        for code in range(LEVELS):
            rgb = _interpolate(stops, code / (LEVELS - 1))
            luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
            ink = "#fff" if luminance < 140 else "#111"
            rules.append(f"#text.{scale_name} .v{code}, #legend.{scale_name} .v{code}"
                         f"{{background:rgb{tuple(rgb)};color:{ink}}}")
    return "\n".join(rules)


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
             "source": html.escape(about["source"]), "palette": _palette_css(), "data": _script_json(data)}
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
#findings .absent { color: #777; font-size: .85rem; }
#tip { position: fixed; z-index: 2; background: #fff; border: 1px solid #888; box-shadow: 0 2px 8px #0003;
       padding: .4rem .6rem; font-size: .85rem; pointer-events: none; min-width: 14rem; }
#tip table { border-collapse: collapse; }
#tip td { padding: 0 .3rem; white-space: pre; }
#tip .bar { display: inline-block; height: .7em; background: #1f6feb; }
#tip .actual { font-weight: 700; }
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
<label for="cell">layer</label><select id="cell"></select>
<label for="quantity">quantity</label><select id="quantity"></select>
<label for="unit">unit</label><select id="unit"></select>
<button id="prev" type="button" title="previous unit ([)">&#9664;</button>
<button id="next" type="button" title="next unit (])">&#9654;</button>
<span id="legend" aria-hidden="true"></span>
</section>
<p id="info" aria-live="polite"></p>
<div id="layout">
<div id="text" tabindex="0" role="textbox" aria-readonly="true"
     aria-label="the text, coloured by the chosen unit; arrow keys move from token to token"></div>
<aside id="side">
<h2>Units that track something</h2>
<p>The three units (h or c) whose values follow each feature of the text most closely:
Pearson correlation r over this text. Choose one to colour the text by it.</p>
<ol id="findings"></ol>
</aside>
</div>
<div id="tip" role="status" hidden></div>
<footer>Keys: <kbd>[</kbd> <kbd>]</kbd> previous / next unit; in the text, <kbd>&larr;</kbd> <kbd>&rarr;</kbd>
move one token (<kbd>Home</kbd> <kbd>End</kbd> to either end) and show what the model expects next;
<kbd>Esc</kbd> hides it. Each token shows the unit's value after reading it; values are quantised to
15 levels. Made by <code>minirnn inspect</code>.</footer>
<script type="application/json" id="data">{{data}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const T = D.tokens.length, L = D.levels, MID = (L - 1) / 2;
const SIGMOID = new Set(D.sigmoid);
const state = { cell: 0, quantity: "h", unit: 0, cursor: -1, hover: -1, codes: null, serial: 0 };
const unitCodes = new Map();                    // "cell/unit" -> Uint8Array (Q * T)

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
D.cells.forEach((c, k) => option($("cell"), k, c.label));
$("cell").disabled = D.cells.length === 1;
const storedUnits = (k) => Object.keys(D.cells[k].units).map(Number).sort((a, b) => a - b);
const heldUnits = D.cells.reduce((n, c) => n + Object.keys(c.units).length, 0);
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

async function choose(cell, quantity, unit) {
  if (cell !== state.cell) { state.cell = cell; fillCell(); }
  const c = D.cells[cell];
  state.quantity = c.quantities.includes(quantity) ? quantity : c.quantities[0];
  const units = storedUnits(cell);
  state.unit = units.includes(unit) ? unit : units[0];
  $("cell").value = String(cell); $("quantity").value = state.quantity; $("unit").value = String(state.unit);
  const serial = ++state.serial;
  const key = cell + "/" + state.unit;
  if (!unitCodes.has(key)) unitCodes.set(key, await inflate(c.units[state.unit]));
  if (serial !== state.serial) return;           // a newer choice came in while inflating
  const q = c.quantities.indexOf(state.quantity);
  state.codes = unitCodes.get(key).subarray(q * T, (q + 1) * T);
  paint();
}

function paint() {
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

function scaleOf() {                              // the value at the top of the scale
  const c = D.cells[state.cell];
  return state.quantity === "c" ? c.scales.c[state.unit] : 1;
}
function value(code) {
  return SIGMOID.has(state.quantity) ? code / (L - 1) : (code - MID) / MID * scaleOf();
}
function legend() {
  const el = $("legend");
  el.replaceChildren();
  const end = (text) => { const s = document.createElement("span"); s.className = "end"; s.textContent = text; el.appendChild(s); };
  end(SIGMOID.has(state.quantity) ? "0" : fmt(-scaleOf(), 2));
  for (let code = 0; code < L; code++) { const s = document.createElement("span"); s.className = "v" + code; el.appendChild(s); }
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
  const v = value(state.codes[i]);
  head.textContent = `after \\u201c${shown(D.tokens[i])}\\u201d (token ${i + 1} of ${T}): ` +
    `${state.quantity} \\u2248 ${SIGMOID.has(state.quantity) ? v.toFixed(2) : fmt(v, 2)}`;
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
  state.hover = +e.target.dataset.i; tip(state.hover);
});
$("text").addEventListener("mouseleave", () => {
  state.hover = -1;
  if (document.activeElement === $("text") && state.cursor >= 0) tip(state.cursor); else $("tip").hidden = true;
});
$("text").addEventListener("click", (e) => { if (e.target.dataset.i !== undefined) moveTo(+e.target.dataset.i); });
$("text").addEventListener("focus", () => moveTo(state.cursor >= 0 ? state.cursor : 0));
$("text").addEventListener("blur", () => { $("tip").hidden = true; });
function moveTo(i) {
  if (state.cursor >= 0) spans[state.cursor].classList.remove("cur");
  state.cursor = Math.max(0, Math.min(T - 1, i));
  spans[state.cursor].classList.add("cur");
  spans[state.cursor].scrollIntoView({ block: "nearest" });
  tip(state.cursor);
}
$("text").addEventListener("keydown", (e) => {
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10, Home: -T, End: T };
  if (e.key in moves) { e.preventDefault(); moveTo(state.cursor + moves[e.key]); }
  else if (e.key === "Escape") $("tip").hidden = true;
});
function step(by) {
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
    b.addEventListener("click", () => choose(f.cell, f.quantity, f.unit));
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

// ---- start: the strongest finding, or the first unit; then inflate the rest meanwhile ----
fillCell();
const first = D.findings[0];
choose(first ? first.cell : 0, first ? first.quantity : "h", first ? first.unit : storedUnits(0)[0])
  .then(() => inflate(D.top))
  .then((raw) => {
    const n = T * D.k;
    expected = { ids: new Uint32Array(raw.buffer, 0, n), probs: new Uint16Array(raw.buffer, 4 * n, n) };
    return Promise.all(D.cells.flatMap((c, k) => storedUnits(k).map(async (u) => {
      const key = k + "/" + u;
      if (!unitCodes.has(key)) unitCodes.set(key, await inflate(c.units[u]));
    })));
  });
</script>
</body>
</html>
"""
