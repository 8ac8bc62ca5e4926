"""Tests of `minirnn classify evaluate | predict` and the options of every sub-command
(minirnn/classify/cli.py, evaluate.py, predict.py), through minirnn.cli.main.

- every option has a help text, and `python -m minirnn classify train --help` runs;
- evaluate prints the table and draws the PNG; with --json one object of the documented
  schema, whose figures agree with the confusion matrix;
- predict: --text (repeatable), lines on standard input, --data FILE to a CSV with
  every class's probability (summing to 1);
- a checkpoint of `minirnn train` given to classify, and the reverse, are refused
  naming the command that wrote it; an unknown label in evaluate's file is an error or,
  with --ignore-unknown-labels, counted wrong;
- files, names and options as users give them: a confident miss's loss is its true,
  finite value (from the logits); a --sep that is no delimiter is refused naming --sep; a
  TSV's stray quote stays in its row; names and text that are not UTF-8 on an ASCII
  terminal; a checkpoint whose derived confusion-matrix name is too long is refused
  before training.
"""
import codecs
import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.cli import build_parser, main
from tests.classify.test_train import SMALL, labelled_rows, write_csv
from tests.lm.test_cli import LATIN1, terminal


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    train = write_csv(folder / "train.csv", labelled_rows(300, 0))
    test = write_csv(folder / "test.csv", labelled_rows(80, 1))
    out = folder / "classifier.npz"
    assert main(["classify", "train", "--train", str(train), "--out", str(out), "--epochs", "3", *SMALL]) == 0
    return {"folder": folder, "train": train, "test": test, "checkpoint": out}


@pytest.fixture(scope="module")
def lm_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm")
    (folder / "toy.txt").write_text("Alpha beta gamma delta.\n" * 80, encoding="utf-8")
    out = folder / "lm.npz"
    assert main(["train", "--text", str(folder / "toy.txt"), "--out", str(out), "--steps", "2",
                 "--hidden-size", "8", "--embed-size", "4", "--nchars", "10", "--batch-size", "4",
                 "--prompt", "Alpha", "--sample-length", "5", "--progress", "lines"]) == 0
    return out


def subcommands():
    classify = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "classify")[1]
    return classify._subparsers._group_actions[0].choices


@pytest.mark.parametrize("name", ["dataset", "train", "evaluate", "predict"])
def test_every_option_has_help(name):
    parser = subcommands()[name]
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.option_strings


