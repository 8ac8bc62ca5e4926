"""`minirnn inspect`: its options, and the command, which runs the stages in data order:

    text.py -> trace.py -> features.py, saturation.py, connectivity.py -> page.py, plots.py,
    the terminal (or, with --json, one JSON object)
"""
import json
import math
import time
from pathlib import Path

import numpy as np

from minirnn.toolkit import argtypes as types
from minirnn.toolkit.atomic import check_folder
from minirnn.toolkit.textfile import printable
from minirnn.inspect.connectivity import MAX_LAG, REACH_FRACTION, connectivity, spread_positions, summarise
from minirnn.inspect.features import (FLAG_R, PERSISTENT, character_features, flags, search_units,
                                      token_features, unit_correlations, unit_scores)
from minirnn.inspect.page import write_page
from minirnn.inspect.plots import heatmap_plot, heatmap_start, reach_plot, saturation_plot
from minirnn.inspect.saturation import LEFT, MOSTLY, RIGHT, gate_saturation
from minirnn.inspect.text import DEFAULT_CHARS, given_text, read_text_file, validation_text
from minirnn.inspect.trace import trace_model
from minirnn.lm import DEFAULT_CHECKPOINT, load_model
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.validate import counted
from minirnn.vocab import EOS

TOP_K = 5                     # next tokens shown per token on the page
CHANCE_WARNING = 0.2          # say so when chance alone gives the best unit a larger |r|
PREDICTIONS = 500             # predictions whose connectivity is measured, spread over the text
                              # (about 10 ms of CPU each at K = 200 for the default 384-unit GRU)
SHOWN_LAGS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)   # the curve's lags in the terminal


def inspect_command(args):
    """Load, read the text, trace, search, measure the connectivity, then write the page and
    plots and print the findings (or one JSON object of them)."""
    started = time.perf_counter()
    inputs = [("--checkpoint", args.checkpoint), ("--text", args.text)]
    inputs += [("--compare", path) for path in args.compare or ()]
    out = output_folder(args.out, args.checkpoint, inputs)          # refused before any work
    with blas_threads(1):
        model, vocab, checkpoint = load_model(args.checkpoint, backend=args.backend)
        others = [compared(path, vocab, args.backend) for path in args.compare or ()]
        text = choose_text(args, checkpoint, vocab)
        max_lag = lag_limit(args.max_lag, len(text.tokens))
        trace = trace_model(model, text.ids, top_k=TOP_K).from_step(1)   # step t: after token t
        positions, reach = None, None
        if args.predictions and max_lag:
            # the predictions after tokens j = 0 .. T-2 (each has a next token); in the ids, which
            # begin with <eos>, token j is read at step j + 1
            positions = spread_positions(len(text.tokens) - 1, args.predictions)    # (P,) token indices
            reach = [measure(m, c, model_ids(text, vocab, v), positions, max_lag, args.float64)
                     for m, v, c in [(model, vocab, checkpoint)] + others]
    features = character_features("".join(text.tokens), text.document_starts)
    if vocab.level == "word":
        features = token_features(features, text.tokens)
    unit_r = unit_correlations(trace.cells, features)
    findings, constant = search_units(unit_r, features)
    saturation = gate_saturation(trace.cells)
    chance = chance_r(sum(r.shape[0] for cell in unit_r for r in cell.values()), len(text.tokens))
    unit = "characters" if vocab.level == "char" else "words"

    about = {"title": printable(checkpoint.path), "model": describe(checkpoint), "source": text.source}
    measured = None if reach is None else (positions, reach[0]["norms"], reach[0]["summary"], unit)
    size, stored, total = write_page(out / "index.html", text, trace, vocab.tokens, findings, unit_r,
                                     unit_scores(unit_r), saturation, about,
                                     max_bytes=int(args.page_mb * 1e6), connectivity=measured)
    page = {"path": str(out / "index.html"), "bytes": size, "units_stored": stored, "units": total}
    plots = write_plots(out, text, vocab, trace, features, findings, saturation, reach, unit)
    seconds = time.perf_counter() - started

    if args.json:
        print(json.dumps(json_report(checkpoint, text, trace, findings, constant, saturation, chance, reach,
                                     page, plots, seconds)))
        return 0
    steps = counted(len(text.tokens), "character" if vocab.level == "char" else "token")
    print(f"checkpoint: {checkpoint.path}\n{describe(checkpoint)}\ntext: {text.source}")
    if text.unknown:
        print(unknown_line(text.unknown, vocab.level))
    states = "h hidden state" + (", c cell state" if "c" in trace.cells[0] else "")
    print(f"\nunits that track a feature: |Pearson r| over {steps}, {states}")
    if chance > CHANCE_WARNING:
        print(f"  (over so short a text the best of many unrelated units reaches |r| = {chance:.2f} "
              f"by chance alone: give a longer text; by default {DEFAULT_CHARS:,} characters of the "
              "validation text)")
    print(findings_table(findings, constant, trace.labels))
    print(flags_line(flags(findings), trace.labels))
    print(saturation_table(saturation, trace.labels))
    print(reach_table(reach, unit) if reach is not None else
          "\nconnectivity: not measured (--predictions 0, or a text of one token)")
    written = [f"{page['path']} ({size / 1e6:.2f} MB, every quantity of {stored} of the {counted(total, 'unit')})"]
    print(f"\nwrote {', '.join(written + plots)} in {seconds:.1f} s")
    return 0


