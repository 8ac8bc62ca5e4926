"""Tests of minirnn/lm/train.py: the training loop, its checkpoint, --resume, the samples.

Every run here is small (a generated text of a few thousand characters, a few dozen
hidden units, tens of steps) and goes through the real command, ``minirnn.cli.main``.

- a short run learns: its validation loss ends well below the text's unigram entropy,
  and the checkpoint records that loss for exactly the parameters it holds;
- checkpoint then sample: the checkpoint rebuilds the network, and `minirnn sample`
  writes what generate() writes with the same seed;
- --resume continues bit for bit: N steps straight equal N/2, then N/2 resumed
  (parameters, Adam's state, the validation losses), dropout included;
- a resumed run refuses changed settings and changed text;
- every cell, one-hot input and word level train; the time budget stops a run;
- the loss curve is written; bad text and a prompt with unknown characters get one line;
- a bad --out or --valid-tokens is refused before any training, an error while writing
  is one line too, a text without the default prompt samples from a new document;
- a diverging run stops with one line that names the step, the cause in the run's terms
  and the checkpoint kept, and says to lower --lr: whichever way this CPU's BLAS kernel
  rounds (tests/toolkit/test_training.py's ``diverged`` checks the message's contract).
"""
import json
import math
import re

import numpy as np
import pytest

from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.cli import build_parser, main
from minirnn.lm.decoding import generate
from minirnn.lm.model import bits, evaluate, load_model
from minirnn.lm.settings import resolve_settings
from minirnn.lm.train import EVAL_LANES, TrainingRun
from minirnn.lm.windows import unigram_entropy
from minirnn.toolkit.progress import Progress
from minirnn.toolkit.training import Diverged
from tests.toolkit.test_training import diverged


