"""What `minirnn train` draws after it trains: the loss curve."""
from pathlib import Path

from minirnn.toolkit.atomic import atomic_write
from minirnn.lm.model import bits


def plot_losses(history, unigram_bits, unit, title, out):
    """Training and validation loss per step as <out name>-loss.png; None without matplotlib."""
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
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    out = Path(out)
    path = out.with_name(out.stem + "-loss.png")
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))   # never a half-written PNG
    return path
