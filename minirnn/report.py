"""What `minirnn train` shows while and after it trains: the progress, the loss curve."""
import sys
import time
from pathlib import Path

from .atomic import atomic_write
from .lm import bits


class Progress:
    """Shows the step, the smoothed training loss and the speed while training.

    "bar": a tqdm bar (over steps with --steps, else over the time budget);
    "lines": a plain line every 15 seconds; "auto": the bar on a terminal when tqdm is
    installed, otherwise lines. Messages go through ``write`` so they do not break the bar.
    """
    LINE_SECONDS = 15

    def __init__(self, mode, settings):
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if mode == "auto":
            mode = "bar" if tqdm is not None and sys.stderr.isatty() else "lines"
        if mode == "bar" and tqdm is None:
            raise ValueError("--progress bar needs tqdm: pip install tqdm (or use --progress lines)")
        self.mode, self.bar, self.last_line = mode, None, time.perf_counter()
        self.by_time = settings["steps"] is None
        self.began = time.perf_counter()
        if mode == "bar":
            if self.by_time:
                self.bar = tqdm(total=round(60 * settings["minutes"]), unit="s", dynamic_ncols=True,
                                bar_format="{percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}")
            else:
                self.bar = tqdm(total=settings["steps"], unit="step", dynamic_ncols=True)
            self.first_update = True

    def update(self, step, loss, tokens_per_second):
        status = f"step {step}, loss {bits(loss):.3f} bits, {tokens_per_second:,.0f} tokens/s"
        if self.mode == "lines":
            if time.perf_counter() - self.last_line >= self.LINE_SECONDS:
                self.last_line = time.perf_counter()
                print(f"  {status}, {self.last_line - self.began:.0f} s", flush=True)
            return
        if self.by_time:
            self.bar.n = min(time.perf_counter() - self.began, self.bar.total)
        elif self.first_update:
            self.bar.n = step                 # a resumed run starts part of the way
        else:
            self.bar.n += 1
        self.first_update = False
        self.bar.set_postfix_str(status, refresh=False)
        self.bar.update(0)

    def write(self, text):
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


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