def toy_text(sentences=600, seed=0):
    """Sentences from a tiny grammar: plenty of structure for a small model to find."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "the old man", "my friend", "every bird", "the teacher"]
    verbs = ["sees", "likes", "chases", "finds", "hears", "draws"]
    objects = ["the ball", "a red house", "the tall tree", "some food", "the river", "a letter"]
    lines = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}".capitalize() + "."
             for _ in range(sentences)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "toy.txt"
    path.write_text(toy_text(), encoding="utf-8")
    return path


SMALL = ["--hidden-size", "48", "--embed-size", "16", "--nchars", "32", "--batch-size", "16",
         "--lr", "0.01", "--valid-tokens", "2000", "--sample-length", "40", "--prompt", "The "]


def train(text_file, out, *options):
    code = main(["train", "--text", str(text_file), "--out", str(out), *SMALL, *options])
    assert code == 0
    return Checkpoint(out)


def test_a_short_run_ends_well_below_the_unigram_entropy(text_file, tmp_path, capsys):
    checkpoint = train(text_file, tmp_path / "lm.npz", "--steps", "150", "--eval-every", "50")
    config = checkpoint.config
    model, vocab, _ = load_model(tmp_path / "lm.npz")
    from minirnn.lm.corpus import file_corpus
    corpus = file_corpus(text_file)
    train_ids, valid_ids = vocab.encode_documents(corpus.train), vocab.encode_documents(corpus.valid)
    entropy = unigram_entropy(train_ids)
    assert config["valid_loss"] < 0.5 * entropy, (config["valid_loss"], entropy)
    # the loss recorded is the loss of the parameters stored
    recomputed = evaluate(model, valid_ids[:2000], 32, EVAL_LANES)
    assert recomputed == pytest.approx(config["valid_loss"], rel=1e-6)
    assert config["valid_bits"] == pytest.approx(bits(config["valid_loss"]))
    assert config["history"]["step"] == [50, 100, 150]
    assert config["valid_loss"] == min(config["history"]["valid_loss"])
    out = capsys.readouterr().out
    for title in ("--- greedy ---", "--- temperature 0.3 ---", "--- temperature 0.8 ---",
                  "--- temperature 1.2 ---"):
        assert title in out
    assert "best validation loss" in out and "bits/char" in out


def test_checkpoint_then_sample_round_trip(text_file, tmp_path, capsys):
    train(text_file, tmp_path / "lm.npz", "--steps", "20", "--eval-every", "20")
    capsys.readouterr()
    model, vocab, _ = load_model(tmp_path / "lm.npz")
    expected = generate(model, vocab, "The ", 60, temperature=0.8, top_k=5, seed=11)
    assert main(["sample", "--checkpoint", str(tmp_path / "lm.npz"), "--prompt", "The ",
                 "--temperature", "0.8", "--top-k", "5", "--length", "60", "--seed", "11"]) == 0
    assert capsys.readouterr().out == "The " + expected + "\n"


def test_resume_continues_bit_for_bit(text_file, tmp_path):
    options = ["--layers", "2", "--dropout", "0.2", "--eval-every", "4"]
    straight = train(text_file, tmp_path / "straight.npz", "--steps", "8", *options)
    train(text_file, tmp_path / "half.npz", "--steps", "4", *options)
    assert main(["train", "--resume", str(tmp_path / "half.npz"), "--steps", "8"]) == 0
    resumed = Checkpoint(tmp_path / "half.npz")
    assert straight.config["step"] == resumed.config["step"] == 8   # the loss fell: step 8 was best
    for group in ("params", "optim"):
        a, b = straight.groups[group], resumed.groups[group]
        assert a.keys() == b.keys()
        for key in a:
            assert np.array_equal(a[key], b[key]), (group, key)
    assert straight.config["history"]["valid_loss"] == resumed.config["history"]["valid_loss"]
    assert straight.config["rng"] == resumed.config["rng"]


def test_resume_refuses_changed_settings_and_text(text_file, tmp_path, capsys):
    train(text_file, tmp_path / "lm.npz", "--steps", "2")
    capsys.readouterr()
    assert main(["train", "--resume", str(tmp_path / "lm.npz"), "--hidden-size", "64"]) == 2
    err = capsys.readouterr().err
    assert "--hidden-size 64 (saved: 48)" in err and len(err.strip().splitlines()) == 1
    text_file.write_text(toy_text(seed=1), encoding="utf-8")
    assert main(["train", "--resume", str(tmp_path / "lm.npz"), "--steps", "4"]) == 2
    err = capsys.readouterr().err
    assert "the text is not the one this run was trained on (" in err and "{" not in err   # no dict
    assert "the same sizes, other contents" in err or " then, " in err


def test_a_resumed_run_at_its_last_step_trains_nothing(text_file, tmp_path, capsys):
    train(text_file, tmp_path / "lm.npz", "--steps", "3")
    before = Checkpoint(tmp_path / "lm.npz").params
    assert main(["train", "--resume", str(tmp_path / "lm.npz"), "--steps", "3"]) == 0
    assert "nothing to train" in capsys.readouterr().out
    after = Checkpoint(tmp_path / "lm.npz").params
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("options", [["--cell", "gru"], ["--cell", "rnn", "--input", "onehot"],
                                     ["--cell", "lstm", "--dtype", "float64", "--backend", "numpy"]])
def test_every_cell_and_input_trains(text_file, tmp_path, options):
    config = train(text_file, tmp_path / "lm.npz", "--steps", "30", "--eval-every", "30",
                   *options).config
    assert config["step"] == 30
    assert math.isfinite(config["valid_loss"])
    model, _, _ = load_model(tmp_path / "lm.npz")
    assert type(model.modules["rnn"]).__name__.lower() == config["model"]["cell"]


def test_word_level(text_file, tmp_path, capsys):
    config = train(text_file, tmp_path / "lm.npz", "--level", "word", "--prompt", "The",
                   "--max-vocab", "20", "--steps", "30").config
    vocab_tokens = Checkpoint(tmp_path / "lm.npz").vocab_arrays["tokens"]
    assert config["settings"]["level"] == "word" and len(vocab_tokens) == 20
    assert config["model"]["vocab_size"] == 20
    out = capsys.readouterr().out
    assert "bits/word" in out
    # perplexity next to bits per word: exp(nats), the same loss in the unit word models are compared in
    line = next(line for line in out.splitlines() if line.startswith("best validation loss"))
    nats, perplexity = re.search(r"\(([\d.]+) nats, perplexity ([\d.]+)\)", line).groups()
    assert float(perplexity) == pytest.approx(math.exp(float(nats)), abs=0.06)
    assert math.exp(config["valid_loss"]) == pytest.approx(float(perplexity), abs=0.06)


def test_the_time_budget_stops_the_run(text_file, tmp_path):
    config = train(text_file, tmp_path / "lm.npz", "--minutes", "0.03", "--steps", "1000000").config
    assert 1 <= config["step"] < 1000000
    assert config["settings"]["minutes"] == 0.03


def test_the_loss_curve_is_a_png(text_file, tmp_path):
    pytest.importorskip("matplotlib")
    train(text_file, tmp_path / "lm.npz", "--steps", "4", "--eval-every", "2")
    assert (tmp_path / "lm-loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_progress_bar_can_be_forced(text_file, tmp_path, capsys):
    pytest.importorskip("tqdm")
    train(text_file, tmp_path / "lm.npz", "--steps", "5", "--progress", "bar")
    assert "5/5" in capsys.readouterr().err


def test_the_checkpoint_holds_everything_needed_to_resume(text_file, tmp_path):
    checkpoint = train(text_file, tmp_path / "lm.npz", "--steps", "3")
    config = checkpoint.config
    assert json.loads(json.dumps(config)) == config                  # plain JSON
    assert {"model", "settings", "data", "step", "rng", "history", "valid_loss"} <= set(config)
    assert {"step", "exp_avg/head.W", "exp_avg_sq/rnn.H_l0"} <= set(checkpoint.optim_state)
    assert checkpoint.vocab_arrays["tokens"][:3].tolist() == ["<pad>", "<unk>", "<eos>"]


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"abc\x00def" * 200, "line 1: a NUL byte (at byte offset 3): this looks like a binary file"),
    (b"\xff\xff not utf-8 " * 100, "line 1: byte 0xff (at byte offset 0) is not UTF-8"),   # (FF FE: UTF-16's mark)
    (b"too short", "too short"),
])
def test_bad_text_files_get_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    assert main(["train", "--text", str(path), "--out", str(tmp_path / "lm.npz")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "lm.npz").exists()


def test_a_missing_text_file_gets_one_line(tmp_path, capsys):
    assert main(["train", "--text", str(tmp_path / "nope.txt")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and len(err.strip().splitlines()) == 1


def test_a_prompt_with_unknown_characters_is_refused_before_training(text_file, tmp_path, capsys):
    assert main(["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"),
                 "--prompt", "Zebra Qx"]) == 2
    err = capsys.readouterr().err
    assert "--prompt 'Zebra Qx'" in err and "'Q'" in err and "'Z'" in err
    assert not (tmp_path / "lm.npz").exists()


def test_resume_refuses_a_checkpoint_not_from_train(tmp_path, capsys):
    save_checkpoint(tmp_path / "other.npz", {"w": np.zeros(3)}, config={"note": "other"})
    assert main(["train", "--resume", str(tmp_path / "other.npz")]) == 2
    assert "this needs a minirnn language model (written by `minirnn train`)" in capsys.readouterr().err


def one_line_error(capsys, argv, *messages):
    """main(argv) exits 2 with one line on stderr holding every message, before training."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    for message in messages:
        assert message in captured.err, captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    return captured


