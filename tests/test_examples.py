"""Every example runs with --quick and shows what its lesson claims.

Each example is run as a reader would run it, in a fresh Python process, and ends with
machine-readable lines `RESULT key=value ...`; the tests check the lesson's property
on those values (better than chance, a gradient that vanishes, a check that fails),
not numbers the examples were tuned to.
"""
import subprocess
import sys
from pathlib import Path

import pytest


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name, *args, timeout=180):
    """Run examples/<name> with --quick; return (stdout, list of RESULT dicts)."""
    completed = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick", *args],
                               capture_output=True, text=True, timeout=timeout, cwd=EXAMPLES)
    assert completed.returncode == 0, f"{name} failed:\n{completed.stdout}\n{completed.stderr}"
    results = []
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            pairs = (item.split("=", 1) for item in line.split()[1:])
            results.append({key: _number(value) for key, value in pairs})
    assert results, f"{name} printed no RESULT line:\n{completed.stdout}"
    return completed.stdout, results


def _number(value):
    try:
        return float(value)
    except ValueError:
        return value


def test_every_example_is_tested_and_numbered_in_reading_order():
    scripts = sorted(path.name for path in EXAMPLES.glob("[0-9][0-9]_*.py"))
    assert [s[:2] for s in scripts] == [f"{i:02d}" for i in range(1, len(scripts) + 1)]
    tested = {name for name in globals() if name.startswith("test_")}
    for script in scripts:
        assert f"test_{script[:-3].split('_', 1)[1]}" in tested, f"no test runs {script}"
    readme = (EXAMPLES / "README.md").read_text()
    for script in scripts:
        assert script in readme, f"examples/README.md does not mention {script}"


def test_gradient_check():
    out, [result] = run("01_gradient_check.py")
    assert out.index("PASS: all") < out.index("FAIL:")     # the correct layer first, then the bug
    assert result["correct"] == "PASS" and result["correct_max_rel_err"] < 1e-7
    assert result["broken"] == "FAIL" and result["broken_max_rel_err"] > 1e-3


def test_vanishing_gradients():
    _, [r] = run("02_vanishing_gradients.py")
    assert r["T"] >= 50
    assert r["rnn"] < 1e-10                                # vanished, 100 steps back
    assert r["lstm_forget_bias3"] > 1e-2                   # survived: the forget gate kept it
    assert r["rnn"] < 1e-6 * r["lstm_forget_bias3"]
    assert r["rnn"] < r["lstm"]                            # even untrained, the LSTM loses less


def test_classify_sequences():
    _, results = run("03_classify_sequences.py")
    assert {r["cell"] for r in results} == {"rnn", "lstm"}
    for r in results:
        assert r["accuracy"] > r["chance"] + 0.08, r       # word order was learned
        assert r["bag_of_embeddings_gap"] < 1e-9           # mean vectors blind to order


def test_classify_sequences_bidirectional():
    _, [r] = run("03_classify_sequences.py", "--cell", "lstm", "--bidirectional", "--steps", "40")
    assert r["bidirectional"] == 1 and r["accuracy"] > r["chance"]


def test_one_to_many():
    _, [r] = run("04_one_to_many.py")
    assert r["letter_accuracy"] > r["baseline"] + 0.2      # the vector steers what is written


def test_seq2seq():
    _, [r] = run("05_seq2seq.py")
    assert r["digit_accuracy"] > r["digit_chance"] + 0.4
    assert r["exact"] > 0.3                                # whole held-out numbers translated
    assert r["beam_exact"] > 0.3 and r["beam"] == 5
    assert r["beam_exact"] >= r["exact"] - 0.02           # beam search is no worse than greedy


def test_char_rnn():
    out, [r] = run("06_char_rnn.py")
    assert r["unigram_entropy"] < r["uniform"]
    assert r["valid_loss"] < r["unigram_entropy"] - 0.2    # it learned more than letter counts
    assert "--- greedy:" in out and "--- temperature 1.0:" in out


def test_long_lags():
    _, results = run("07_long_lags.py")
    short, long = min(results, key=lambda r: r["T"]), max(results, key=lambda r: r["T"])
    assert long["T"] >= 3 * short["T"]
    gated = ("lstm", "lstm_bf1", "gru")
    assert max(short[c] for c in gated) < short["baseline"] / 10      # short lags: learned
    assert long["rnn"] > long["baseline"] / 2                        # a long lag: the tanh RNN answers the mean
    assert min(long[c] for c in gated) < long["baseline"] / 10       # and a gated cell does not
    assert long["rnn_first_step"] < 1e-4                             # its gradient vanished on the way back
    assert max(long[f"{c}_first_step"] for c in gated) > 1e3 * long["rnn_first_step"]


def test_your_own_cell():
    out, [r] = run("08_your_own_cell.py")
    assert out.index("PASS: all") < out.index("FAIL:")               # the MGU first, then the bug
    assert r["correct"] == "PASS" and r["correct_max_rel_err"] < 1e-7
    assert r["broken"] == "FAIL" and r["broken_max_rel_err"] > 1e-3
    assert r["mgu"] < r["baseline"] / 10 and r["lstm"] < r["baseline"] / 2   # both learn the adding problem


def test_examples_are_deterministic_under_a_seed():
    runs = [run("05_seq2seq.py", "--steps", "20", "--seed", "3")[1] for _ in range(2)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name, option, value", [
    ("05_seq2seq.py", "--seed", "-1"), ("05_seq2seq.py", "--beam", "0"), ("05_seq2seq.py", "--lr", "nan"),
    ("05_seq2seq.py", "--batch-size", "0"), ("05_seq2seq.py", "--steps", "0"),
    ("01_gradient_check.py", "--steps", "-1"), ("07_long_lags.py", "--lengths", "0"),
])
def test_a_bad_argument_is_one_line_naming_it(name, option, value):
    completed = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick", option, value],
                               capture_output=True, text=True, timeout=60, cwd=EXAMPLES)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert f"error: argument {option}: invalid" in completed.stderr and repr(value) in completed.stderr