def write_plots(out, text, vocab, trace, features, findings, saturation, reach, unit):
    """saturation.png, heatmap.png and reach.png into ``out``, each when it has something to show
    (and matplotlib is installed); returns the paths written, as str."""
    written = []
    if saturation_plot(out / "saturation.png", saturation, trace.labels):
        written.append(str(out / "saturation.png"))
    rows = heatmap_rows(findings, trace.labels)
    if rows:
        first = max((fs[0] for fs in findings.values()), key=lambda f: abs(f.r))
        start = heatmap_start(features[first.feature], text.tokens)
        if heatmap_plot(out / "heatmap.png", text.tokens, trace.cells, trace.labels, rows, start, vocab.level):
            written.append(str(out / "heatmap.png"))
    if reach is not None and reach_plot(out / "reach.png", [(m["label"], m["summary"]) for m in reach], unit):
        written.append(str(out / "reach.png"))
    for name in PLOTS:                      # a picture this run did not draw is an earlier run's: remove it
        if str(out / name) not in written:
            (out / name).unlink(missing_ok=True)
    return written


PLOTS = ("saturation.png", "heatmap.png", "reach.png")      # the pictures write_plots may draw


def chance_r(units, n):
    """About the largest |r| that ``units`` unrelated series reach by chance over ``n`` steps:
    each r is roughly normal with standard deviation 1/sqrt(n), and the largest of M such
    values is about sqrt(2 ln M / n) (capped at 1). Neighbouring steps are correlated, so
    the true chance level is higher still: this is a lower bound on what means nothing."""
    return min(1.0, math.sqrt(2 * math.log(max(units, 2)) / max(n, 1)))


# ---- the stages' inputs ----------------------------------------------------------------------

OUTPUT_FILES = ("index.html", "saturation.png", "heatmap.png", "reach.png")   # what goes in --out


def output_folder(out, checkpoint, inputs=()):
    """--out as a Path, made if missing; default: the folder 'inspect' beside the checkpoint.
    inputs: the command's input files as (option, path) pairs, none of which may be one of
    the OUTPUT_FILES. Raises ValueError for an empty name, a path that is a file, one that
    cannot be made, or an input file among the files it would get."""
    if out == "":
        raise ValueError("--out '' is an empty name; give a folder, e.g. '.' for this one")
    folder = Path(out) if out is not None else Path(checkpoint).parent / "inspect"
    where = f"--out {str(folder)!r}" if out is not None else f"the output folder {str(folder)!r}"
    return check_folder(folder, where, OUTPUT_FILES, inputs)