@pytest.mark.parametrize("where", ["under a file", "a directory"])
def test_a_bad_out_is_refused_before_training(text_file, tmp_path, capsys, where):
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "adir").mkdir()
    out = tmp_path / "afile" / "lm.npz" if where == "under a file" else tmp_path / "adir"
    captured = one_line_error(capsys, ["train", "--text", str(text_file), "--out", str(out), *SMALL,
                                       "--steps", "5"], f"--out {str(out)!r}")
    assert captured.out == ""                             # no training happened
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile", "toy.txt"]
    assert list((tmp_path / "adir").iterdir()) == []


def test_out_makes_its_folders(text_file, tmp_path):
    train(text_file, tmp_path / "a" / "b" / "lm.npz", "--steps", "2")
    assert (tmp_path / "a" / "b" / "lm.npz").exists()


def test_a_derived_name_that_cannot_be_written_is_refused_before_training(text_file, tmp_path, capsys):
    (tmp_path / "lm-loss.png").mkdir()                    # the loss curve cannot take its name
    captured = one_line_error(capsys, ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"),
                                       *SMALL, "--steps", "2"], "the loss curve", "lm-loss.png",
                              "(named after --out) is a directory")
    assert captured.out == ""                             # no training happened
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lm-loss.png", "toy.txt"]


