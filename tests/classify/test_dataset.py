"""Tests of minirnn/classify/dataset.py: the built-in data set.

- the same documents every time, 4 topics, each document 50-150 words from modules of
  its topic, a few thousand in all;
- `minirnn classify dataset` writes train.csv and test.csv that the training command
  reads with its defaults, the test set a stratified fifth.
"""
import pytest

from minirnn.classify.data import read_labelled_file
from minirnn.classify import dataset
from minirnn.classify.dataset import (MAX_WORDS, MIN_WORDS, TEST_FRACTION, TOPICS, docstring_topics,
                                      missing_modules)
from minirnn.cli import main


@pytest.fixture(scope="module")
def documents():
    return docstring_topics()


def test_documents_are_fixed_and_follow_the_rules(documents):
    assert docstring_topics() == documents
    assert 1500 < len(documents) < 5000
    topics = {topic: set(modules.split()) for topic, modules in TOPICS.items()}
    for topic, module, text in documents:
        assert module.split(".")[0] in topics[topic]
        assert MIN_WORDS <= len(text.split()) <= MAX_WORDS
        assert "\n" not in text and text == " ".join(text.split())
    assert len({text for _, _, text in documents}) == len(documents)          # no repeats
    counts = {topic: sum(t == topic for t, _, _ in documents) for topic in TOPICS}
    if not missing_modules():                       # a whole standard library (not Debian's python3)
        assert min(counts.values()) > 200, counts


def test_a_standard_library_installed_in_parts_is_named(tmp_path, monkeypatch, capsys):
    """Debian's python3 lacks tkinter and idlelib (python3-tk, idle-python3.x): the command
    says so, since its gui topic then holds a fifth of the documents."""
    stdlib = tmp_path / "lib"
    for module in (m for modules in TOPICS.values() for m in modules.split()):
        if module not in ("tkinter", "idlelib"):
            (stdlib / module).mkdir(parents=True)
    monkeypatch.setattr(dataset, "stdlib_path", lambda: stdlib)
    assert missing_modules() == ["idlelib", "tkinter"]
    rows = [("gui", "turtle", "a b")], [("gui", "turtle", "c")]
    monkeypatch.setattr(dataset, "write_dataset", lambda folder: rows)
    assert main(["classify", "dataset", "--out", str(tmp_path / "d")]) == 0
    assert "this Python's standard library lacks idlelib, tkinter" in capsys.readouterr().out


def test_dataset_command_writes_csv_files_the_trainer_reads(tmp_path, documents, capsys):
    assert main(["classify", "dataset", "--out", str(tmp_path)]) == 0
    train, test = read_labelled_file(tmp_path / "train.csv"), read_labelled_file(tmp_path / "test.csv")
    assert sorted(train.texts + test.texts) == sorted(text for _, _, text in documents)
    for topic in TOPICS:
        n_test, n_all = test.labels.count(topic), sum(t == topic for t, _, _ in documents)
        assert n_test == round(TEST_FRACTION * n_all)
    out = capsys.readouterr().out
    assert f"{len(train.texts)} train" in out and "minirnn classify train --train" in out
    assert not set(train.texts) & set(test.texts)