def choose_text(args, checkpoint, vocab):
    """The Text that --text, --prompt or (by default) the checkpoint's validation text gives."""
    if args.text is not None:
        return given_text(read_text_file(args.text), vocab, f"--text {args.text!r}", args.chars)
    if args.prompt is not None:
        return given_text(args.prompt, vocab, "--prompt", args.chars)
    return validation_text(checkpoint, vocab, args.chars)


def compared(path, vocab, backend):
    """A --compare checkpoint: (model, vocab, checkpoint); refused unless it reads the same tokens
    (the same level) as --checkpoint."""
    model, other, checkpoint = load_model(path, backend=backend)
    if other.level != vocab.level:
        raise ValueError(f"--compare {str(path)!r} is a {other.level}-level model and --checkpoint a "
                         f"{vocab.level}-level one: the curves compare lags in the same tokens")
    return model, other, checkpoint


def model_ids(text, vocab, other):
    """The text's ids for a compared model: the same ids under the same vocabulary, else its
    tokens encoded with the other vocabulary (tokens it lacks read as <unk>), <eos> first."""
    if other == vocab:
        return text.ids
    return np.concatenate([[EOS], other.encode(text.tokens)]).astype(np.int64)


def lag_limit(max_lag, tokens):
    """K: --max-lag, or MAX_LAG cut to the text; 0 for a text too short for one lag. A --max-lag
    that reaches before the text is refused."""
    longest = tokens - 1                    # the prediction after the last but one token reads back to token 0
    if max_lag is None:
        return min(MAX_LAG, longest) if longest >= 1 else 0
    if max_lag > longest:
        raise ValueError(f"--max-lag {max_lag:,} reaches before the text: its {counted(tokens, 'token')} "
                         f"give lags up to {max(longest, 0):,}; give a smaller --max-lag or a longer text")
    return max_lag


def measure(model, checkpoint, ids, positions, max_lag, float64):
    """The connectivity of one model at the predictions after tokens ``positions``: a dict of its
    label, path, description, norms (P, K+1) and Summary."""
    norms = connectivity(model, ids, positions + 1, max_lag=max_lag, dtype="float64" if float64 else None)
    config = checkpoint.config.get("model", {})
    label = f"{str(config.get('cell', '?')).upper()} {config.get('hidden_size', '?')}"
    if config.get("layers", 1) != 1:
        label += f" x {config['layers']} layers"
    return {"label": f"{label} ({printable(checkpoint.path)})", "path": str(checkpoint.path), "model": describe(checkpoint),
            "norms": norms, "summary": summarise(norms)}


# ---- the terminal ----------------------------------------------------------------------------

def describe(checkpoint):
    """'LSTM, 1 layer of 256 units, char level, float32; step 2600, validation 2.04 bits per token'"""
    config = checkpoint.config
    model = config.get("model", {})
    layers = model.get("layers", 1)
    text = (f"{str(model.get('cell', '?')).upper()}, {layers} layer{'s' if layers != 1 else ''} of "
            f"{model.get('hidden_size', '?')} units, {config.get('settings', {}).get('level', '?')} level, "
            f"{model.get('dtype', '?')}")
    if isinstance(config.get("valid_bits"), (int, float)):
        text += f"; step {config.get('step', '?')}, validation loss {config['valid_bits']:.3f} bits per token"
    return text


def unknown_line(unknown, level):
    """'2 characters not in the vocabulary, read as <unk>: 'é' (1), '€' (1)'"""
    n = counted(sum(unknown.values()), "character" if level == "char" else "word")
    shown = ", ".join(f"{token!r} ({times})" for token, times in unknown.most_common(10))
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    return f"{n} not in the vocabulary, read as <unk>: {shown}{more}"


def unit_name(finding, labels):
    return f"{labels[finding.cell]} {finding.quantity} {finding.unit}"


def findings_table(findings, constant, labels):
    rows = [f"  {'feature':<15}{'best unit':<20}{'r':>6}   next best"]
    for name, (best, *others) in findings.items():
        rest = ", ".join(f"{unit_name(f, labels)} {f.r:+.2f}" for f in others)
        rows.append(f"  {name:<15}{unit_name(best, labels):<20}{best.r:>+6.2f}   {rest}")
    if constant:
        rows.append(f"  not in this text: {', '.join(constant)}")
    return "\n".join(rows)