def test_an_os_error_while_writing_is_one_line_and_leaves_no_temp_file(text_file, tmp_path, capsys, monkeypatch):
    matplotlib_figure = pytest.importorskip("matplotlib.figure")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(matplotlib_figure.Figure, "savefig", full_disk)
    one_line_error(capsys, ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"),
                            *SMALL, "--steps", "2"], "minirnn train: error: ", "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lm.npz", "toy.txt"]


def test_the_loss_curve_leaves_no_temp_file(text_file, tmp_path):
    pytest.importorskip("matplotlib")
    train(text_file, tmp_path / "lm.npz", "--steps", "2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lm-loss.png", "lm.npz", "toy.txt"]


def test_too_few_validation_tokens_are_refused_before_training(text_file, tmp_path, capsys):
    argv = ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *SMALL,
            "--steps", "5", "--valid-tokens", "1"]
    captured = one_line_error(capsys, argv, "--valid-tokens 1", "at least 2")
    assert captured.out == "" and not (tmp_path / "lm.npz").exists()     # no training happened


def test_without_the_default_prompt_the_samples_start_a_new_document(tmp_path, capsys):
    path = tmp_path / "lower.txt"
    path.write_text(toy_text().lower(), encoding="utf-8")    # no capital T anywhere
    no_prompt = SMALL[:SMALL.index("--prompt")]
    assert main(["train", "--text", str(path), "--out", str(tmp_path / "lm.npz"), *no_prompt,
                 "--steps", "3"]) == 0
    assert Checkpoint(tmp_path / "lm.npz").config["settings"]["prompt"] == ""
    assert "prompt ''" in capsys.readouterr().out
    # a prompt the user gives is still checked
    assert main(["train", "--text", str(path), "--out", str(tmp_path / "lm.npz"), *no_prompt,
                 "--prompt", "The "]) == 2
    assert "--prompt 'The ' has 1 character not in the vocabulary: 'T'" in capsys.readouterr().err
    assert main(["train", "--text", str(path), "--out", str(tmp_path / "lm.npz"), *no_prompt,
                 "--prompt", "The Zoo"]) == 2
    assert "--prompt 'The Zoo' has 2 characters not in the vocabulary: 'T', 'Z'" in capsys.readouterr().err


def test_the_default_prompt_is_kept_when_the_text_has_it(text_file, tmp_path):
    no_prompt = SMALL[:SMALL.index("--prompt")]
    assert main(["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *no_prompt,
                 "--steps", "2"]) == 0
    assert Checkpoint(tmp_path / "lm.npz").config["settings"]["prompt"] == "The "


def small_run(text_file, *options):
    settings, _ = resolve_settings(build_parser().parse_args(["train", "--text", str(text_file), *SMALL, *options]))
    return TrainingRun.start(settings)


def test_non_finite_logits_are_reported_as_divergence(text_file, tmp_path):
    run = small_run(text_file, "--steps", "1")
    run.model.params["head.b"][0] = np.inf               # as if the weights had blown up
    with pytest.raises(Diverged, match=r"training diverged at step 1: the model's forward pass produced "
                                       r"NaN or inf in the output of 'head' .*smaller --lr"):
        run.train(tmp_path / "lm.npz", Progress("lines", steps=1))
    assert not (tmp_path / "lm.npz").exists()


