"""The notebooks of examples/notebooks/: the one helper they import, and the command that runs
them through a real Jupyter kernel and stores their outputs.

    python -m minirnn.toolkit.notebooks            run all three with their defaults (each at most
                                                   5 minutes on 2 cores) and save them with their outputs
    python -m minirnn.toolkit.notebooks --quick    MINIRNN_QUICK=1: seconds of training, nothing saved
                                                   (what CI runs: tests/test_notebooks.py)
    python -m minirnn.toolkit.notebooks --check 02 run without saving, only the notebooks whose name has "02"

A run fails (exit status 1, the notebook left as it was) when any cell raises, writes to
stderr, or prints a warning or a traceback: what is stored never holds one. The outputs
are saved without per-cell timings, so that a run changes only what it shows.

``show(obj)`` displays a function's or class's source, with the file and lines it comes
from: the notebooks walk through the library's own code this way, never a copy of it.
Running needs nbclient, nbformat and ipykernel (``pip install -e ".[notebooks]"``).
"""
import argparse
import inspect
import os
import sys
import textwrap
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
QUICK_VARIABLE = "MINIRNN_QUICK"         # "1": each notebook's first cell shrinks its training
CELL_TIMEOUT = 600                       # seconds; the longest cell trains for 1.5 minutes


def show(obj):
    """obj's source, headed by the file and lines it comes from: highlighted in Jupyter
    (HTML with its styles inline, so that any viewer shows it alike), plain text elsewhere."""
    return Source(obj)


class Source:
    """What ``show`` returns; IPython displays it by _repr_html_, plain viewers by __repr__."""

    def __init__(self, obj):
        lines, first = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj)).resolve()
        package = Path(__file__).resolve().parents[2]
        where = path.relative_to(package) if path.is_relative_to(package) else path.name
        self.header = f"{where.as_posix()}, lines {first}-{first + len(lines) - 1}"
        self.code = textwrap.dedent("".join(lines))     # a method starts at the left margin too

    def _repr_html_(self):
        import html

        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        formatter = HtmlFormatter(noclasses=True, nobackground=True,       # inline styles: no stylesheet needed
                                  prestyles="font-family: monospace; font-size: 12px; line-height: 1.3; margin: 0")
        return (f'<div style="font-family: monospace; font-size: 11px; color: #666">{html.escape(self.header)}</div>'
                f'<div style="background: #f7f7f7; color: #222; padding: 4px 8px; overflow-x: auto">'
                f'{highlight(self.code, PythonLexer(), formatter)}</div>')

    def __repr__(self):
        return f"{self.header}:\n{self.code.rstrip()}"


def notebook_paths(select=()):
    """The notebooks in examples/notebooks, in order; only those whose name holds one of select."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    return [p for p in paths if not select or any(s in p.name for s in select)]


def execute(path, quick=False, timeout=CELL_TIMEOUT, timing=False):
    """Run the notebook at path top to bottom in a fresh kernel, in its own folder.

    Returns (the executed notebook, seconds, problems): problems lists every error, stderr
    output, warning or traceback found in the outputs, "cell N: ..." each. With timing, each
    cell's metadata records when it ran (``cell_seconds`` reads it).
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    package_root = str(Path(__file__).resolve().parents[2])        # this minirnn, in the kernel too
    env = {**os.environ, QUICK_VARIABLE: "1" if quick else "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=timing,
                            resources={"metadata": {"path": str(Path(path).parent)}},
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])   # not its TCP notice
    began = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - began
    nb.metadata["minirnn"] = {"quick": bool(quick)}                 # tests/test_notebooks.py reads it
    settle_progress_bars(nb)
    return nb, seconds, problems(nb)


def settle_progress_bars(nb):
    """Give each tqdm bar the text of its last state.

    In Jupyter a bar is a widget; nbclient stores the widgets' final state in the notebook's
    metadata, but the output's text/plain, all that a viewer without widgets shows (GitHub,
    nbconvert), is the text of the bar when it appeared: 0%. Rewrite it from that final state.
    """
    import html

    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    model = lambda ref: state.get(ref.removeprefix("IPY_MODEL_"), {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            box = state.get(view["model_id"], {}) if view else {}
            children = box.get("state", {}).get("children", [])
            if box.get("model_name") != "HBoxModel" or len(children) != 3:
                continue
            left, bar, right = (model(child) for child in children)            # tqdm.notebook's layout
            filled = round(10 * bar.get("value", 0) / bar["max"]) if bar.get("max") else 0
            text = f"{html.unescape(left.get('value', ''))}|{'#' * filled}{' ' * (10 - filled)}|" \
                   f"{html.unescape(right.get('value', ''))}"
            output["data"]["text/plain"] = text.replace("\u2007", " ")


def cell_seconds(nb):
    """(seconds, cell number) of each code cell of a notebook executed with timing, slowest first."""
    from datetime import datetime

    spans = []
    for n, cell in enumerate(nb.cells):
        run = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in run and "shell.execute_reply" in run:
            began, ended = (datetime.fromisoformat(run[k].replace("Z", "+00:00"))
                            for k in ("iopub.execute_input", "shell.execute_reply"))
            spans.append(((ended - began).total_seconds(), n))
    return sorted(spans, reverse=True)


def problems(nb):
    """What must never be stored: errors, stderr, warnings and tracebacks, "cell N: ..." each."""
    found = []
    for n, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            text = output.get("text", "") if kind == "stream" else str(output.get("data", {}).get("text/plain", ""))
            if kind == "error":
                found.append(f"cell {n}: {output.get('ename')}: {output.get('evalue')}")
            elif kind == "stream" and output.get("name") == "stderr":
                found.append(f"cell {n}: stderr: {text.strip()[:300]}")
            elif "Warning" in text or "Traceback" in text:
                found.append(f"cell {n}: {text.strip()[:300]}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minirnn.toolkit.notebooks",
                                     description="Run the notebooks in examples/notebooks through a Jupyter "
                                                 "kernel and save them with their outputs.")
    parser.add_argument("select", nargs="*", help="run only the notebooks whose file name holds one of these")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_VARIABLE}=1: seconds of training each; saves nothing")
    parser.add_argument("--check", action="store_true", help="run them, save nothing")
    parser.add_argument("--times", action="store_true", help="also print the slowest cells' seconds")
    args = parser.parse_args(argv)
    import nbformat

    from minirnn.toolkit.atomic import atomic_write

    failed = 0
    for path in notebook_paths(args.select):
        nb, seconds, found = execute(path, quick=args.quick, timing=args.times)
        if args.times:
            print(f"{path.name}, slowest cells: " + ", ".join(f"cell {n} {t:.1f} s" for t, n in cell_seconds(nb)[:6]))
            for cell in nb.cells:
                cell.metadata.pop("execution", None)
        if found:
            failed += 1
            print(f"{path.name}: {seconds:.0f} s, NOT saved:\n  " + "\n  ".join(found), flush=True)
            continue
        save = not (args.check or args.quick)              # what is stored comes from the defaults
        if save:
            atomic_write(path, lambda f, nb=nb: nbformat.write(nb, f), mode="w")
        print(f"{path.name}: {seconds:.0f} s" + (", saved" if save else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
