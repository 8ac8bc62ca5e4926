"""What `minirnn train` draws after it trains: the loss curve."""
from pathlib import Path

from minirnn.toolkit.atomic import atomic_write
from minirnn.toolkit.textfile import printable
from minirnn.lm.model import bits


def loss_plot_path(out):
    """Where the loss curve of the checkpoint ``out`` goes: <out's name>-loss.png beside it."""
    out = Path(out)
    return out.with_name(out.stem + "-loss.png")


def plot_losses(history, unigram_bits, unit, title, out):
    """Training and validation loss per step as loss_plot_path(out); None without matplotlib.
    The title may name a file whose name is not UTF-8: it is drawn as ``printable`` shows it."""
    try:
        from matplotlib.figure import Figure      # no pyplot: no window, no global state
    except ImportError:
        return None
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    steps = history["step"]
    ax.plot(steps, [bits(x) for x in history["train_loss"]], label="training (mean since the last validation)")
    ax.plot(steps, [bits(x) for x in history["valid_loss"]], "o-", label="validation")
    ax.axhline(unigram_bits, color="gray", linestyle="--", label="unigram entropy (no context)")
    ax.set_xlabel("step")
    ax.set_ylabel(f"bits per {unit}")
    ax.set_title(printable(title))
    ax.grid(alpha=0.3)
    ax.legend()
    path = loss_plot_path(out)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))   # never a half-written PNG
    return path
