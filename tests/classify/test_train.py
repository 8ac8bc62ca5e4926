"""Tests of minirnn/classify/train.py: the loop and `minirnn classify train`, end to end.

Every run is small (a generated labelled file of a few hundred short documents, a few
dozen hidden units, a few epochs) and goes through the real command, minirnn.cli.main.

- a short run learns: test accuracy far above the majority baseline, every accuracy in
  the log printed beside that baseline, the confusion PNG written;
- the checkpoint round trip: load_classifier rebuilds the model that gives the same
  probabilities, and the checkpoint holds the vocabulary, the classes and the settings;
- --resume continues bit for bit: 2 epochs straight equal 1 epoch, then 1 resumed;
  a resumed run refuses changed settings;
- bad data stops the run before training, naming file and line; a diverging run says
  so in the user's terms, keeps its last good checkpoint, and no RuntimeWarning escapes,
  whichever way this CPU's BLAS kernel rounds (tests/toolkit/test_training.py's
  ``diverged`` checks the message's contract).
"""
import json
import warnings

import numpy as np
import pytest

from minirnn.toolkit.checkpoint import Checkpoint
from minirnn.classify.model import load_classifier, predict_proba
from minirnn.classify.batches import encode_texts
from minirnn.classify.train import ClassifierRun
from minirnn.classify.settings import DEFAULTS
from minirnn.cli import main
from minirnn.toolkit.training import Diverged
from tests.toolkit.test_training import diverged

TOPICS = {
    "space": "rocket orbit planet moon launch star telescope astronaut",
    "food": "bread cheese soup apple kitchen recipe bake salt",
    "sport": "goal match team ball referee score coach stadium",
}
COMMON = "the a of and to in is it that with for on was as at by this".split()


