"""`minirnn inspect` end to end (minirnn/inspect/cli.py, text.py), on checkpoints of tiny runs
of `minirnn train`: LSTM, GRU and RNN, char and word level, 1 to 3 layers, float32 and float64.

- it writes index.html, saturation.png (not for the RNN, which has no gates), heatmap.png
  and reach.png, beside the checkpoint by default, and prints the findings and the reach;
- --json prints the same as one JSON object, and nothing else; --compare measures other
  checkpoints over the same text, side by side; --predictions 0 measures nothing;
- --text, --prompt and --chars choose the text; tokens outside the vocabulary are read
  as <unk> and counted;
- every bad input is one line on stderr with exit code 2, never a traceback: a checkpoint
  that is not a language model, missing, corrupted or holding NaN; --chars 0 or longer
  than the text; an output folder that is a file; an unreadable --text; an empty prompt;
  a validation text that is gone; a page limit too small;
- a checkpoint and a text file named in Latin-1 (the page and the terminal show them),
  an ASCII terminal, and a UTF-16 --text; a --max-lag longer than the text; a --compare
  checkpoint of another kind or level.
"""
import json
import os

import numpy as np
import pytest

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.cli import build_parser, main
from tests.lm.test_cli import LATIN1, terminal

RUNS = {  # name: options of `minirnn train`
    "char-lstm": ["--cell", "lstm"],
    "char-gru-2-float64": ["--cell", "gru", "--layers", "2", "--dtype", "float64"],
    "char-rnn-3": ["--cell", "rnn", "--layers", "3"],
    "word-lstm-2": ["--level", "word", "--layers", "2", "--dtype", "float64"],
}


