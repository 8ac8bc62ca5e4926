"""Tests of minirnn/classify/dataset.py: the built-in data set.

- the same documents every time, 4 topics, each document 50-150 words from modules of
  its topic, a few thousand in all;
- `minirnn classify dataset` writes train.csv and test.csv that the training command
  reads with its defaults, the test set a stratified fifth.
"""
import pytest

from minirnn.classify.data import read_labelled_file
from minirnn.classify.dataset import MAX_WORDS, MIN_WORDS, TEST_FRACTION, TOPICS, docstring_topics
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
    assert min(counts.values()) > 200, counts


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
