"""`minirnn inspect`: its options, and the command, which runs the stages in data order:

    text.py -> trace.py -> features.py, saturation.py -> page.py, plots.py, the terminal
"""
import math
import time
from pathlib import Path

from minirnn.toolkit import argtypes as types
from minirnn.toolkit.atomic import check_folder
from minirnn.toolkit.textfile import printable
from minirnn.inspect.features import (FLAG_R, PERSISTENT, character_features, flags, search_units,
                                      token_features, unit_correlations, unit_scores)
from minirnn.inspect.page import write_page
from minirnn.inspect.plots import heatmap_plot, heatmap_start, saturation_plot
from minirnn.inspect.saturation import LEFT, MOSTLY, RIGHT, gate_saturation
from minirnn.inspect.text import DEFAULT_CHARS, given_text, read_text_file, validation_text
from minirnn.inspect.trace import trace_model
from minirnn.lm import DEFAULT_CHECKPOINT, load_model
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.validate import counted

TOP_K = 5                     # next tokens shown per token on the page
CHANCE_WARNING = 0.2          # say so when chance alone gives the best unit a larger |r|


def inspect_command(args):
    """Load, read the text, trace, search, then write the page and plots and print the findings."""
    started = time.perf_counter()
    out = output_folder(args.out, args.checkpoint)                  # refused before any work
    with blas_threads(1):
        model, vocab, checkpoint = load_model(args.checkpoint, backend=args.backend)
        text = choose_text(args, checkpoint, vocab)
        trace = trace_model(model, text.ids, top_k=TOP_K).from_step(1)   # step t: after token t
    features = character_features("".join(text.tokens), text.document_starts)
    if vocab.level == "word":
        features = token_features(features, text.tokens)
    unit_r = unit_correlations(trace.cells, features)
    findings, constant = search_units(unit_r, features)
    saturation = gate_saturation(trace.cells)

    steps = counted(len(text.tokens), "character" if vocab.level == "char" else "token")
    print(f"checkpoint: {checkpoint.path}\n{describe(checkpoint)}\ntext: {text.source}")
    if text.unknown:
        print(unknown_line(text.unknown, vocab.level))
    states = "h hidden state" + (", c cell state" if "c" in trace.cells[0] else "")
    print(f"\nunits that track a feature: |Pearson r| over {steps}, {states}")
    chance = chance_r(sum(r.shape[0] for cell in unit_r for r in cell.values()), len(text.tokens))
    if chance > CHANCE_WARNING:
        print(f"  (over so short a text the best of many unrelated units reaches |r| = {chance:.2f} "
              f"by chance alone: give a longer text; by default {DEFAULT_CHARS:,} characters of the "
              "validation text)")
    print(findings_table(findings, constant, trace.labels))
    print(flags_line(flags(findings), trace.labels))
    print(saturation_table(saturation, trace.labels))

    about = {"title": printable(checkpoint.path), "model": describe(checkpoint), "source": text.source}
    size, stored, total = write_page(out / "index.html", text, trace, vocab.tokens, findings, unit_r,
                                     unit_scores(unit_r), saturation, about,
                                     max_bytes=int(args.page_mb * 1e6))
    written = [f"{out / 'index.html'} ({size / 1e6:.2f} MB, every quantity of {stored} of the "
               f"{counted(total, 'unit')})"]
    if saturation_plot(out / "saturation.png", saturation, trace.labels):
        written.append(str(out / "saturation.png"))
    rows = heatmap_rows(findings, trace.labels)
    if rows:
        first = max((fs[0] for fs in findings.values()), key=lambda f: abs(f.r))
        start = heatmap_start(features[first.feature], text.tokens)
        if heatmap_plot(out / "heatmap.png", text.tokens, trace.cells, trace.labels, rows, start, vocab.level):
            written.append(str(out / "heatmap.png"))
    print(f"\nwrote {', '.join(written)} in {time.perf_counter() - started:.1f} s")
    return 0


def chance_r(units, n):
    """About the largest |r| that ``units`` unrelated series reach by chance over ``n`` steps:
    each r is roughly normal with standard deviation 1/sqrt(n), and the largest of M such
    values is about sqrt(2 ln M / n) (capped at 1). Neighbouring steps are correlated, so
    the true chance level is higher still: this is a lower bound on what means nothing."""
    return min(1.0, math.sqrt(2 * math.log(max(units, 2)) / max(n, 1)))


# ---- the stages' inputs ----------------------------------------------------------------------

def output_folder(out, checkpoint):
    """--out as a Path, made if missing; default: the folder 'inspect' beside the checkpoint.
    Raises ValueError for a path that is a file, or that cannot be made."""
    folder = Path(out) if out is not None else Path(checkpoint).parent / "inspect"
    where = f"--out {str(folder)!r}" if out is not None else f"the output folder {str(folder)!r}"
    return check_folder(folder, where)


def choose_text(args, checkpoint, vocab):
    """The Text that --text, --prompt or (by default) the checkpoint's validation text gives."""
    if args.text is not None:
        return given_text(read_text_file(args.text), vocab, f"--text {args.text!r}", args.chars)
    if args.prompt is not None:
        return given_text(args.prompt, vocab, "--prompt", args.chars)
    return validation_text(checkpoint, vocab, args.chars)


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
                   help="write index.html, saturation.png and heatmap.png into this folder "
                        "(default: the folder 'inspect' beside the checkpoint)")
    p.add_argument("--page-mb", type=types.positive_float, default=2.0, metavar="MB",
                   help="the page's size limit in megabytes; it holds as many units as fit, the "
                        "ranked ones first (default 2)")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels, or the numpy reference cells (default numba)")
    p.set_defaults(run=inspect_command)
