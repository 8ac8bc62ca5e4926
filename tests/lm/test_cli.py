"""Smoke tests of the `minirnn` command (minirnn/cli.py, minirnn/lm/cli.py): train and sample.

- `python -m minirnn train --help` runs in a real subprocess and documents every option;
- every option of train and sample has a help text;
- `minirnn train` then `minirnn sample` work end to end through main();
- sample: greedy is repeatable, a seed reproduces, --length bounds the text; --beam 1 is
  greedy, --beam N repeats; --top-p 1 is plain sampling; --beam refuses the sampling options
  and --length-penalty needs --beam; out-of-range --top-p, --beam, --length-penalty are
  refused by argparse, naming the option;
- errors are one line on stderr and exit code 2, never a traceback: a missing or
  corrupted checkpoint, a checkpoint that is not a language model, one whose arrays
  belong to another architecture, a prompt with unknown characters, bad option values
  (gradcheck's sizes too, refused by the argument parser);
- names, text and options as users give them: a file name that is not UTF-8 and a
  terminal that is not UTF-8 (train, sample), --seed -1 and --max-vocab 3 refused naming
  the option, every number option with a stated range, and a checkpoint name whose
  derived loss-curve name is too long refused before training.
"""
import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.cli import build_parser, main


def toy_text():
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    rng = np.random.default_rng(0)
    return "".join(" ".join(rng.choice(words, 6)).capitalize() + ".\n" for _ in range(150))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint from a tiny run of `minirnn train`."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "toy.txt").write_text(toy_text(), encoding="utf-8")
    out = folder / "lm.npz"
    assert main(["train", "--text", str(folder / "toy.txt"), "--out", str(out), "--steps", "10",
                 "--hidden-size", "24", "--embed-size", "8", "--nchars", "20", "--batch-size", "8",
                 "--prompt", "Alpha", "--sample-length", "20"]) == 0
    return out


def subcommand_parser(name):
    commands = next(a for a in build_parser()._subparsers._group_actions if a.choices)
    return commands.choices[name]