def flags_line(found, labels):
    head = f"flags, units that follow an on/off state that lasts ({' or '.join(PERSISTENT)}) with |r| >= {FLAG_R}"
    if not found:
        return f"{head}: none"
    return f"{head}: " + ", ".join(f"{unit_name(f, labels)} ({f.feature}, r = {f.r:+.2f})" for f in found)


def saturation_table(saturation, labels):
    if not saturation:
        return "\ngate saturation: none, the simple RNN has no gates"
    rows = [f"\ngate saturation (Karpathy et al. 2015): a gate is shut below {LEFT}, open above {RIGHT}",
            f"  {'layer':<18}{'gate':<6}{'mostly shut':>12}{'mostly open':>13}{'steps shut':>12}{'steps open':>12}"]
    for s in saturation:
        rows.append(f"  {labels[s.cell]:<18}{s.gate:<6}{s.mostly_left():>12.0%}{s.mostly_right():>13.0%}"
                    f"{s.left.mean():>12.0%}{s.right.mean():>12.0%}")
    rows.append(f"  mostly: the share of units shut (or open) on more than {MOSTLY:.0%} of the steps; "
                f"steps: the mean share of steps")
    return "\n".join(rows)


def reach_table(reach, unit):
    """The connectivity's lines: each model's median relative to its peak at a few lags, its
    reach and the tail's decay per step."""
    K = reach[0]["norms"].shape[1] - 1
    lags = [k for k in SHOWN_LAGS if k < K] + [K]
    rows = [f"\nconnectivity (Madsen 2019): how much each prediction depends on the input k {unit} back,",
            f"||d log p(x_(t+1) | x_1..x_t) / d e_(t-k)|| with e_s the input vector of step s (its embedding, "
            f"or one-hot),\nat {counted(len(reach[0]['norms']), 'prediction')} spread over the text, k = 0..{K}"]
    if len(reach) > 1:
        rows += [f"  [{j + 1}] {m['path']}: {m['model']}" for j, m in enumerate(reach)]
    rows.append(f"  {'median / peak at k':<20}" + "".join(f"{k:>8}" for k in lags) + f"{'reach':>8}{'per step':>10}")
    for j, m in enumerate(reach):
        median, reach_k, decay = m["summary"].quartiles[1], m["summary"].reach, m["summary"].decay
        name = "median" if len(reach) == 1 else f"[{j + 1}]"
        rows.append(f"  {name:<20}" + "".join(f"{median[k] / median.max():>8.2g}" for k in lags)
                    + f"{reach_k if reach_k is not None else f'> {K}':>8}"
                    + (f"{decay:>10.3f}" if decay is not None else f"{'-':>10}"))
    rows.append(f"  reach: the first lag after the median's peak where it falls below {REACH_FRACTION:.0%} of it; "
                f"per step: the factor by which\n  the median shrinks per step back over lags {K // 2}-{K} "
                f"(least squares on its logarithm; 1: no vanishing at all)")
    return "\n".join(rows)


