"""The notebooks in examples/notebooks run top to bottom through a real Jupyter kernel, and are
stored as a full run with their defaults left them.

Each notebook runs in quick mode (MINIRNN_QUICK=1: seconds of training), as CI runs it, with
minirnn.toolkit.notebooks.execute, the function that regenerates them
(`python -m minirnn.toolkit.notebooks`). A run fails on any error, stderr output, warning or
traceback in the outputs, and every exercise's check must PASS on its solution there.
"""
import html
import inspect
import json
import re
import textwrap

import pytest

from minirnn.toolkit import exercises
from minirnn.toolkit.notebooks import notebook_paths, problems

NOTEBOOKS = notebook_paths()
EXERCISES = ["rnn_step_backward", "lstm_step_backward", "windows", "sample_with_temperature",
             "numerical_gradient", "reset_before_gru"]
nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (pip install -e '.[test]')")


def outputs_text(nb):
    """All the text a notebook shows, output by output."""
    return "\n".join(str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
                     for cell in nb.cells for output in cell.get("outputs", []))


def test_show_gives_the_source_with_its_file_and_lines():
    from minirnn.lm.train import TrainingRun
    from minirnn.toolkit.notebooks import show

    shown = show(TrainingRun.train_step)                        # a method: dedented to the margin
    lines, first = inspect.getsourcelines(TrainingRun.train_step)
    assert shown.header == f"minirnn/lm/train.py, lines {first}-{first + len(lines) - 1}"
    assert shown.code.startswith("def train_step(self):") and "self.optimizer.step" in shown.code
    assert repr(shown).startswith(shown.header + ":\ndef train_step")
    pytest.importorskip("pygments", reason="the highlighted view needs pygments")
    assert "train_step" in shown._repr_html_() and html.escape(shown.header) in shown._repr_html_()


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_recurrent_networks.ipynb", "02_generative_networks.ipynb",
                                           "03_gradient_checks.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode(path):
    pytest.importorskip("nbclient", reason="running the notebooks needs nbclient (pip install -e '.[test]')")
    pytest.importorskip("ipykernel", reason="running the notebooks needs ipykernel (pip install -e '.[test]')")
    from minirnn.toolkit.notebooks import execute

    nb, seconds, found = execute(path, quick=True)
    assert not found, "\n".join(found)
    text = outputs_text(nb)
    checks = re.findall(r"^(\w+): (PASS|FAIL)$", text, flags=re.M)
    assert checks, "no exercise check ran"
    for name in {name for name, _ in checks}:                # each exercise ends with its solution passing
        assert [verdict for n, verdict in checks if n == name][-1] == "PASS", f"{path.name}: {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_is_a_whole_run_with_the_defaults(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("minirnn", {}).get("quick") is False, \
        "stored from a quick run: regenerate with `python -m minirnn.toolkit.notebooks`"
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "not run top to bottom in one kernel"
    assert not problems(nb)
    text = outputs_text(nb)
    assert "PASS" in text
    images = [o for cell in nb.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "no figure"
    for output in (o for cell in nb.cells for o in cell.get("outputs", [])):
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):   # a progress bar
            bar = output["data"]["text/plain"]                                        # its last state,
            assert re.match(r"\s*\d+%\|#", bar) and not bar.lstrip().startswith("0%"), bar   # not 0%
    assert len(json.dumps(nb)) < 1_500_000, "outputs too large: smaller or fewer figures"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_sources_are_the_current_code(path):
    """Every show(...) output holds the lines its header names, as the files read now: a change
    to a function a notebook shows makes the stored notebook stale until it is regenerated."""
    root = path.parents[2]
    shown = 0
    for output in (o for cell in nbformat.read(path, as_version=4).cells for o in cell.get("outputs", [])):
        text = str(output.get("data", {}).get("text/plain", ""))
        header = re.match(r"(\S+), lines (\d+)-(\d+):\n", text)
        if not header or not (root / header[1]).is_file():
            continue
        lines = (root / header[1]).read_text(encoding="utf-8").splitlines(keepends=True)
        now = textwrap.dedent("".join(lines[int(header[2]) - 1:int(header[3])])).rstrip()
        assert text[header.end():] == now, (f"{path.name} shows {header[1]} lines {header[2]}-{header[3]} as they "
                                            f"were: regenerate with `python -m minirnn.toolkit.notebooks`")
        shown += 1
    assert shown, "no show(...) output found"


def test_every_exercise_check_is_used_in_a_notebook():
    sources = "\n".join(cell.source for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells)
    for name in EXERCISES:
        assert callable(getattr(exercises, name))
        assert f"check.{name}(" in sources, f"no notebook calls check.{name}"
