"""`minirnn gradcheck`: prints a per-array table, exits 0 on success and 1 on a wrong gradient."""
import subprocess
import sys

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