@pytest.mark.filterwarnings("error")                     # no RuntimeWarning from inside the library
def test_the_issue_s_diverging_run_names_its_own_cause(text_file, tmp_path, capsys):
    """`--lr 1e20 --steps 1`: the step leaves finite but huge weights, and validation judges
    them. Where a float then overflows depends on the BLAS kernel: with AVX2 the forward pass
    computes inf (the model names the layer), with AVX-512 (SkylakeX) the loss stays finite,
    1.5e21 nats per char (an absurd loss). Either way: one line, step 1, no checkpoint.
    It used to end with "x holds a non-finite value", about an array the user never passed."""
    argv = ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *SMALL,
            "--steps", "1", "--lr", "1e20"]
    captured = one_line_error(capsys, argv, "minirnn train: error: training diverged at step 1: ")
    step, _, kept = diverged(captured.err, "char")
    assert step == 1 and kept is None and "no checkpoint was written" in captured.err
    assert "x holds" not in captured.err and not (tmp_path / "lm.npz").exists()


def test_a_run_that_diverges_later_keeps_its_last_good_checkpoint(text_file, tmp_path):
    run = small_run(text_file, "--steps", "4", "--eval-every", "2")
    out = tmp_path / "lm.npz"
    run.train(out, Progress("lines", steps=4))              # validated and saved at steps 2 and 4
    saved = Checkpoint(out).params
    run.optimizer.lr = 1e20                                # now it diverges
    run.settings = {**run.settings, "steps": 6}
    with pytest.raises(Diverged) as error:
        run.train(out, Progress("lines", steps=6))
    step, _, kept = diverged(str(error.value), "char")
    assert step in (5, 6) and kept == 4                     # by the validation at step 6 at the latest
    for name, p in Checkpoint(out).params.items():          # untouched, and it loads
        np.testing.assert_array_equal(p, saved[name])
    assert load_model(out)[2].config["step"] == 4


@pytest.mark.parametrize("loss", [np.nan, np.inf, 1e6])
def test_a_non_finite_or_absurd_validation_loss_is_never_saved(text_file, tmp_path, monkeypatch, loss):
    run = small_run(text_file, "--steps", "1")
    monkeypatch.setattr("minirnn.lm.train.evaluate", lambda *args: loss)
    bound = 20 * math.log(len(run.data.vocab))              # 20 times a uniform guess's loss
    message = (f"training diverged at step 1: the validation loss is {loss:.4g} nats per char, above "
               f"{bound:.3g} (20 times a uniform guess's); no checkpoint was written")
    with pytest.raises(Diverged, match=re.escape(message)):
        run.train(tmp_path / "lm.npz", Progress("lines", steps=1))
    assert not (tmp_path / "lm.npz").exists() and run.best is None


# ---- --carry-state: truncated BPTT with the state carried between windows -------------------------

def test_carry_state_trains_and_resumes_bit_for_bit(text_file, tmp_path):
    """N steps straight equal N/2, then N/2 resumed: the carried state is in the checkpoint."""
    common = [*SMALL, "--carry-state", "--eval-every", "6", "--cell", "lstm"]   # two states to carry
    straight = train(text_file, tmp_path / "straight.npz", *common, "--steps", "12")
    train(text_file, tmp_path / "half.npz", *common, "--steps", "6")
    assert set(Checkpoint(tmp_path / "half.npz").carried) == {"h", "c"}
    assert main(["train", "--resume", str(tmp_path / "half.npz"), "--steps", "12", "--progress", "lines"]) == 0
    resumed = Checkpoint(tmp_path / "half.npz")
    for name, p in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], p, err_msg=name)
    for key in ("step", "train_loss", "valid_loss"):
        assert resumed.config["history"][key] == straight.config["history"][key]
    assert resumed.config["settings"]["carry_state"] is True


def test_carry_state_feeds_each_window_the_state_its_lane_ended_in(text_file):
    settings, _ = resolve_settings(build_parser().parse_args(
        ["train", "--text", str(text_file), *SMALL, "--carry-state"]))
    run = TrainingRun.start(settings)
    seen = []
    forward = run.model.forward
    run.model.forward = lambda x, state=None: (seen.append(state), forward(x, state))[1]
    for _ in range(3):
        run.train_step()
        seen[-1:] = [seen[-1], run.carried]
    assert seen[0] is None                                  # the lanes' first windows start from zeros
    assert seen[2] is seen[1] and seen[4] is seen[3]        # then each window gets the state just left