def toy_text():
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    rng = np.random.default_rng(0)
    lines = []
    for n in range(150):
        line = " ".join(rng.choice(words, 6)).capitalize()
        lines.append(("    " if n % 3 == 0 else "") + (f'"{line}" (said {n})' if n % 2 else line) + ".")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> checkpoint path, each from a 3-step run of `minirnn train`."""
    folder = tmp_path_factory.mktemp("inspect")
    (folder / "toy.txt").write_text(toy_text(), encoding="utf-8")
    paths = {}
    for name, options in RUNS.items():
        paths[name] = folder / name / "checkpoint.npz"
        assert main(["train", "--text", str(folder / "toy.txt"), "--out", str(paths[name]), "--steps", "3",
                     "--hidden-size", "12", "--embed-size", "6", "--nchars", "20", "--batch-size", "4",
                     "--prompt", "", "--sample-length", "5", "--progress", "lines"] + options) == 0
    return paths


@pytest.mark.parametrize("name", list(RUNS))
def test_inspect_writes_the_page_and_plots(runs, name, capsys):
    capsys.readouterr()
    assert main(["inspect", "--checkpoint", str(runs[name])]) == 0
    out = capsys.readouterr().out
    folder = runs[name].parent / "inspect"                          # the default --out
    assert (folder / "index.html").stat().st_size > 1000
    assert (folder / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
    assert (folder / "saturation.png").exists() == ("rnn" not in name)
    assert (folder / "reach.png").read_bytes()[:4] == b"\x89PNG"
    assert "units that track a feature" in out and "wrote" in out
    assert "connectivity (Madsen 2019)" in out and "reach: the first lag after the median's peak" in out
    assert ("the simple RNN has no gates" in out) == ("rnn" in name)
    assert "validation text of" in out
    layers = {"char-lstm": 1, "char-gru-2-float64": 2, "char-rnn-3": 3, "word-lstm-2": 2}[name]
    assert f"layer {layers - 1} " in out and f"layer {layers} " not in out


def test_text_prompt_and_chars(runs, tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("Alpha beta (gamma) \"delta\".\n" * 20, encoding="utf-8")
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--text", str(tmp_path / "mine.txt"),
                 "--chars", "60", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert f"text: 60 characters of --text '{tmp_path / 'mine.txt'}'" in out
    assert "not in the vocabulary" not in out
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--prompt", "Alpha ZZ é",
                 "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "text: 10 characters of --prompt" in out
    assert "3 characters not in the vocabulary, read as <unk>: 'Z' (2), 'é' (1)" in out
    assert main(["inspect", "--checkpoint", str(runs["word-lstm-2"]), "--prompt", "Alpha zeta",
                 "--out", str(tmp_path / "c")]) == 0
    assert "1 word not in the vocabulary, read as <unk>: ' zeta' (1)" in capsys.readouterr().out


def one_line_error(capsys, argv, message):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("minirnn inspect: error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_checkpoints_that_are_not_language_models_are_refused(runs, tmp_path, capsys):
    base = ["inspect", "--out", str(tmp_path / "out"), "--checkpoint"]
    saved = Checkpoint(runs["char-lstm"])
    save_checkpoint(tmp_path / "classifier.npz", saved.params, config={**saved.config, "kind": "minirnn classifier"})
    one_line_error(capsys, base + [str(tmp_path / "classifier.npz")],
                   "is a minirnn classifier, written by `minirnn classify train`; this needs a minirnn language model")
    save_checkpoint(tmp_path / "other.npz", {"w": np.zeros(2)}, config={"note": "other"})
    one_line_error(capsys, base + [str(tmp_path / "other.npz")], "was not written by a minirnn command")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    one_line_error(capsys, base + [str(tmp_path / "notes.txt")], "is not an .npz checkpoint")
    one_line_error(capsys, base + [str(tmp_path / "missing.npz")], "does not exist")
    params = {k: v.copy() for k, v in saved.params.items()}
    params["head.W"][0, 0] = np.nan
    save_checkpoint(tmp_path / "nan.npz", params, saved.optim_state, saved.vocab_arrays, saved.config)
    one_line_error(capsys, base + [str(tmp_path / "nan.npz")], "holds NaN or inf in 'params/head.W' (1 non-finite value")


def test_bad_text_choices_are_refused(runs, tmp_path, capsys):
    base = ["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", str(tmp_path / "out")]
    one_line_error(capsys, base + ["--chars", "100000"], "--chars 100,000 is longer than the validation text of")
    one_line_error(capsys, base + ["--prompt", "Alpha", "--chars", "6"],
                   "--chars 6 is longer than --prompt: 5 characters")
    one_line_error(capsys, base + ["--prompt", ""], "--prompt is empty")
    one_line_error(capsys, base + ["--text", str(tmp_path / "missing.txt")], "no such file")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    one_line_error(capsys, base + ["--text", str(tmp_path / "binary.txt")], "line 1: a NUL byte (at byte offset 3): this looks like a binary file")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    one_line_error(capsys, base + ["--text", str(tmp_path / "latin1.txt")], "line 1: byte 0xe9 (at byte offset 3) is not UTF-8")
    one_line_error(capsys, base + ["--text", str(tmp_path)], "is a directory")
    one_line_error(capsys, base + ["--prompt", "Alpha", "--page-mb", "0.01"], "holds no unit within 0.01 MB")


def test_an_output_folder_that_is_a_file_is_refused(runs, tmp_path, capsys):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    base = ["inspect", "--checkpoint", str(runs["char-lstm"]), "--prompt", "Alpha", "--out"]
    one_line_error(capsys, base + [str(tmp_path / "file")], f"--out '{tmp_path / 'file'}' is a file; give a folder")
    one_line_error(capsys, base + [str(tmp_path / "file" / "sub")], "is a file; give a folder")
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"


def test_a_validation_text_that_is_gone_is_reported(runs, tmp_path, capsys):
    saved = Checkpoint(runs["char-lstm"])
    settings = {**saved.config["settings"], "text": str(tmp_path / "moved.txt")}
    save_checkpoint(tmp_path / "moved.npz", saved.params, saved.optim_state, saved.vocab_arrays,
                    {**saved.config, "settings": settings})
    one_line_error(capsys, ["inspect", "--checkpoint", str(tmp_path / "moved.npz")],
                   "the checkpoint's validation text cannot be read")
    one_line_error(capsys, ["inspect", "--checkpoint", str(tmp_path / "moved.npz")],
                   "no such file); give --text FILE or --prompt TEXT")


@pytest.mark.parametrize("argv, message", [(["--chars", "0"], "invalid positive integer value: '0'"),
                                           (["--chars", "-3"], "invalid positive integer value"),
                                           (["--page-mb", "0"], "invalid number in (0, 100000] value"),
                                           (["--text", "a", "--prompt", "b"], "not allowed with argument")])
def test_bad_option_values_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["inspect"] + argv)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


def test_every_option_is_explained():
    commands = next(a for a in build_parser()._subparsers._group_actions if a.choices)
    for action in commands.choices["inspect"]._actions:
        assert action.help and len(action.help) > 10, action.option_strings
    assert "read as <unk>" in commands.choices["inspect"].format_help()


def test_a_text_too_short_for_correlations_is_said_to_be(runs, tmp_path, capsys):
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--prompt", "ab",
                 "--out", str(tmp_path / "a")]) == 0
    assert "by chance alone: give a longer text" in capsys.readouterr().out


def test_the_chance_level_is_what_unrelated_series_reach():
    """The largest |r| of 512 independent normal series against an independent
    feature, over 5,000 steps: within a factor 1.5 of chance_r, in 20 draws."""
    from minirnn.inspect.cli import chance_r
    from minirnn.inspect.features import correlations
    rng = np.random.default_rng(0)
    expected = chance_r(512, 5000)
    for _ in range(20):
        best = np.abs(correlations(rng.standard_normal((5000, 512)), rng.standard_normal((5000, 1)))).max()
        assert expected / 1.5 < best < expected * 1.5


def test_names_and_text_that_are_not_utf8(runs, tmp_path):
    """A checkpoint trained on a file named in Latin-1, itself so named: `minirnn inspect`
    failed writing the page ("surrogates not allowed"); on an ASCII terminal too; and a
    UTF-16 --text (a spreadsheet's "Unicode text") is read, not refused as binary."""
    saved = Checkpoint(runs["char-lstm"])
    text = tmp_path / f"{LATIN1}.txt"
    text.write_bytes((runs["char-lstm"].parent.parent / "toy.txt").read_bytes())
    checkpoint = tmp_path / f"{LATIN1}.npz"
    save_checkpoint(checkpoint, saved.params, saved.optim_state, saved.vocab_arrays,
                    {**saved.config, "settings": {**saved.config["settings"], "text": str(text)}})
    with terminal("ascii") as printed:
        assert main(["inspect", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "a")]) == 0
    page = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")   # valid UTF-8 throughout
    assert "caf\\xe9.npz" in page and "caf\\xe9.txt" in page
    assert b"checkpoint: " + os.fsencode(checkpoint) in printed.getvalue()
    (tmp_path / "unicode.txt").write_bytes("Alpha beta.\r\nGamma.\r\n".encode("utf-16"))
    with terminal("utf-8") as printed:
        assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--text", str(tmp_path / "unicode.txt"),
                     "--out", str(tmp_path / "b")]) == 0
    assert b"text: 19 characters of --text" in printed.getvalue()


