"""Two pictures for readers who would rather not open a browser.

    saturation.png   one panel per sigmoid gate: every unit as a point, the fraction of
                     steps it is left-saturated (< 0.1, x) against right-saturated (> 0.9, y),
                     coloured by layer: figure 3 of Karpathy, Johnson and Fei-Fei (2015)
    heatmap.png      the ranked units (rows) over a stretch of the text (columns, one per
                     token), coloured as on the page: h in [-1, 1], c by its largest |c|
    reach.png        connectivity: the median and quartiles of the gradient norm against the
                     lag k, log scale, one curve per checkpoint, each one's reach marked

Both are drawn with matplotlib's Figure (no pyplot: no window, no global state) and
written atomically. Without matplotlib installed, each function returns None.
"""
import warnings

import numpy as np

from minirnn.toolkit.atomic import atomic_write
from minirnn.inspect.connectivity import REACH_FRACTION
from minirnn.inspect.saturation import LEFT, RIGHT

GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z"}
HEATMAP_TOKENS = {"char": 120, "word": 40}      # columns of the heatmap


def saturation_plot(path, saturation, labels):
    """Write the scatter plot of ``saturation`` (gate_saturation's list) to ``path`` and
    return ``path``; None for a model without gates (the simple RNN) or without matplotlib."""
    Figure = _figure_class()
    if not saturation or Figure is None:
        return None
    gates = list(dict.fromkeys(s.gate for s in saturation))
    fig = Figure(figsize=(3.6 * len(gates), 3.9), layout="constrained")
    axes = fig.subplots(1, len(gates), squeeze=False)
    for ax, gate in zip(axes[0], gates):
        for s in (s for s in saturation if s.gate == gate):
            ax.scatter(s.left, s.right, s=9, alpha=0.6, label=labels[s.cell])
        ax.plot([0, 1], [1, 0], color="0.7", lw=0.8)                # left + right <= 1 below this line
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal", title=GATE_NAMES[gate],
               xlabel=f"fraction of steps < {LEFT} (shut)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"fraction of steps > {RIGHT} (open)")
    if len(labels) > 1:
        axes[0][-1].legend(fontsize=8, markerscale=1.5)
    fig.suptitle("Gate saturation: one point per unit", fontsize=11)
    _save(fig, path)
    return path


def heatmap_plot(path, tokens, cells, labels, rows, start, level):
    """Write the heatmap of ``rows`` (a list of (cell, quantity, unit, name)) over the tokens
    from ``start`` on: one row per unit, one column per token, the token below its column.
    Returns ``path``, or None without matplotlib."""
    Figure = _figure_class()
    if Figure is None:
        return None
    stop = min(len(tokens), start + HEATMAP_TOKENS[level])
    values = np.array([_scaled(cells[k][q][:, u], q)[start:stop] for k, q, u, _ in rows])   # (rows, columns)
    width = 0.13 if level == "char" else 0.42
    fig = Figure(figsize=(max(6.0, width * (stop - start) + 2.6), 0.42 * len(rows) + 1.4), layout="constrained")
    ax = fig.subplots()
    ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(rows)), [name for *_, name in rows], fontsize=8)
    ax.set_xticks(range(stop - start), [_shown(t) for t in tokens[start:stop]],
                  fontsize=7, family="monospace",
                  rotation=0 if level == "char" else 90)
    ax.tick_params(length=0)
    ax.set_title(f"Ranked units over tokens {start + 1}-{stop} (blue negative, red positive; "
                 f"c scaled by its largest |c|)", fontsize=9)
    _save(fig, path)
    return path


def reach_plot(path, curves, unit="characters"):
    """Write the connectivity plot to ``path`` and return it (None without matplotlib).

    curves  a list of (label, connectivity.Summary), one per checkpoint
    Two panels: the first lags, where the reach is (up to twice the largest reach, at least
    20), and all K lags, where the tail's decay shows. Each curve is divided by its own
    median's largest value, so that one line at REACH_FRACTION marks every model's reach
    (the norms' scale depends on the model's input vectors; the shape is what compares).
    The lag axis is linear and the norm's logarithmic: a gradient that shrinks by the same
    factor at every step back, as the vanishing-gradient argument has it, is a straight line.
    """
    Figure = _figure_class()
    if Figure is None:
        return None
    K = len(curves[0][1].quartiles[1]) - 1
    reaches = [s.reach if s.reach is not None else K for _, s in curves]
    near = min(K, max(20, 2 * max(reaches)))                       # the first panel's last lag
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
    for j, (label, (quartiles, reach, decay)) in enumerate(curves):
        q = np.asarray(quartiles, np.float64) / np.nanmax(quartiles[1])          # (3, K+1)
        lags = np.arange(K + 1)
        colour = f"C{j}"
        shown = f"{label}: reach {reach if reach is not None else f'> {K}'}"
        if decay is not None:
            shown += f", tail x{decay:.3f} per step"
        for ax, last in zip(axes, (near, K)):
            ax.fill_between(lags[:last + 1], q[0, :last + 1], q[2, :last + 1], color=colour, alpha=0.18, lw=0)
            ax.plot(lags[:last + 1], q[1, :last + 1], color=colour, lw=1.8, label=shown)
            if reach is not None:
                ax.axvline(reach, color=colour, ls=":", lw=1.2)
    for ax, last in zip(axes, (near, K)):
        ax.axhline(REACH_FRACTION, color="0.4", ls="--", lw=0.9)
        ax.set(yscale="log", xlim=(0, last), xlabel=f"lag k ({unit} back; 0: the one just read)")
        ax.grid(alpha=0.3, which="both", lw=0.5)
    axes[0].set_ylim(bottom=REACH_FRACTION / 10)
    axes[0].annotate(f"{REACH_FRACTION:.0%} of the peak", (1, REACH_FRACTION), xycoords=("axes fraction", "data"),
                     ha="right", va="bottom", fontsize=8, color="0.3", xytext=(-4, 2), textcoords="offset points")
    axes[0].set_title(f"the first {near} lags: the reach (dotted)", fontsize=10)
    axes[0].set_ylabel("gradient norm, relative to the median's peak")
    axes[1].set_title(f"all {K} lags: the tail", fontsize=10)
    axes[1].legend(fontsize=8, loc="lower left")
    fig.suptitle("Connectivity: how much a prediction depends on the input k steps back, "
                 r"$\|\partial \log p(x_{t+1} \mid x_{\leq t}) / \partial e_{t-k}\|$" "\n"
                 "median (line) and quartiles (band) over the predictions", fontsize=11)
    _save(fig, path)
    return path


def heatmap_start(feature, tokens):
    """Where the heatmap starts: the beginning of the line in which ``feature`` (T,) first
    changes, so that the picture shows it switching; 0 if it never does."""
    changes = np.flatnonzero(np.diff(feature))
    if not len(changes):
        return 0
    t = int(changes[0])
    while t > 0 and "\n" not in tokens[t - 1]:
        t -= 1
    return t


def _scaled(v, quantity):
    v = np.asarray(v, np.float64)
    if quantity == "c":
        largest = np.abs(v).max()
        return v / largest if largest > 0 else v
    return v


def _shown(token):
    return token.replace("\n", "\u21b5").replace(" ", "\u00b7")


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


def _save(fig, path):
    with warnings.catch_warnings():
        # a token the font cannot draw (漢字 in DejaVu Sans) is a blank box in the picture; the
        # page shows the text itself, so matplotlib's warning, one line per glyph, is noise
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))   # never a half-written PNG
