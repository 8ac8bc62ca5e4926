"""Text classification (`minirnn classify`): many-to-one, one file per stage, in the order
the data moves:

    dataset.py    the built-in data set: standard-library docstrings labelled by topic
    data.py       CSV/TSV files: rows, columns, labels, the stratified validation hold-out
    (minirnn/vocab.py, shared with the other jobs: text -> tokens -> ids)
    batches.py    ids -> padded batches (T, B) with lengths, bucketed by length
    model.py      Embedding -> RNN/LSTM/GRU -> final state or mean -> Linear; loading it back
    train.py      the training step (Trainer) and the `classify train` run around it
                  (the loop itself: minirnn/toolkit/training.py)
    evaluate.py   accuracy, precision / recall / F1, confusion matrix: table, JSON, PNG
    predict.py    new text -> classes and probabilities
    settings.py   the defaults of `minirnn classify train`
    cli.py        the sub-commands' options

What other code uses from here (examples/03_classify_sequences.py, for one):
"""
from minirnn.classify.batches import bucket_batches, encode_texts, pad_batch
from minirnn.classify.data import Layout, read_labelled_file, read_splits, stratified_split
from minirnn.classify.dataset import docstring_topics
from minirnn.classify.evaluate import classification_report
from minirnn.classify.model import Classifier, load_classifier, model_config, predict_log_proba, predict_proba
from minirnn.classify.predict import predict_texts
from minirnn.classify.train import Trainer

__all__ = ["Classifier", "Layout", "Trainer", "bucket_batches", "classification_report", "docstring_topics",
           "encode_texts", "load_classifier", "model_config", "pad_batch", "predict_log_proba",
           "predict_proba", "predict_texts",
           "read_labelled_file", "read_splits", "stratified_split"]