def test_python_m_minirnn_train_help():
    result = subprocess.run([sys.executable, "-m", "minirnn", "train", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for option in ("--text", "--level", "--cell", "--layers", "--hidden-size", "--embed-size",
                   "--input", "--dropout", "--nchars", "--batch-size", "--lr", "--clip", "--steps",
                   "--minutes", "--seed", "--eval-every", "--valid-tokens", "--prompt", "--out",
                   "--resume", "--max-vocab", "--threads"):
        assert option in result.stdout


@pytest.mark.parametrize("name", ["train", "sample"])
def test_every_option_is_explained(name):
    for action in subcommand_parser(name)._actions:
        assert action.help and len(action.help) > 10, action.option_strings


def test_train_then_sample(checkpoint, capsys):
    assert main(["sample", "--checkpoint", str(checkpoint), "--prompt", "Alpha", "--length", "30",
                 "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Alpha") and len(first) <= len("Alpha") + 30 + 1
    assert main(["sample", "--checkpoint", str(checkpoint), "--prompt", "Alpha", "--length", "30",
                 "--seed", "1"]) == 0
    assert capsys.readouterr().out == first


def test_greedy_sampling_is_repeatable(checkpoint, capsys):
    outputs = []
    for _ in range(2):
        assert main(["sample", "--checkpoint", str(checkpoint), "--temperature", "0",
                     "--length", "25", "--no-stop"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "\ufffd" not in outputs[0]                      # <unk> is never written


def one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def sample_text(capsys, checkpoint, *options):
    assert main(["sample", "--checkpoint", str(checkpoint), "--prompt", "Alpha", "--length", "40",
                 "--no-stop", *options]) == 0
    return capsys.readouterr().out


def test_beam_and_top_p(checkpoint, capsys):
    greedy = sample_text(capsys, checkpoint, "--temperature", "0")
    assert sample_text(capsys, checkpoint, "--beam", "1") == greedy
    beam = sample_text(capsys, checkpoint, "--beam", "4", "--length-penalty", "0.6")
    assert beam.startswith("Alpha") and len(beam) == len("Alpha") + 40 + 1
    assert sample_text(capsys, checkpoint, "--beam", "4", "--length-penalty", "0.6") == beam
    plain = sample_text(capsys, checkpoint, "--seed", "5")
    assert sample_text(capsys, checkpoint, "--seed", "5", "--top-p", "1") == plain
    nucleus = sample_text(capsys, checkpoint, "--seed", "5", "--top-p", "0.5", "--top-k", "10")
    assert sample_text(capsys, checkpoint, "--seed", "5", "--top-p", "0.5", "--top-k", "10") == nucleus


def test_beam_refuses_the_sampling_options(checkpoint, capsys):
    argv = ["sample", "--checkpoint", str(checkpoint), "--beam", "3"]
    one_line_error(capsys, argv + ["--temperature", "0.5", "--top-p", "0.9"],
                   "--beam searches for the likeliest text, it does not sample: leave out "
                   "--temperature, --top-p")
    one_line_error(capsys, ["sample", "--checkpoint", str(checkpoint), "--length-penalty", "1"],
                   "--length-penalty scores the beams of beam search: give --beam N too")
    one_line_error(capsys, argv + ["--seed", "5"],                 # docs/decoding.md: beam takes no seed
                   "--beam searches for the likeliest text, it does not sample: leave out --seed")


def test_a_beam_beyond_the_machines_memory_is_refused(checkpoint, capsys):
    one_line_error(capsys, ["sample", "--checkpoint", str(checkpoint), "--beam", "1000000000"],
                   "--beam 1000000000: would need at least ")


def test_greedy_refuses_the_options_it_would_ignore(checkpoint, capsys):
    argv = ["sample", "--checkpoint", str(checkpoint), "--temperature", "0"]
    one_line_error(capsys, argv + ["--top-p", "0.5", "--top-k", "3"],
                   "--temperature 0 is greedy, always the likeliest token, and draws nothing: leave out "
                   "--top-k, --top-p")
    one_line_error(capsys, argv + ["--seed", "1"], "draws nothing: leave out --seed")


@pytest.mark.parametrize("option, value", [("--top-p", "0"), ("--top-p", "1.5"), ("--top-p", "nan"),
                                           ("--beam", "0"), ("--beam", "2.5"),
                                           ("--length-penalty", "-1"), ("--length-penalty", "inf")])
def test_decoding_values_out_of_range_name_the_option(option, value, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["sample", option, value])
    assert exit.value.code == 2
    assert f"argument {option}: invalid" in capsys.readouterr().err


def test_sample_errors_are_one_line(checkpoint, tmp_path, capsys):
    one_line_error(capsys, ["sample", "--checkpoint", str(tmp_path / "missing.npz")], "does not exist")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 this is no zip file")
    one_line_error(capsys, ["sample", "--checkpoint", str(tmp_path / "junk.npz")], "corrupted")
    save_checkpoint(tmp_path / "other.npz", {"w": np.zeros(2)}, config={"note": "other"})
    one_line_error(capsys, ["sample", "--checkpoint", str(tmp_path / "other.npz")],
                   "was not written by a minirnn command; this needs a minirnn language model (written by `minirnn train`)")
    one_line_error(capsys, ["sample", "--checkpoint", str(checkpoint), "--prompt", "Zeta!"],
                   "2 characters not in the vocabulary: 'Z', '!'")


def nan_copy(checkpoint, path, name="head.W"):
    """The checkpoint with one entry of one parameter set to NaN, saved (checksum and all) to path."""
    saved = Checkpoint(checkpoint)
    params = {key: value.copy() for key, value in saved.params.items()}
    params[name].flat[5] = np.nan
    save_checkpoint(path, params, saved.optim_state, saved.vocab_arrays, saved.config)
    return path


def test_a_nan_in_a_checkpoint_is_named_when_it_is_loaded(checkpoint, tmp_path, capsys):
    """It used to surface in the sampler as "logits contain NaN or +inf"."""
    broken = nan_copy(checkpoint, tmp_path / "broken.npz")
    message = "broken.npz' holds NaN or inf in 'params/head.W' (1 non-finite value of "
    one_line_error(capsys, ["sample", "--checkpoint", str(broken)], message)
    one_line_error(capsys, ["train", "--resume", str(broken), "--steps", "100"], message)


def test_sampling_a_checkpoint_of_another_architecture_is_refused(checkpoint, tmp_path, capsys):
    saved = Checkpoint(checkpoint)
    other_cell = "lstm" if saved.config["model"]["cell"] == "gru" else "gru"
    for change in ({"cell": other_cell}, {"hidden_size": 32}, {"layers": 2}):
        config = {**saved.config, "model": {**saved.config["model"], **change}}
        path = tmp_path / "changed.npz"
        save_checkpoint(path, saved.params, saved.optim_state, saved.vocab_arrays, config)
        one_line_error(capsys, ["sample", "--checkpoint", str(path)], "does not fit this model")


@pytest.mark.parametrize("argv", [["train", "--hidden-size", "0"], ["train", "--lr", "-1"],
                                  ["train", "--cell", "transformer"], ["sample", "--temperature", "-1"],
                                  ["sample", "--length", "x"], ["gradcheck", "lstm", "--steps", "0"],
                                  ["gradcheck", "gru", "--batch", "-2"], ["gradcheck", "rnn", "--tol", "0"]])
def test_bad_option_values_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert "invalid" in capsys.readouterr().err


def test_dropout_with_one_layer_is_refused(capsys, tmp_path):
    (tmp_path / "toy.txt").write_text(toy_text(), encoding="utf-8")
    argv = ["train", "--text", str(tmp_path / "toy.txt"), "--dropout", "0.3", "--out", str(tmp_path / "lm.npz")]
    one_line_error(capsys, argv, "with layers=1 it would do nothing")


# ---- names, text and options as users give them (issue 18) ----

@contextlib.contextmanager
def terminal(encoding):
    """Standard output as a terminal of ``encoding`` (strict, as PYTHONIOENCODING=ascii or a
    Latin-1 locale gives): yields the BytesIO that receives what is printed."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="\n")
    with contextlib.redirect_stdout(stream):
        yield raw
    stream.flush()
    stream.detach()                            # closing the wrapper would close raw too


LATIN1 = os.fsdecode(b"caf\xe9")              # a name whose bytes are not UTF-8: 'caf\udce9'


def test_train_and_sample_names_and_text_that_are_not_utf8_on_terminals_that_are_not(tmp_path):
    """`minirnn train --text` of a file named in Latin-1 once trained, then died drawing the
    plot's title; on a terminal that is not UTF-8, train and sample died printing an 'é'."""
    text = tmp_path / f"{LATIN1}.txt"
    text.write_text(toy_text().replace("alpha", "café €"), encoding="utf-8")
    out = tmp_path / f"{LATIN1}.npz"
    with terminal("ascii") as printed:
        assert main(["train", "--text", str(text), "--out", str(out), "--steps", "2", "--hidden-size", "8",
                     "--embed-size", "4", "--nchars", "10", "--batch-size", "4", "--sample-length", "40",
                     "--prompt", "caf", "--backend", "numpy", "--progress", "lines"]) == 0
    printed = printed.getvalue()
    assert b"caf\\xe9.txt" in printed                     # the text's name, escaped
    assert b"checkpoint: " + os.fsencode(out) + b"\n" in printed     # the checkpoint's name, as its bytes
    assert (tmp_path / f"{LATIN1}-loss.png").read_bytes()[:4] == b"\x89PNG"
    for encoding, e_acute in (("ascii", b"\\xe9"), ("latin-1", b"\xe9")):
        with terminal(encoding) as printed:
            assert main(["sample", "--checkpoint", str(out), "--prompt", "café €", "--length", "5",
                         "--backend", "numpy"]) == 0
        assert printed.getvalue().startswith(b"caf" + e_acute + b" \\u20ac")


@pytest.mark.parametrize("argv", [["train"], ["sample"], ["classify", "train", "--train", "x.csv"],
                                  ["gradcheck", "rnn"]])
def test_a_negative_seed_is_refused_naming_seed(argv, capsys):
    """NumPy's own message, "expected non-negative integer", named no option."""
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--seed", "-1"])
    assert exit.value.code == 2
    assert "argument --seed: invalid seed (an integer >= 0) value: '-1'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train"], ["classify", "train", "--train", "x.csv"]])
def test_a_vocabulary_too_small_for_the_reserved_ids_is_refused_naming_max_vocab(argv, capsys):
    with pytest.raises(SystemExit):
        main([*argv, "--max-vocab", "3"])
    assert "argument --max-vocab: invalid vocabulary size (an integer >= 4: 3 ids are reserved)" \
        in capsys.readouterr().err


def every_action(parser):
    for action in parser._actions:
        yield parser.prog, action
        for sub in getattr(action, "choices", None) or {}:
            if isinstance(action.choices, dict):
                yield from every_action(action.choices[sub])


def test_every_number_option_states_its_range():
    """A bare int or float lets -1, 0 or inf through to a library that names no option."""
    numbers = [(prog, action.option_strings) for prog, action in every_action(build_parser())
               if action.type in (int, float)]
    assert numbers == []


def test_a_checkpoint_name_whose_loss_curve_name_is_too_long_is_refused_before_training(tmp_path, capsys):
    """A legal 251-byte checkpoint name made a 256-byte <name>-loss.png after training."""
    (tmp_path / "toy.txt").write_text(toy_text(), encoding="utf-8")
    try:
        limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    except (OSError, AttributeError):
        limit = 255
    out = tmp_path / ("a" * (limit - 4) + ".npz")         # legal; "-loss.png" makes it 5 bytes too long
    one_line_error(capsys, ["train", "--text", str(tmp_path / "toy.txt"), "--out", str(out), "--steps", "2"],
                   f"the file name is {limit + 5} bytes long, more than the {limit}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.txt"]     # refused before any work


@pytest.mark.parametrize("argv", [["sample", "--prompt"], ["train", "--prompt"], ["inspect", "--prompt"],
                                  ["classify", "predict", "--text"]])
def test_command_line_text_that_is_not_utf8_is_refused_naming_the_option(argv, capsys):
    """Such a --prompt once reached `minirnn inspect`'s page: "surrogates not allowed"."""
    with pytest.raises(SystemExit) as exit:
        main([*argv, f"{LATIN1} au lait"])
    assert exit.value.code == 2
    assert f"argument {argv[-1]}: 'caf\\xe9 au lait' holds bytes that are not UTF-8" in capsys.readouterr().err


def test_sizes_too_large_for_the_memory_are_one_line(tmp_path, capsys, monkeypatch):
    """--hidden-size 200000 asks NumPy for 894 GiB: its MemoryError was a traceback. (Raised
    here by hand: a real allocation that large could succeed lazily and be killed later.)"""
    from minirnn.lm import train as lm_train

    def too_large(*args, **kwargs):
        raise MemoryError("Unable to allocate 894. GiB for an array with shape (600000, 200000) "
                          "and data type float64")
    monkeypatch.setattr(lm_train.TrainingRun, "start", too_large)
    (tmp_path / "toy.txt").write_text(toy_text(), encoding="utf-8")
    one_line_error(capsys, ["train", "--text", str(tmp_path / "toy.txt"), "--out", str(tmp_path / "lm.npz"),
                            "--hidden-size", "200000"],
                   "minirnn train: error: out of memory; give smaller sizes (given: --hidden-size 200000")


def test_an_output_that_is_the_text_or_empty_is_refused_before_the_work(tmp_path, capsys):
    """`minirnn train --text victim.txt --out victim.txt` once overwrote the text with a checkpoint."""
    victim = tmp_path / "victim.txt"
    victim.write_text("Alpha beta gamma delta.\n" * 20, encoding="utf-8")
    base = ["train", "--text", str(victim), "--steps", "1", "--out"]
    one_line_error(capsys, base + [str(victim)], f"--out {str(victim)!r} is the input file --text")
    (tmp_path / "x-loss.png").write_text("text", encoding="utf-8")
    one_line_error(capsys, ["train", "--text", str(tmp_path / "x-loss.png"), "--steps", "1", "--out",
                            str(tmp_path / "x.npz")], "(named after --out) is the input file --text")
    one_line_error(capsys, base + [""], "--out '' is an empty name")
    assert victim.read_text(encoding="utf-8") == "Alpha beta gamma delta.\n" * 20
