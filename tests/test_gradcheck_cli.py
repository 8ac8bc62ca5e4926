"""`minirnn gradcheck`: prints a per-array table, exits 0 on success and 1 on a wrong gradient."""
import subprocess
import sys

import numpy as np
import pytest

from minirnn.cli import main


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradcheck_command_passes_and_prints_every_array(cell, capsys):
    assert main(["gradcheck", cell, "--layers", "2", "--bidirectional", "--packed", "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    for array in ["x", "h0", "W_l0", "H_l0", "b_l0", "W_l1_reverse", "H_l1_reverse", "b_l1_reverse"]:
        assert f"\n{array} " in out
    assert "PASS: all" in out and "FAIL" not in out
    if cell == "lstm":
        assert "\nc0 " in out
    if cell == "gru":
        assert "\nb_hn_l0 " in out


def test_gradcheck_command_fails_on_a_wrong_gradient(capsys, monkeypatch):
    from minirnn.cells import gru
    real = gru.gru_backward

    def scaled_db(dh, cache):
        dx, dh0, dW, dH, db, db_hn = real(dh, cache)
        return dx, dh0, dW, dH, db * 1.001, db_hn
    monkeypatch.setattr(gru, "gru_backward", scaled_db)
    assert main(["gradcheck", "gru", "--backend", "numpy"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: 1 of" in out and "(b_l0)" in out


def test_gradcheck_command_reports_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "lstm", "--hidden-size", "0"])
    assert exit_info.value.code == 2
    assert "argument --hidden-size: invalid positive integer value: '0'" in capsys.readouterr().err


def test_python_dash_m_runs_the_default_lstm_check():
    result = subprocess.run([sys.executable, "-m", "minirnn", "gradcheck", "lstm"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "PASS: all 6 arrays" in result.stdout


def test_a_reader_that_stops_early_is_no_error():
    """`minirnn gradcheck lstm | head -1`: the closed pipe ends the command quietly."""
    process = subprocess.Popen([sys.executable, "-m", "minirnn", "gradcheck", "lstm"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()                         # before Python has even started: every write fails
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1
    assert err == ""


@pytest.mark.parametrize("option, value, message", [
    ("--tol", "nan", "nan"),
    ("--eps", "nan", "nan"),
    ("--eps", "1e-20", "eps=1e-20 is too small to change entry"),
])
def test_gradcheck_command_refuses_meaningless_settings(option, value, message, capsys):
    try:
        code = main(["gradcheck", "rnn", "--backend", "numpy", option, value])
    except SystemExit as e:                      # refused by the argument parser itself
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# ---- --sweep-eps ----

def test_the_eps_sweep_draws_a_v_in_float64(tmp_path, capsys):
    plot = tmp_path / "sweep.png"
    assert main(["gradcheck", "gru", "--sweep-eps", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    float64, float32 = out.split("\nfloat32 ")
    lines = [line.split() for line in float64.splitlines() if line[:6].strip().startswith("1e-")]
    eps = [float(line[0]) for line in lines]
    worst = [float(line[-1]) for line in lines]                   # the "max" column
    assert eps == [10.0 ** -k for k in range(1, 11)]
    k = int(np.argmin(worst))
    assert worst[k] < 1e-7                                        # the bottom of the V
    assert worst[0] > 100 * worst[k] and worst[-1] > 100 * worst[k]   # and both arms
    assert f"minimum {worst[k]:.1e} at eps = {eps[k]:.0e}" in float64
    assert "Why a V" in out and "u^(1/3)" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.png"]  # written atomically: no temp file left


@pytest.mark.parametrize("args, message", [
    (["lstm", "--plot", "x.png"], "--plot draws the eps sweep: add --sweep-eps"),
    (["lstm", "--sweep-eps", "--dtype", "float32"], "--sweep-eps measures float64 and float32 both"),
    ([], "give one cell: rnn, lstm or gru, or --cell MODULE:NAME"),
    (["lstm", "--nonlinearity", "relu"], "--nonlinearity relu chooses the rnn cell's: lstm has its own"),
    (["gru", "--dropout", "0.5"], "--dropout 0.5 acts between stacked layers; with --layers 1 it would do nothing"),
])
def test_gradcheck_options_that_do_not_go_together(args, message, capsys):
    assert main(["gradcheck", *args]) == 2
    assert message in capsys.readouterr().err


# ---- --dtype float32 ----

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_float32_check_passes_and_says_why_its_tolerance(cell, capsys):
    assert main(["gradcheck", cell, "--dtype", "float32", "--layers", "2", "--packed"]) == 0
    out = capsys.readouterr().out
    assert "dtype=float32" in out and "Tolerance 1e-03 by default, because float32 keeps 24 bits" in out
    assert "PASS: all" in out and "within rel tol 1e-03" in out


def test_a_float32_check_fails_a_wrong_float32_kernel(capsys, monkeypatch):
    from minirnn.kernels import gru
    real = gru.gru_backward

    def scaled_dW(*args):
        dx, dh0, dW, dH, db, db_hn = real(*args)
        return dx, dh0, dW * np.float32(1.05), dH, db, db_hn
    monkeypatch.setattr(gru, "gru_backward", scaled_dW)
    assert main(["gradcheck", "gru", "--dtype", "float32"]) == 1
    assert "FAIL: 1 of" in capsys.readouterr().out


# ---- --cell: a cell of your own ----

CELL_FILE = '''
from minirnn.cells import rnn

class Tanh:
    state_names, blocks = ("h",), 1

    def step_forward(self, x, states_prev, p):
        s, cache = rnn.rnn_step_forward(x, states_prev[0], p["W"], p["H"], p["b"])
        return (s,), cache

    def step_backward(self, dstates, cache):
        dx, ds, dW, dH, db = rnn.rnn_step_backward(dstates[0], cache)
        return dx, (ds,), {"W": dW, "H": dH, "b": db}

class Wrong(Tanh):
    def step_backward(self, dstates, cache):
        dx, ds, dW, dH, db = rnn.rnn_step_backward(dstates[0], cache)
        return dx, (ds,), {"W": dW, "H": 2 * dH, "b": db}

class NotACell:
    blocks = 1
'''


def test_a_cell_of_your_own_from_a_file_or_a_module(tmp_path, capsys, monkeypatch):
    (tmp_path / "mycells.py").write_text(CELL_FILE)
    path = str(tmp_path / "mycells.py")
    assert main(["gradcheck", "--cell", f"{path}:Tanh", "--layers", "2", "--bidirectional", "--packed"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CellLayer(Tanh, 3, 4, num_layers=2, bidirectional=True")
    assert "PASS: all 14 arrays" in out
    assert main(["gradcheck", "--cell", f"{path}:Wrong"]) == 1
    assert "FAIL: 1 of 5 arrays above rel tol 1e-07 (H_l0)" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)                                   # a module in the current folder
    assert main(["gradcheck", "--cell", "mycells:Tanh", "--dtype", "float32"]) == 0
    assert "PASS: all 5 arrays" in capsys.readouterr().out


@pytest.mark.parametrize("spec, message", [
    ("{dir}/nowhere.py:Tanh", "--cell: no file '{dir}/nowhere.py'"),
    ("{dir}/mycells.py:Nope", "--cell: '{dir}/mycells.py' has no 'Nope'; its cells: Tanh, Wrong"),
    ("{dir}/mycells.py:NotACell", "NotACell does not follow the cell protocol: no method step_forward"),
    ("no_such_module_here:Tanh", "--cell: no module named 'no_such_module_here'"),
    ("Tanh", "--cell: expected MODULE:NAME or FILE.py:NAME, got 'Tanh'"),
    ("{dir}/mycells.txt:Tanh", "--cell: '{dir}/mycells.txt' is not a Python file; expected path/to/file.py:Tanh"),
    ("{dir}/broken.py:Tanh", "--cell: a syntax error in {dir}/broken.py, line 2: "),
])
def test_a_cell_that_cannot_be_found_or_used_is_named(spec, message, tmp_path, capsys):
    (tmp_path / "mycells.py").write_text(CELL_FILE)
    (tmp_path / "mycells.txt").write_text(CELL_FILE)
    (tmp_path / "broken.py").write_text("import numpy\ndef step_forward(:\n")
    assert main(["gradcheck", "--cell", spec.format(dir=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message.format(dir=tmp_path) in err and "Traceback" not in err


def test_a_cell_of_your_own_runs_on_numpy_only(tmp_path, capsys):
    (tmp_path / "mycells.py").write_text(CELL_FILE)
    assert main(["gradcheck", "--cell", f"{tmp_path}/mycells.py:Tanh", "--backend", "numba"]) == 2
    assert "a cell of your own runs on the NumPy loop only" in capsys.readouterr().err
    assert main(["gradcheck", "lstm", "--cell", f"{tmp_path}/mycells.py:Tanh"]) == 2
    assert "give either lstm or --cell" in capsys.readouterr().err


def test_a_plot_over_the_cell_file_or_a_folder_is_refused_naming_both(tmp_path, capsys):
    """--plot mycells.py with --cell mycells.py:Tanh would replace the user's cell with a PNG."""
    cell = tmp_path / "mycells.py"
    cell.write_text("# a cell of my own\n", encoding="utf-8")
    assert main(["gradcheck", "--cell", f"{cell}:Tanh", "--sweep-eps", "--plot", str(cell)]) == 2
    assert f"--plot {str(cell)!r} is the input file --cell" in capsys.readouterr().err
    assert cell.read_text(encoding="utf-8") == "# a cell of my own\n"
    assert main(["gradcheck", "lstm", "--sweep-eps", "--plot", str(tmp_path)]) == 2
    assert "sweep.png" in capsys.readouterr().err