def json_report(checkpoint, text, trace, findings, constant, saturation, chance, reach, page, plots, seconds):
    """Everything the terminal shows, as one JSON-able dict."""
    labels = trace.labels

    def unit(f):
        return {"layer": labels[f.cell], "quantity": f.quantity, "unit": f.unit, "r": round(float(f.r), 4)}
    report = {
        "checkpoint": str(checkpoint.path), "model": describe(checkpoint), "text": text.source,
        "tokens": len(text.tokens), "unknown": dict(text.unknown.most_common()),
        "features": {name: [unit(f) for f in fs] for name, fs in findings.items()},
        "not_in_text": constant, "chance_r": round(chance, 4),
        "flags": {"min_r": FLAG_R, "units": [{"feature": f.feature, **unit(f)} for f in flags(findings)]},
        "gate_saturation": {"shut_below": LEFT, "open_above": RIGHT, "mostly": MOSTLY, "gates": [
            {"layer": labels[s.cell], "gate": s.gate, "mostly_shut": s.mostly_left(), "mostly_open": s.mostly_right(),
             "steps_shut": float(s.left.mean()), "steps_open": float(s.right.mean())} for s in saturation]},
        "connectivity": None,
        "page": page, "plots": plots, "seconds": round(seconds, 2),
    }
    if reach is not None:
        K = reach[0]["norms"].shape[1] - 1
        report["connectivity"] = {
            "measure": "||d log p(x_(t+1) | x_1..x_t) / d e_(t-k)||, nats per unit of the input vector e",
            "max_lag": K, "predictions": len(reach[0]["norms"]), "reach_fraction": REACH_FRACTION,
            "tail_lags": [K // 2, K],
            "models": [{"checkpoint": m["path"], "model": m["model"], "reach": m["summary"].reach,
                        "decay_per_step": m["summary"].decay, "median": m["summary"].quartiles[1].tolist(),
                        "q25": m["summary"].quartiles[0].tolist(), "q75": m["summary"].quartiles[2].tolist()}
                       for m in reach]}
    return report


def heatmap_rows(findings, labels):
    """The best unit of each feature, each unit once: (cell, quantity, unit, row name)."""
    rows = {}
    for best, *_ in sorted(findings.values(), key=lambda fs: -abs(fs[0].r)):
        key = (best.cell, best.quantity, best.unit)
        rows.setdefault(key, f"{unit_name(best, labels)}: {best.feature} {best.r:+.2f}")
    return [(*key, name) for key, name in rows.items()]


# ---- the options -----------------------------------------------------------------------------

def add_inspect_arguments(p):
    p.add_argument("--checkpoint", metavar="PATH", default=DEFAULT_CHECKPOINT,
                   help=f"a language-model checkpoint written by `minirnn train` "
                        f"(default {DEFAULT_CHECKPOINT}, where plain `minirnn train` writes)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--text", metavar="FILE",
                        help="look at this text file (UTF-8 or UTF-16) instead of the "
                             "checkpoint's validation text; characters (or words) outside the "
                             "vocabulary are read as <unk> and counted in the output")
    source.add_argument("--prompt", metavar="TEXT", type=types.utf8_text,
                        help="look at this text instead; outside the vocabulary as with --text")
    p.add_argument("--chars", type=types.positive_int, metavar="N",
                   help=f"look at the first N characters of the text (default {DEFAULT_CHARS:,}, "
                        "or the whole text when shorter); more than the text holds is an error")
    p.add_argument("--out", metavar="DIR",
                   help="write index.html, saturation.png, heatmap.png and reach.png into this folder "
                        "(default: the folder 'inspect' beside the checkpoint)")
    p.add_argument("--page-mb", type=types.float_in(0, 1e5), default=2.0, metavar="MB",
                   help="the page's size limit in megabytes; it holds as many units as fit, the "
                        "ranked ones first (default 2)")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels, or the numpy reference cells (default numba)")
    reach = p.add_argument_group("connectivity: how much each prediction depends on the input k tokens back")
    reach.add_argument("--max-lag", type=types.positive_int, metavar="K",
                       help=f"measure the lags k = 0..K (default {MAX_LAG}, or the text's length when "
                            "shorter); more than the text holds is an error")
    reach.add_argument("--predictions", type=types.non_negative_int, default=PREDICTIONS, metavar="N",
                       help=f"measure N predictions spread evenly over the text, each one backward pass "
                            f"through K + 1 steps (default {PREDICTIONS}; 0: do not measure)")
    reach.add_argument("--float64", action="store_true",
                       help="measure with a float64 copy of the model (default: the model's own dtype)")
    reach.add_argument("--compare", nargs="+", metavar="CHECKPOINT",
                       help="also measure these language-model checkpoints (of the same level) over "
                            "the same text: their curves in reach.png, their reaches in the table")
    p.add_argument("--json", action="store_true",
                   help="print everything the terminal would show (units, gate saturation, "
                        "connectivity) as one JSON object instead, for scripts and notebooks")
    p.set_defaults(run=inspect_command)