def test_json_holds_what_the_terminal_shows(runs, capsys):
    capsys.readouterr()
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--max-lag", "30", "--predictions", "50",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)                      # the whole output is one object
    assert report["checkpoint"] == str(runs["char-lstm"]) and report["model"].startswith("LSTM, 1 layer of 12")
    assert set(report["features"]) | set(report["not_in_text"]) == {
        "quotation", "brackets", "bracket depth", "line position", "indentation", "in word", "upper case"}
    first = next(iter(report["features"].values()))[0]
    assert first.keys() == {"layer", "quantity", "unit", "r"} and -1 <= first["r"] <= 1
    assert [g["gate"] for g in report["gate_saturation"]["gates"]] == ["i", "f", "o"]
    reach = report["connectivity"]
    assert reach["max_lag"] == 30 and reach["predictions"] == 50 and reach["tail_lags"] == [15, 30]
    (model,) = reach["models"]
    assert len(model["median"]) == len(model["q25"]) == len(model["q75"]) == 31
    assert all(a <= b <= c for a, b, c in zip(model["q25"], model["median"], model["q75"]))
    assert model["reach"] is None or 1 <= model["reach"] <= 30
    assert report["page"]["bytes"] > 1000 and any(p.endswith("reach.png") for p in report["plots"])


def test_compare_measures_several_checkpoints_over_the_same_text(runs, tmp_path, capsys):
    capsys.readouterr()
    argv = ["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", str(tmp_path), "--max-lag", "20",
            "--predictions", "40", "--compare", str(runs["char-gru-2-float64"]), str(runs["char-rnn-3"])]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for j, name in enumerate(["char-lstm", "char-gru-2-float64", "char-rnn-3"]):
        assert f"  [{j + 1}] {runs[name]}: " in out
        assert f"\n  [{j + 1}]  " in out                                  # its row of the table
    assert (tmp_path / "reach.png").exists()
    assert main(argv + ["--json"]) == 0
    models = json.loads(capsys.readouterr().out)["connectivity"]["models"]
    assert [m["checkpoint"] for m in models] == [str(runs[n]) for n in ["char-lstm", "char-gru-2-float64", "char-rnn-3"]]
    assert models[1]["model"].startswith("GRU, 2 layers")