def test_help_runs_in_a_fresh_process():
    done = subprocess.run([sys.executable, "-m", "minirnn", "classify", "train", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--text-columns" in done.stdout and "--class-names" in done.stdout


def test_evaluate_table_and_png(run, capsys, tmp_path):
    png = tmp_path / "confusion.png"
    assert main(["classify", "evaluate", "--checkpoint", str(run["checkpoint"]), "--data", str(run["test"]),
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "majority baseline" in out and "confusion matrix" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_json_schema(run, capsys):
    assert main(["classify", "evaluate", "--checkpoint", str(run["checkpoint"]), "--data", str(run["test"]),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)                # one JSON object, nothing else
    assert {"accuracy", "macro_f1", "n", "per_class", "confusion", "classes", "majority_baseline",
            "loss", "unknown_labels"} <= set(report)
    classes = report["classes"]
    assert classes == ["food", "space", "sport"] and report["n"] == 80
    confusion = np.array(report["confusion"])
    assert confusion.shape == (3, 3) and confusion.sum() == 80
    assert report["accuracy"] == pytest.approx(np.trace(confusion) / 80)
    for c, name in enumerate(classes):
        entry = report["per_class"][name]
        assert set(entry) == {"precision", "recall", "f1", "support"}
        assert entry["support"] == confusion[c].sum()
        assert entry["recall"] == pytest.approx(confusion[c, c] / confusion[c].sum())
        assert entry["precision"] == pytest.approx(confusion[c, c] / max(confusion[:, c].sum(), 1))
    assert report["macro_f1"] == pytest.approx(np.mean([report["per_class"][n]["f1"] for n in classes]))
    assert report["accuracy"] > report["majority_baseline"] + 0.3


def test_predict_texts_and_stdin(run, capsys, monkeypatch):
    checkpoint = str(run["checkpoint"])
    assert main(["classify", "predict", "--checkpoint", checkpoint,
                 "--text", "The rocket reached the moon", "--text", "bread, cheese and soup"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["space", "food"]
    assert all(0.34 < float(line.split("\t")[1]) <= 1 for line in lines)
    assert lines[0].split("\t")[2] == "The rocket reached the moon"
    monkeypatch.setattr(sys, "stdin", io.StringIO("the referee and the coach\nsalt in the kitchen\n"))
    assert main(["classify", "predict", "--checkpoint", checkpoint]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["sport", "food"]


def test_predict_data_writes_probabilities(run, tmp_path, capsys):
    new = tmp_path / "new.csv"
    new.write_text('text\n"a rocket, a star"\nthe team scored a goal\n', encoding="utf-8")   # no label column
    out = tmp_path / "predicted.csv"
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--data", str(new),
                 "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["line", "predicted", "p(food)", "p(space)", "p(sport)", "text"]
    assert [(r["line"], r["predicted"], r["text"]) for r in rows] == [("2", "space", "a rocket, a star"),
                                                                    ("3", "sport", "the team scored a goal")]
    for r in rows:
        assert sum(float(r[f"p({c})"]) for c in ("food", "space", "sport")) == pytest.approx(1, abs=1e-3)


def test_checkpoint_kinds_name_the_command_that_wrote_them(run, lm_checkpoint, capsys):
    assert main(["sample", "--checkpoint", str(run["checkpoint"])]) == 2
    err = capsys.readouterr().err
    assert "is a minirnn classifier, written by `minirnn classify train`" in err
    assert "this needs a minirnn language model (written by `minirnn train`)" in err
    for command in (["evaluate", "--data", str(run["test"])], ["predict", "--text", "hello"]):
        assert main(["classify", command[0], "--checkpoint", str(lm_checkpoint), *command[1:]]) == 2
        err = capsys.readouterr().err
        assert "is a minirnn language model, written by `minirnn train`" in err
        assert "this needs a minirnn classifier (written by `minirnn classify train`)" in err
    assert main(["classify", "train", "--resume", str(lm_checkpoint)]) == 2
    assert "written by `minirnn train`" in capsys.readouterr().err


def test_evaluate_unknown_labels(run, tmp_path, capsys):
    odd = write_csv(tmp_path / "odd.csv", [("space", "rocket moon"), ("music", "guitar drum"),
                                           ("food", "bread salt")])
    checkpoint = str(run["checkpoint"])
    assert main(["classify", "evaluate", "--checkpoint", checkpoint, "--data", str(odd)]) == 2
    err = capsys.readouterr().err
    assert "odd.csv, line 3: label 'music' never appears in the training file" in err
    assert "--ignore-unknown-labels" in err
    assert main(["classify", "evaluate", "--checkpoint", checkpoint, "--data", str(odd), "--json",
                 "--ignore-unknown-labels"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3 and report["unknown_labels"] == 1 and report["accuracy"] <= 2 / 3
    assert np.array(report["confusion"]).sum() == 2


def test_missing_or_broken_checkpoint(tmp_path, capsys):
    assert main(["classify", "predict", "--checkpoint", str(tmp_path / "none.npz"), "--text", "x"]) == 2
    assert "none.npz' does not exist" in capsys.readouterr().err
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
    assert main(["classify", "evaluate", "--checkpoint", str(tmp_path / "broken.npz"), "--data", "x.csv"]) == 2
    assert "truncated or corrupted" in capsys.readouterr().err


def test_predict_refuses_empty_text(run, capsys):
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--text", "ok", "--text", " "]) == 2
    assert "--text number 2 is empty" in capsys.readouterr().err


def test_a_checkpoint_holding_nan_is_refused_on_loading(run, tmp_path, capsys):
    from minirnn.toolkit.checkpoint import save_checkpoint
    good = Checkpoint(run["checkpoint"])
    params = {name: value.copy() for name, value in good.params.items()}
    params["head.W"][0, 0] = np.nan
    bad = tmp_path / "nan.npz"
    save_checkpoint(bad, params, good.optim_state, good.vocab_arrays, good.config)
    assert main(["classify", "predict", "--checkpoint", str(bad), "--text", "rocket"]) == 2
    err = capsys.readouterr().err
    assert "holds NaN or inf in 'params/head.W' (1 non-finite value of" in err


def test_the_suggested_next_commands_run(run, capsys):
    """Without --test the log's evaluate line asks for a FILE: it cannot name the held-out slice."""
    assert main(["classify", "train", "--train", str(run["train"]), "--out", str(run["folder"] / "again.npz"),
                 "--epochs", "1", *SMALL]) == 0
    more = capsys.readouterr().out.split("more: ", 1)[1]
    assert "minirnn classify evaluate --checkpoint " in more and "--data FILE" in more
    checkpoint = str(run["folder"] / "again.npz")
    assert main(["classify", "evaluate", "--checkpoint", checkpoint, "--data", str(run["test"])]) == 0


@pytest.mark.parametrize("argv, option", [
    (["classify", "predict", "--checkpoint", "{ckpt}", "--data", "{test}", "--out", "{file}/x.csv"], "--out"),
    (["classify", "evaluate", "--checkpoint", "{ckpt}", "--data", "{test}", "--plot", "{file}/x.png"], "--plot"),
    (["classify", "dataset", "--out", "{file}/d"], "--out"),
    (["gradcheck", "lstm", "--sweep-eps", "--plot", "{file}/s.png"], "--plot"),
])
def test_an_output_path_through_a_file_is_refused_before_the_work(run, tmp_path, capsys, argv, option):
    (tmp_path / "afile").write_text("a file, not a folder")
    names = {"ckpt": str(run["checkpoint"]), "test": str(run["test"]), "file": str(tmp_path / "afile")}
    assert main([arg.format(**names) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"minirnn {argv[0]}: error: {option} ") and "afile" in captured.err
    assert "Errno" not in captured.err and captured.out == ""          # refused before any work or output


def test_predict_out_without_data_is_refused(run, capsys):
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--text", "x",
                 "--out", "p.csv"]) == 2
    assert "--out writes the predictions for --data FILE" in capsys.readouterr().err


def test_dropout_must_be_a_probability(capsys):
    for argv in (["classify", "train", "--train", "x.csv"], ["train"], ["gradcheck", "lstm"]):
        with pytest.raises(SystemExit):
            main([*argv, "--dropout", "1.5"])
        assert "argument --dropout: invalid probability in [0, 1) value: '1.5'" in capsys.readouterr().err


# ---- files, names and options as users give them (issue 18) ----

def test_a_confident_miss_costs_its_true_loss_not_inf(run, tmp_path, capsys):
    """The loss was -log(p) with p rounded to 0: inf, `"loss": null`. From the logits, a
    document the model puts 1,063 nats below the class it picks costs 1,063 nats."""
    good = Checkpoint(run["checkpoint"])
    params = {name: value.copy() for name, value in good.params.items()}
    params["head.W"][:] = 0                                     # every document: logits (0, 1063, 0)
    params["head.b"][:] = [0, 1063, 0]
    miss = tmp_path / "confident.npz"
    save_checkpoint(miss, params, good.optim_state, good.vocab_arrays, good.config)
    assert main(["classify", "evaluate", "--checkpoint", str(miss), "--data", str(run["test"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    confusion = np.array(report["confusion"])
    assert confusion[:, 1].sum() == confusion.sum()             # every document predicted "space"
    wrong = 1 - confusion[1].sum() / confusion.sum()            # the share of other classes
    assert 0 < wrong < 1
    assert report["loss"] == pytest.approx(1063 * wrong, rel=1e-9)
    assert main(["classify", "evaluate", "--checkpoint", str(miss), "--data", str(run["test"]),
                 "--plot", "none"]) == 0
    assert f"loss {1063 * wrong:.4f} nats" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["train", "--train", "x.csv"], ["evaluate", "--data", "x.csv"],
                                     ["predict", "--data", "x.csv"]])
def test_a_separator_that_is_no_delimiter_is_refused_naming_sep(command, capsys):
    """The csv module's message ('"delimiter" must be a 1-character string') named no option."""
    for sep, message in ((";;", "expected one character (or 'tab'), got ';;'"),
                         ('"', "cannot separate fields")):
        with pytest.raises(SystemExit):
            main(["classify", *command, "--sep", sep])
        assert f"argument --sep: " in (err := capsys.readouterr().err) and message in err


def test_predict_reads_a_tsv_with_a_stray_quote_row_by_row(run, tmp_path, capsys):
    """A TSV's quotes are plain characters: six rows stay six, the text keeps its quote."""
    new = tmp_path / "new.tsv"
    new.write_text('text\nthe rocket\n"the team scored\nbread\nsoup\nthe moon\nthe coach\n', encoding="utf-8")
    out = tmp_path / "predicted.csv"
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--data", str(new),
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["line"] for r in rows] == ["2", "3", "4", "5", "6", "7"] and rows[1]["text"] == '"the team scored'
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--data", str(new),
                 "--quotes", "csv"]) == 2
    assert "new.tsv, line 3: a quote opens a field that never closes" in capsys.readouterr().err


def test_evaluate_and_predict_with_names_and_text_that_are_not_utf8_on_an_ascii_terminal(run, tmp_path):
    """classify predict died on a terminal that is not UTF-8; a data file named in Latin-1
    goes into the plot's title and the log."""
    data = tmp_path / f"{LATIN1}.csv"
    data.write_bytes(run["test"].read_bytes())
    plot = tmp_path / "confusion.png"
    with terminal("ascii") as printed:
        assert main(["classify", "evaluate", "--checkpoint", str(run["checkpoint"]), "--data", str(data),
                     "--plot", str(plot)]) == 0
        assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]),
                     "--text", "the rocket and the café €"]) == 0
    printed = printed.getvalue()
    assert os.fsencode(data) + b": 80 documents" in printed                 # the name, as its bytes
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert printed.endswith(b"\tthe rocket and the caf\\xe9 \\u20ac\n")


def test_a_checkpoint_name_whose_confusion_name_is_too_long_is_refused_before_training(run, tmp_path, capsys):
    try:
        limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    except (OSError, AttributeError):
        limit = 255
    out = tmp_path / ("c" * (limit - 4) + ".npz")          # legal; "-confusion.png" is 10 bytes more
    assert main(["classify", "train", "--train", str(run["train"]), "--out", str(out), *SMALL]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("minirnn classify: error: the confusion matrix '")
    assert f"(named after --out): the file name is {limit + 10} bytes long, more than the {limit}" in captured.err
    assert captured.out == "" and list(tmp_path.iterdir()) == []           # refused before any work


def test_a_stray_quote_that_merges_rows_is_a_one_line_warning(run, tmp_path, capsys):
    new = tmp_path / "new.csv"
    new.write_text('label,text\nspace,the rocket\nsport,"the team scored\nfood,bread"\nfood,soup\n',
                   encoding="utf-8")
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--data", str(new)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (f"minirnn classify: warning: {new}, line 3: a quoted field runs to line 4, and the "
                            f"lines it holds look like rows; if a stray quote merged them, give --quotes none "
                            f"(quotes as plain characters)\n")
    assert len(list(csv.reader(io.StringIO(captured.out)))) == 1 + 3      # the header and 3 rows
    assert main(["classify", "predict", "--checkpoint", str(run["checkpoint"]), "--data", str(new),
                 "--quotes", "none"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and len(list(csv.reader(io.StringIO(captured.out)))) == 1 + 4


def test_standard_input_that_is_not_its_encoding_names_the_line(run):
    done = subprocess.run([sys.executable, "-m", "minirnn", "classify", "predict", "--checkpoint",
                           str(run["checkpoint"]), "--backend", "numpy"], input=b"the rocket\r\ncaf\xe9\n",
                          capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.startswith(b"minirnn classify: error: standard input, line 2: byte 0xe9 "
                                  b"(at byte offset 15) is not UTF-8; save the text as UTF-8")
    assert len(done.stderr.splitlines()) == 1


def test_an_output_that_is_an_input_file_is_refused_before_the_work(run, tmp_path, capsys):
    """`predict --data ok.csv --out ok.csv` once replaced the data with its predictions, and
    `train --train victim.csv --out victim.csv` the text with a checkpoint."""
    victim = write_csv(tmp_path / "victim.csv", labelled_rows(20, 0))
    before = victim.read_bytes()
    ckpt, v = str(run["checkpoint"]), str(victim)
    derived = write_csv(tmp_path / "x-confusion.png", labelled_rows(20, 0))
    for argv, message in [
        (["predict", "--checkpoint", ckpt, "--data", v, "--out", v], f"--out {v!r} is the input file --data"),
        (["predict", "--checkpoint", ckpt, "--data", v, "--out", ckpt], "is the input file --checkpoint"),
        (["evaluate", "--checkpoint", ckpt, "--data", v, "--plot", v], f"--plot {v!r} is the input file --data"),
        (["train", "--train", v, "--out", v], f"--out {v!r} is the input file --train"),
        (["train", "--train", str(run["train"]), "--test", v, "--out", v], "is the input file --test"),
        (["train", "--train", str(derived), "--out", str(tmp_path / "x.npz")],    # x-confusion.png
         f"the confusion matrix {str(derived)!r} (named after --out) is the input file --train"),
    ]:
        assert main(["classify", *argv]) == 2, argv
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == "", (argv, captured)
        assert len(captured.err.strip().splitlines()) == 1
    assert victim.read_bytes() == before


def test_empty_and_directory_outputs_are_named_as_given(run, tmp_path, capsys):
    ckpt, test = str(run["checkpoint"]), str(run["test"])
    for argv, message in [
        (["dataset", "--out", ""], "--out '' is an empty name"),
        (["train", "--train", str(run["train"]), "--out", ""], "--out '' is an empty name"),
        (["predict", "--checkpoint", ckpt, "--data", test, "--out", ""], "--out '' is an empty name"),
        (["predict", "--checkpoint", ckpt, "--data", test, "--out", str(tmp_path)], "predictions.csv"),
        (["evaluate", "--checkpoint", ckpt, "--data", test, "--plot", str(tmp_path)], "confusion.png"),
    ]:
        assert main(["classify", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "checkpoint.npz" not in err, err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("data, message", [
    (b"the rocket\ncaf\xe9\n", b"standard input, line 2: byte 0xe9"),     # under the C locale too
    (b"the rocket\n\x00\x01\x02binary\n", b"standard input, line 2: a NUL byte"),
    (b"the rocket\n\nsalt\n", b"standard input, line 2: the line is blank"),
])
def test_standard_input_is_checked_as_a_file_is_and_keeps_its_lines(run, data, message):
    """Latin-1 bytes (C locale) and binary bytes were once classified as text, and a blank
    line dropped, so that output line k no longer answered input line k."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "", "PYTHONUTF8": "0"}
    done = subprocess.run([sys.executable, "-m", "minirnn", "classify", "predict", "--checkpoint",
                           str(run["checkpoint"]), "--backend", "numpy"], input=data,
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 2 and done.stdout == b"", done
    assert done.stderr.startswith(b"minirnn classify: error: " + message) and len(done.stderr.splitlines()) == 1


def test_utf16_standard_input_and_tabs_and_line_breaks_in_echoed_text(run, capsys, monkeypatch):
    """`--text $'a\\nb'` once printed one result over two lines, `$'a\\tb'` added a column."""
    checkpoint = str(run["checkpoint"])
    stdin = io.TextIOWrapper(io.BytesIO(codecs.BOM_UTF16_LE + "the rocket\r\nsalt\tsoup\n".encode("utf-16-le")))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["classify", "predict", "--checkpoint", checkpoint]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[2:] for line in lines] == [["the rocket"], ["salt\\tsoup"]]
    assert main(["classify", "predict", "--checkpoint", checkpoint, "--text", "a\nb", "--text", "c\td\\e"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[2] for line in lines] == ["a\\nb", "c\\td\\\\e"]
    assert all(len(line.split("\t")) == 3 for line in lines)