def test_carry_state_refuses_a_text_too_short_for_its_lanes(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("The cat. " * 140, encoding="utf-8")
    argv = ["train", "--text", str(path), "--out", str(tmp_path / "lm.npz"), *SMALL, "--carry-state",
            "--batch-size", "64", "--nchars", "32", "--steps", "2", "--valid-tokens", "10"]
    from minirnn.lm.corpus import file_corpus
    tokens = len(file_corpus(path).train[0]) + 1                          # its characters and <eos>
    one_line_error(capsys, argv, "--carry-state reads the training text in --batch-size 64 lanes",
                   f"but it has only {tokens:,} tokens")


def test_a_huge_learning_rate_diverges_with_one_friendly_line(text_file, tmp_path, capsys):
    argv = ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *SMALL,
            "--steps", "20", "--lr", "1e38"]
    captured = one_line_error(capsys, argv, "training diverged at step", "try a smaller --lr")
    assert diverged(captured.err, "char")[0] <= 20


# ---- Ctrl-C ----------------------------------------------------------------------------------------

def interrupt_at(monkeypatch, step):
    """Make TrainingRun.train_step raise KeyboardInterrupt when it is called for ``step``."""
    real = TrainingRun.train_step

    def train_step(self):
        if self.step + 1 == step:
            raise KeyboardInterrupt
        return real(self)
    monkeypatch.setattr(TrainingRun, "train_step", train_step)


def test_ctrl_c_before_the_first_validation_says_so_and_exits_130(text_file, tmp_path, monkeypatch, capsys):
    interrupt_at(monkeypatch, 5)
    argv = ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *SMALL, "--steps", "50",
            "--eval-every", "20", "--progress", "lines"]
    assert main(argv) == 130                                          # 128 + SIGINT
    out = capsys.readouterr().out
    assert "interrupted at step 4, before the first validation (at step 20): no checkpoint was written" in out
    assert "never improved" not in out and not (tmp_path / "lm.npz").exists()


def test_ctrl_c_after_a_validation_keeps_that_checkpoint(text_file, tmp_path, monkeypatch, capsys):
    interrupt_at(monkeypatch, 25)
    argv = ["train", "--text", str(text_file), "--out", str(tmp_path / "lm.npz"), *SMALL, "--steps", "50",
            "--eval-every", "20", "--progress", "lines"]
    assert main(argv) == 130
    assert "interrupted at step 24; the checkpoint keeps step 20, the best validated" in capsys.readouterr().out
    assert Checkpoint(tmp_path / "lm.npz").config["step"] == 20


# ---- prompts at word level: unknown words are <unk>, as the training text's rare words were ---------

def test_a_word_level_prompt_reads_unknown_words_as_unk(text_file, tmp_path, capsys):
    train(text_file, tmp_path / "w.npz", "--level", "word", "--prompt", "The zebra", "--max-vocab", "20",
          "--steps", "3")
    assert "--prompt 'The zebra': 1 word not in the vocabulary: 'zebra', read as <unk>" in capsys.readouterr().out
    assert main(["sample", "--checkpoint", str(tmp_path / "w.npz"), "--prompt", "The zebra qx", "--length", "5",
                 "--seed", "0"]) == 0
    captured = capsys.readouterr()
    assert ("--prompt 'The zebra qx': 2 words not in the vocabulary: 'zebra', 'qx', read as <unk>"
            in captured.err)
    assert captured.out.startswith("The zebra qx")


def test_a_char_level_prompt_with_unknown_characters_is_refused_naming_the_option(text_file, tmp_path, capsys):
    train(text_file, tmp_path / "c.npz", "--steps", "3")
    capsys.readouterr()
    assert main(["sample", "--checkpoint", str(tmp_path / "c.npz"), "--prompt", "Zoo!"]) == 2
    assert "--prompt 'Zoo!' has 2 characters not in the vocabulary: 'Z', '!'" in capsys.readouterr().err