def test_float64_measures_with_a_float64_copy(runs, capsys):
    """The char-lstm model is float32: measured in float64 the curve is the same to float32's precision."""
    curves = []
    for extra in ([], ["--float64"]):
        capsys.readouterr()
        assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--max-lag", "10", "--predictions", "20",
                     "--json"] + extra) == 0
        curves.append(json.loads(capsys.readouterr().out)["connectivity"]["models"][0]["median"])
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-4)


def test_no_connectivity_with_zero_predictions_or_a_one_token_text(runs, tmp_path, capsys):
    for extra in (["--predictions", "0"], ["--prompt", "A"]):
        capsys.readouterr()
        assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", str(tmp_path / extra[0])] + extra) == 0
        assert "connectivity: not measured" in capsys.readouterr().out
        assert not (tmp_path / extra[0] / "reach.png").exists()
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--prompt", "Al", "--json",
                 "--out", str(tmp_path / "two")]) == 0                       # two tokens: lags 0 and 1
    assert json.loads(capsys.readouterr().out)["connectivity"]["max_lag"] == 1


def test_bad_connectivity_options_are_refused(runs, tmp_path, capsys):
    base = ["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", str(tmp_path / "out")]
    one_line_error(capsys, base + ["--prompt", "Alpha beta", "--max-lag", "10"],
                   "--max-lag 10 reaches before the text: its 10 tokens give lags up to 9")
    one_line_error(capsys, base + ["--max-lag", "100000"], "--max-lag 100,000 reaches before the text")
    saved = Checkpoint(runs["char-lstm"])
    save_checkpoint(tmp_path / "classifier.npz", saved.params, config={**saved.config, "kind": "minirnn classifier"})
    one_line_error(capsys, base + ["--compare", str(tmp_path / "classifier.npz")],
                   "is a minirnn classifier, written by `minirnn classify train`; this needs a minirnn language model")
    one_line_error(capsys, base + ["--compare", str(tmp_path / "missing.npz")], "does not exist")
    one_line_error(capsys, base + ["--compare", str(runs["word-lstm-2"])],
                   "is a word-level model and --checkpoint a char-level one: the curves compare lags in the same tokens")
    for argv, message in [(["--max-lag", "0"], "invalid positive integer value: '0'"),
                          (["--max-lag", "2.5"], "invalid positive integer value: '2.5'"),
                          (["--predictions", "-1"], "invalid integer >= 0 value: '-1'"),
                          (["--compare"], "expected at least one argument")]:
        with pytest.raises(SystemExit) as exit:
            main(base + argv)
        assert exit.value.code == 2 and message in capsys.readouterr().err


def test_an_output_folder_holding_an_input_under_an_output_name_is_refused(runs, tmp_path, capsys):
    """inspect writes index.html and PNGs into --out: a --text of that name would be replaced."""
    (tmp_path / "index.html").write_text("Alpha beta", encoding="utf-8")
    base = ["inspect", "--checkpoint", str(runs["char-lstm"]), "--text", str(tmp_path / "index.html"), "--out"]
    one_line_error(capsys, base + [str(tmp_path)], "index.html' is the input file --text")
    one_line_error(capsys, base + [""], "--out '' is an empty name")
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "Alpha beta"


def test_an_earlier_runs_pictures_do_not_stay_behind(runs, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", out]) == 0
    assert (tmp_path / "out" / "reach.png").exists()
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--out", out, "--predictions", "0"]) == 0
    assert not (tmp_path / "out" / "reach.png").exists()                # not this run's: removed
    assert (tmp_path / "out" / "heatmap.png").exists()


def test_a_glyph_the_font_lacks_is_no_warning(runs, tmp_path, capsys):
    capsys.readouterr()
    assert main(["inspect", "--checkpoint", str(runs["char-lstm"]), "--prompt", "漢字漢字 Alpha beta 漢字",
                 "--out", str(tmp_path / "cjk")]) == 0
    assert "Glyph" not in capsys.readouterr().err