def labelled_rows(n, seed, sizes=(0.5, 0.3, 0.2)):
    """n documents of 6-30 words: half topic words, half common ones; topics in the given shares."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    rows = []
    for _ in range(n):
        topic = names[rng.choice(3, p=sizes)]
        length = rng.integers(6, 31)
        words = [rng.choice(TOPICS[topic].split()) if rng.random() < 0.5 else rng.choice(COMMON)
                 for _ in range(length)]
        rows.append((topic, " ".join(words).capitalize() + "."))
    return rows


def write_csv(path, rows, header="label,text"):
    path.write_text(header + "\n" + "".join(f'{label},"{text}"\n' for label, text in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classify")
    return {"train": write_csv(folder / "train.csv", labelled_rows(400, 0)),
            "test": write_csv(folder / "test.csv", labelled_rows(150, 1)), "folder": folder}


SMALL = ["--hidden-size", "16", "--embed-size", "16", "--batch-size", "16", "--lr", "0.01",
         "--progress", "lines"]


def train(files, out, *options):
    code = main(["classify", "train", "--train", str(files["train"]), "--test", str(files["test"]),
                 "--out", str(out), *SMALL, *options])
    assert code == 0
    return Checkpoint(out)


@pytest.fixture(scope="module")
def trained(files, tmp_path_factory):
    """One short run shared by the tests that only read its results."""
    import contextlib
    import io
    out = tmp_path_factory.mktemp("run") / "checkpoint.npz"
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        checkpoint = train(files, out, "--epochs", "4")
    return checkpoint, log.getvalue()


def test_a_short_run_beats_the_majority_baseline_by_far(trained, files):
    checkpoint, log = trained
    test_line = next(line for line in log.splitlines() if line.startswith("accuracy "))
    accuracy = float(test_line.split()[1])
    baseline = float(test_line.split("majority baseline ")[1].split(")")[0])
    assert 0.4 < baseline < 0.6                                  # the largest class, about half
    assert accuracy > baseline + 0.35, log
    for line in log.splitlines():                                # every accuracy beside the baseline
        if "accuracy" in line:
            assert "majority baseline" in line, line
    png = checkpoint.path.removesuffix(".npz") + "-confusion.png"
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_checkpoint_round_trip(trained, files):
    checkpoint, _ = trained
    model, vocab, loaded = load_classifier(checkpoint.path)
    config = loaded.config
    assert config["kind"] == "minirnn classifier" and config["classes"] == ["food", "space", "sport"]
    assert vocab.level == "basic_english" and "rocket" in vocab.ids
    with np.load(checkpoint.path, allow_pickle=False) as arrays:       # plain arrays, no pickle
        assert "vocab/tokens" in arrays.files and "params/rnn.W_l0" in arrays.files
    # the same probabilities as the run's own model restored from the same file
    run = ClassifierRun.start({**DEFAULTS, **config["settings"]})
    checkpoint.load_params_into(run.model.params)
    texts = ["the rocket and the moon", "bread with salt and cheese"]
    sequences, _ = encode_texts(vocab, texts, 400)
    np.testing.assert_array_equal(predict_proba(model, sequences), predict_proba(run.model, sequences))
    assert predict_proba(model, sequences).argmax(axis=1).tolist() == [1, 0]


def test_resume_continues_bit_for_bit(files, tmp_path):
    straight = train(files, tmp_path / "straight.npz", "--epochs", "2", "--eval-every", "5")
    first = train(files, tmp_path / "resumed.npz", "--epochs", "1", "--eval-every", "5")
    assert first.config["trainer"]["step"] < straight.config["trainer"]["step"]
    assert main(["classify", "train", "--resume", str(tmp_path / "resumed.npz"), "--epochs", "2",
                 "--progress", "lines"]) == 0
    resumed = Checkpoint(tmp_path / "resumed.npz")
    assert resumed.config["trainer"]["step"] == straight.config["trainer"]["step"]
    for name, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], value, err_msg=name)
    for name, value in straight.optim_state.items():
        np.testing.assert_array_equal(resumed.optim_state[name], value, err_msg=name)
    # the same validation losses at the same steps (the first session also validated at its end)
    losses = lambda c: dict(zip(c.config["history"]["step"], c.config["history"]["valid_loss"]))
    assert losses(straight).items() <= losses(resumed).items()


def test_resume_refuses_changed_settings(trained, capsys):
    checkpoint, _ = trained
    assert main(["classify", "train", "--resume", checkpoint.path, "--hidden-size", "32"]) == 2
    assert "--hidden-size 32 (saved: 16)" in capsys.readouterr().err


def test_bad_data_stops_before_training(files, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,text\nspace,rocket\nfood,\n", encoding="utf-8")
    assert main(["classify", "train", "--train", str(bad), "--out", str(tmp_path / "c.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minirnn classify: error: ") and "bad.csv, line 3: the text is empty" in err
    assert err.count("\n") == 1 and not (tmp_path / "c.npz").exists()


def test_a_min_count_that_keeps_no_token_stops_before_training(files, tmp_path, capsys):
    """Every token would read as <unk>: the run could only learn the class frequencies."""
    argv = ["classify", "train", "--train", str(files["train"]), "--out", str(tmp_path / "c.npz"),
            "--min-count", "100000"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--min-count 100000 keeps no token of" in err and err.count("\n") == 1
    assert not (tmp_path / "c.npz").exists()


def test_a_diverging_run_says_so_and_keeps_its_last_good_checkpoint(files, tmp_path, capsys):
    """--lr 1e20: at which step the run is found diverged, and whether by a NaN or inf or by
    an absurd validation loss, depends on the BLAS kernel's rounding (AVX2 and AVX-512
    differ); the contract holds either way."""
    out = tmp_path / "diverge.npz"
    train(files, out, "--epochs", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                 # no RuntimeWarning from inside
        code = main(["classify", "train", "--resume", str(out), "--epochs", "3", "--progress", "lines"])
    assert code == 0                                                   # resuming at a good lr works
    good = out.read_bytes()
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(["classify", "train", "--train", str(files["train"]), "--out", str(out), *SMALL,
                     "--lr", "1e20", "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    step, _, kept = diverged(err, "document")
    if kept is None:                        # found before its first validation: the file is the good run's
        assert "no checkpoint was written" in err and out.read_bytes() == good
    else:                                   # a validation passed first: its checkpoint is kept
        assert kept < step and Checkpoint(out).config["best"]["step"] == kept
    load_classifier(out)                                               # readable, finite, a classifier


def test_ag_news_layout_as_distributed(tmp_path, capsys):
    """No header, class index 1-3, title and description, a classes file: the command in docs/classify.md."""
    names = list(TOPICS)
    def rows(n, seed):
        return "".join(f'"{names.index(label) + 1}","{text.split()[0]}","{text}"\n'
                       for label, text in labelled_rows(n, seed))
    (tmp_path / "train.csv").write_text(rows(300, 0), encoding="utf-8")
    (tmp_path / "test.csv").write_text(rows(60, 1), encoding="utf-8")
    (tmp_path / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    out = tmp_path / "ag.npz"
    assert main(["classify", "train", "--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv"),
                 "--no-header", "--class-names", str(tmp_path / "classes.txt"), "--out", str(out),
                 "--epochs", "3", "--eval-every", "10", *SMALL]) == 0
    log = capsys.readouterr().out
    assert "in 3 classes (space" in log                               # the names, in classes.txt's order
    assert Checkpoint(out).config["classes"] == names
    assert main(["classify", "evaluate", "--checkpoint", str(out), "--data", str(tmp_path / "test.csv"),
                 "--json"]) == 0                                       # the layout is the checkpoint's
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 60 and report["accuracy"] > report["majority_baseline"] + 0.3


def test_an_absurd_validation_loss_is_never_saved_as_the_best(files, tmp_path, monkeypatch):
    """Finite but enormous weights: every prediction certain and often wrong, a loss of order
    1e29 nats per document, far above 20 ln 3. The run stops in the user's terms and writes
    no checkpoint (nor replaces a good one)."""
    settings = {**DEFAULTS, "train": str(files["train"]), "epochs": 1, "hidden_size": 8, "embed_size": 8}
    run = ClassifierRun.start(settings)
    run.model.params["head.W"][...] *= 1e30                        # logits of order 1e30

    def step_that_changes_nothing(self):
        self.step += 1
        return 1.0, 1
    monkeypatch.setattr(ClassifierRun, "train_step", step_that_changes_nothing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Diverged, match=r"training diverged at step 1: the validation loss is \S+ nats per "
                                           r"document, above 22 \(20 times a uniform guess's\); no checkpoint "
                                           r"was written; try a smaller --lr or --clip"):
            run.loop(steps=1, eval_every=1, out=tmp_path / "absurd.npz")
    assert not (tmp_path / "absurd.npz").exists() and run.best is None


def test_ctrl_c_exits_130_and_says_whether_a_checkpoint_exists(files, tmp_path, monkeypatch, capsys):
    from minirnn.classify.train import Trainer
    real = Trainer.train_step
    stop_at = {"step": 3}

    def train_step(self):
        if self.step + 1 == stop_at["step"]:
            raise KeyboardInterrupt
        return real(self)
    monkeypatch.setattr(Trainer, "train_step", train_step)
    argv = ["classify", "train", "--train", str(files["train"]), "--test", str(files["test"]),
            "--out", str(tmp_path / "c.npz"), *SMALL, "--eval-every", "5", "--epochs", "2"]
    assert main(argv) == 130                                          # 128 + SIGINT
    out = capsys.readouterr().out
    assert "interrupted at step 2" in out
    assert "no checkpoint was written: the run stopped before its first validation" in out
    stop_at["step"] = 8                                               # after the validation at step 5
    assert main(argv) == 130
    out = capsys.readouterr().out
    assert "interrupted at step 7" in out and "best validation accuracy" in out
    assert Checkpoint(tmp_path / "c.npz").config["best"]["step"] == 5
