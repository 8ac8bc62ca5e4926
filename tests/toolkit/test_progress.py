"""minirnn/toolkit/progress.py: which bar Progress draws, on a terminal and in Jupyter."""
import importlib.util
from types import SimpleNamespace

import pytest

from minirnn.toolkit.progress import Progress, _tqdm


def test_outside_a_terminal_or_a_kernel_progress_prints_lines(capsys):
    progress = Progress("auto", steps=3)                 # pytest captures stderr: no terminal
    assert progress.mode == "lines" and progress.bar is None


def test_in_a_jupyter_kernel_the_bar_is_the_notebook_widget(monkeypatch):
    IPython = pytest.importorskip("IPython")
    pytest.importorskip("tqdm")
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(config={"IPKernelApp": {}}))
    bar, in_notebook = _tqdm()
    assert in_notebook
    if importlib.util.find_spec("ipywidgets") is None:   # tqdm would only warn: lines instead
        assert bar is None
    else:
        from tqdm.notebook import tqdm
        assert bar is tqdm


def test_in_a_terminal_ipython_the_bar_is_the_terminal_one(monkeypatch):
    IPython = pytest.importorskip("IPython")
    tqdm = pytest.importorskip("tqdm")
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(config={}))
    assert _tqdm() == (tqdm.tqdm, False)
