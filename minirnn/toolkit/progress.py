"""What a training command shows while it runs: a tqdm bar, or a plain line now and then.

Shared by `minirnn train` and `minirnn classify train`; each formats its own status
("step 200, loss 2.1 bits, 28,000 tokens/s") and hands it to ``update``.
"""
import sys
import time


class Progress:
    """The step, a status string and the elapsed time while training.

    mode     "bar": a tqdm bar; "lines": a plain line every 15 seconds; "auto": the bar
             on a terminal when tqdm is installed, or in Jupyter when ipywidgets is too
             (tqdm's notebook widget), otherwise lines
    steps    the step budget (the bar counts steps), or None for a time budget
    minutes  the time budget in minutes (the bar counts seconds), used when steps is None

    Messages go through ``write`` so that they do not break the bar.
    Raises ValueError for mode "bar" without tqdm installed.
    """
    LINE_SECONDS = 15

    def __init__(self, mode, steps=None, minutes=None):
        tqdm, in_notebook = _tqdm()
        if mode == "auto":
            mode = "bar" if tqdm is not None and (in_notebook or sys.stderr.isatty()) else "lines"
        if mode == "bar" and tqdm is None:
            raise ValueError("--progress bar needs tqdm: pip install tqdm (or use --progress lines)")
        self.mode, self.bar, self.last_line = mode, None, time.perf_counter()
        self.by_time = steps is None
        self.began = time.perf_counter()
        if mode == "bar":
            if self.by_time:
                self.bar = tqdm(total=round(60 * minutes), unit="s", dynamic_ncols=True,
                                bar_format="{percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}")
            else:
                self.bar = tqdm(total=steps, unit="step", dynamic_ncols=True)
            self.first_update = True

    def update(self, step, status):
        """Show that ``step`` (the run's step count, resumed steps included) is done."""
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


def _tqdm():
    """(tqdm's bar class for where this runs, whether that is a Jupyter kernel): the notebook
    widget in Jupyter with ipywidgets installed, the terminal bar otherwise; None without tqdm,
    or in Jupyter without ipywidgets (where tqdm would only warn and draw the terminal bar)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    in_notebook = shell is not None and "IPKernelApp" in shell.config
    try:
        if in_notebook:
            import ipywidgets  # noqa: F401  (tqdm.notebook needs it to draw)
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return None, in_notebook
    return tqdm, in_notebook
